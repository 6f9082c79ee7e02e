package org.mptunnel.examples.server;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.mptunnel.MultipathDatagramSocket;
import org.mptunnel.examples.cli.Endpoints;
import org.mptunnel.examples.flow.FlowActivity;
import org.mptunnel.examples.flow.FlowFrame;
import org.mptunnel.examples.flow.FlowTimeouts;
import org.mptunnel.examples.socks.AllowList;
import org.mptunnel.examples.socks.SocksUdp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * mpserver's side of SOCKS mode: sessions whose payloads carry the SOCKS mark and a SOCKS UDP
 * request header, and SOCKS flows of flow sessions (one per mpclient association, whose payloads
 * carry the {@link FlowFrame} prefix instead, and whose replies carry it back). Each session or
 * flow gets one socket per destination address (connected to it, so only
 * that destination's replies come back on it), opened only if the {@link AllowList} allows the
 * destination — after resolution, for a domain name — and the {@link SocketBudget} has room.
 * Every spelling of a destination (IP literal, names in any case) that resolves to the same
 * address shares its socket: a session looks each spelling up by its raw request bytes as an
 * <em>alias</em> of the socket, so the usual datagram neither hashes nor allocates. Replies go back
 * into the tunnel with a SOCKS UDP header naming their source. The tunnel's I/O thread calls
 * {@link #fromTunnel} (through {@link TargetForwarder}'s receive handler); the target selector
 * thread calls {@link #fromDestination} and {@link #sweep}.
 */
final class SocksRelay implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SocksRelay.class);
    /** Spellings one session may keep: a few per destination socket, bounded as they cost memory. */
    static final int MAX_ALIASES = 128;
    private static final int MAX_LOGGED_DENIALS = 1_024;
    private static final int SOCKET_BUFFER_BYTES = 1 << 20;
    /** Room a reply's buffer keeps before the data for the longest prefix and SOCKS header written in place. */
    static final int REPLY_ROOM = FlowFrame.LENGTH + SocksUdp.MAX_IP_HEADER;

    private final AllowList allow;
    private final NameResolver resolver;
    private final SocketBudget budget;
    private final long ttlNanos;
    private final long idleNanos;
    private final FlowTimeouts flowTimeouts;
    private final Consumer<DestinationLink> register;
    /** Sessions by their tunnel address, and flows by their {@link FlowKey}. */
    private final ConcurrentHashMap<Object, SocksSession> sessions = new ConcurrentHashMap<>();
    /** Destination sockets per source IP or /64 of the sessions; the sweep adds and removes sources. */
    private final ConcurrentHashMap<InetAddress, AtomicInteger> perSource = new ConcurrentHashMap<>();
    /**
     * Destination sockets of the sessions whose source the sweep has not learnt yet (at most a
     * second old), which share one source's budget: new sessions from many places at once may
     * briefly be refused, but no source can take more than its budget by opening sessions fast.
     */
    private final AtomicInteger unattributed = new AtomicInteger();
    private final Set<String> loggedDenials = ConcurrentHashMap.newKeySet();
    private final AtomicInteger sockets = new AtomicInteger();
    private final AtomicLong toDestinations = new AtomicLong();
    private final AtomicLong fromDestinations = new AtomicLong();
    private final AtomicLong denied = new AtomicLong();
    private final AtomicLong fragmented = new AtomicLong();
    private final AtomicLong malformed = new AtomicLong();
    private final AtomicLong unresolved = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final LogGate refusedLog = LogGate.perSecond();
    private final EmptyDatagramBudget empties = new EmptyDatagramBudget();
    private final LogGate openFailedLog = LogGate.perSecond();
    private final LogGate replyFailedLog = LogGate.perSecond();
    /** Session lines: every one in normal use, a few per second under a flood of sessions. */
    private final LogGate sessionLog = new LogGate(Duration.ofSeconds(1), 10);

    /**
     * @param register hands a new destination socket to the selector thread, which reads its replies
     */
    SocksRelay(AllowList allow, NameResolver resolver, SocketBudget budget, long ttlNanos,
               long idleNanos, FlowTimeouts flowTimeouts, Consumer<DestinationLink> register) {
        this.allow = allow;
        this.resolver = resolver;
        this.budget = budget;
        this.ttlNanos = ttlNanos;
        this.idleNanos = idleNanos;
        this.flowTimeouts = flowTimeouts;
        this.register = register;
    }

    /**
     * A session is a SOCKS session from its first datagram on if that datagram has the mark; once
     * it is, a datagram without the mark is malformed rather than sent to the target.
     *
     * @return whether this datagram belongs here
     */
    boolean claims(InetAddress session, ByteBuffer payload) {
        return sessions.containsKey(session) || SocksUdp.hasMark(payload);
    }

    /**
     * Sends one payload of a SOCKS session (mark, SOCKS header, data) to its destination; the mark
     * makes the session a SOCKS session, whatever follows it.
     *
     * @param datagram its array holds the payload from index 0; the position and limit are free to use
     */
    void fromTunnel(InetAddress sessionIp, int port, ByteBuffer datagram, int length) {
        if (!SocksUdp.hasMark(datagram.array(), 0, length)) {
            malformed.incrementAndGet();
            return;
        }
        SocksSession session = sessions.get(sessionIp);
        if (session == null) {
            session = new SocksSession(new InetSocketAddress(sessionIp, port), sessionIp, null, idleNanos, idleNanos,
                    idleNanos);
            SocksSession raced = sessions.putIfAbsent(sessionIp, session);
            if (raced != null) {
                session = raced;
            } else {
                String note = sessionLog.admit();
                if (note != null) {
                    LOG.info("session {} opened: SOCKS ({} SOCKS sessions live){}", TargetForwarder.sessionId(sessionIp),
                            sessions.size(), note);
                }
            }
        }
        relay(session, datagram, length, null);
    }

    /**
     * Opens a SOCKS flow of a flow session: its datagrams come through {@link #fromFlow}, its
     * replies carry the flow's prefix, and it lives by the flow timeouts.
     *
     * @param address the flow session's tunnel address
     * @return the new flow, which the sweep closes when it is idle or its session has expired
     */
    SocksSession openFlow(InetSocketAddress address, int flowId) {
        long shortNanos = flowTimeouts.singleExchange().toNanos();
        long longNanos = flowTimeouts.established().toNanos();
        SocksSession flow = new SocksSession(address, new FlowKey(address.getAddress(), flowId),
                FlowFrame.prefix(FlowFrame.SOCKS, flowId), shortNanos, longNanos, longNanos);
        sessions.put(flow.key, flow);
        return flow;
    }

    /**
     * Sends one SOCKS flow payload to its destination.
     *
     * @param datagram its array holds the payload from index 0, the flow prefix first; the position
     *                 and limit are free to use
     */
    void fromFlow(SocksSession flow, ByteBuffer datagram, int length) {
        relay(flow, datagram, length, null);
    }

    /** Closes a SOCKS flow that {@link FlowRelay} forgets (its tunnel session expired). */
    void closeFlow(SocksSession flow) {
        if (sessions.remove(flow.key, flow)) {
            flow.close(this);
        }
    }

    /** The key of a SOCKS flow in {@link #sessions}: its session's tunnel address and its id. */
    private record FlowKey(InetAddress session, int flowId) {
    }

    /**
     * Checks a payload's SOCKS header (after the session's mark or prefix) and sends its data to
     * the destination.
     *
     * @param resolved the answer for a domain destination when replaying after a lookup, else null
     */
    private void relay(SocksSession session, ByteBuffer datagram, int length, InetAddress[] resolved) {
        byte[] b = datagram.array();
        int off = session.offset;
        int header = SocksUdp.headerLength(b, off, length - off);
        if (header == SocksUdp.FRAGMENTED) {
            fragmented.incrementAndGet();
            return;
        }
        if (header == SocksUdp.MALFORMED || SocksUdp.port(b, off, header) == 0) {
            malformed.incrementAndGet();
            return;
        }
        long now = System.nanoTime();
        session.lastActive = now;
        Alias alias = session.find(b, off + 3, off + header);
        if (alias != null && alias.expiresAt - now < 0) {
            alias = refresh(session, alias, b, off, header, now);
        }
        DestinationLink link = alias != null ? alias.link : open(session, datagram, length, header, resolved, now);
        if (link == null) {
            return;
        }
        link.sent(now);
        datagram.limit(length).position(off + header);
        try {
            if (ConnectedSend.write(link.channel, datagram, empties)) {
                toDestinations.incrementAndGet();
            } else {
                dropped.incrementAndGet(); // socket buffer full: lost, as on a network
            }
        } catch (IOException e) {
            dropped.incrementAndGet(); // closed by the sweep meanwhile, or an ICMP error
        }
    }

    /**
     * A domain destination's answer is used for the TTL; after it, the spelling stays with its
     * socket while the name still resolves to its address (so the application keeps its source
     * port at the destination).
     */
    private Alias refresh(SocksSession session, Alias alias, byte[] b, int off, int header, long now) {
        String name = domain(b, off, header);
        InetAddress[] cached = resolver.cached(name, now);
        if (cached == null) {
            resolver.resolve(name, answer -> { }); // in the background; the alias serves meanwhile
            return alias;
        }
        if (Arrays.asList(cached).contains(alias.link.remote.getAddress())) {
            alias.expiresAt = now + ttlNanos;
            return alias;
        }
        session.remove(alias); // the socket stays for its other spellings, or until it is idle
        return null;
    }

    private DestinationLink open(SocksSession session, ByteBuffer datagram, int length, int header,
                                 InetAddress[] resolved, long now) {
        byte[] b = datagram.array();
        int off = session.offset;
        int port = SocksUdp.port(b, off, header);
        InetAddress address;
        long expiresAt = Long.MAX_VALUE;
        if (b[off + 3] == SocksUdp.ATYP_DOMAIN) {
            String name = domain(b, off, header);
            if (name == null) {
                malformed.incrementAndGet();
                return null;
            }
            InetAddress[] addresses = resolved != null ? resolved : resolver.cached(name, now);
            if (addresses == null) {
                // Wait for the answer with a copy: only on a cache miss, so the usual path allocates nothing.
                ByteBuffer copy = ByteBuffer.wrap(Arrays.copyOf(b, length));
                resolver.resolve(name, answer -> relay(session, copy, length, answer));
                return null;
            }
            address = firstAllowed(addresses, port);
            if (address == null) {
                if (addresses.length == 0) {
                    unresolved.incrementAndGet();
                } else {
                    deny(name + ":" + port + " (" + addresses[0].getHostAddress() + ")");
                }
                return null;
            }
            expiresAt = now + ttlNanos;
        } else {
            try {
                address = InetAddress.getByAddress(Arrays.copyOfRange(b, off + 4, off + header - 2));
            } catch (UnknownHostException e) {
                malformed.incrementAndGet(); // cannot happen: the length is 4 or 16
                return null;
            }
            if (!allow.allows(address, port)) {
                deny(Endpoints.format(new InetSocketAddress(address, port)));
                return null;
            }
        }
        InetSocketAddress remote = new InetSocketAddress(address, port);
        Alias alias = new Alias(Arrays.copyOfRange(b, off + 3, off + header), expiresAt);
        DestinationLink existing = session.addAlias(alias, remote);
        if (existing != null) {
            return existing; // another spelling of a destination that has its socket
        }
        AtomicInteger source = session.sourceCount != null ? session.sourceCount : unattributed;
        Limit full = session.aliasesFull() ? Limit.ALIASES : reserve(session, source);
        if (full != null) {
            return refuse(session, remote, full);
        }
        DatagramChannel channel;
        try {
            channel = ConnectedSend.open(remote, SOCKET_BUFFER_BYTES);
        } catch (IOException e) {
            release(source);
            dropped.incrementAndGet();
            String note = openFailedLog.admit();
            if (note != null) {
                LOG.warn("cannot open a socket towards {}: {}{}", Endpoints.format(remote), e.toString(),
                        note);
            }
            return null;
        }
        DestinationLink link = new DestinationLink(session, remote, channel, source);
        DestinationLink added = session.add(link, alias, budget.perSession());
        if (added != link) {
            closeQuietly(channel); // another thread opened it meanwhile, or the session is full or closed
            release(link.countedIn);
            if (added == null) {
                dropped.incrementAndGet();
            }
            return added;
        }
        register.accept(link);
        LOG.debug("session {}: socket {} towards {}", TargetForwarder.sessionId(session.address.getAddress()),
                channel.socket().getLocalSocketAddress(), remote);
        return link;
    }

    /** A bound a new destination socket can meet. */
    private enum Limit {
        ALIASES("spellings of destinations per session"),
        PER_SESSION("destination sockets per session (--max-socks-sockets-per-session)"),
        TOTAL("destination sockets over all sessions (--max-socks-sockets)"),
        PER_SOURCE("destination sockets per source address (--max-socks-sockets-per-source)");

        final String what;

        Limit(String what) {
            this.what = what;
        }

        int of(SocketBudget budget) {
            return switch (this) {
                case ALIASES -> MAX_ALIASES;
                case PER_SESSION -> budget.perSession();
                case TOTAL -> budget.total();
                case PER_SOURCE -> budget.perSource();
            };
        }
    }

    /**
     * Takes one socket from the server's budget and the session's source's, if both have room and
     * the session has.
     *
     * @param source the count of the session's source's sockets, or {@link #unattributed}
     * @return null if taken, else the bound reached
     */
    private Limit reserve(SocksSession session, AtomicInteger source) {
        if (session.links() >= budget.perSession()) {
            return Limit.PER_SESSION;
        }
        if (sockets.incrementAndGet() > budget.total()) {
            sockets.decrementAndGet();
            return Limit.TOTAL;
        }
        if (source.incrementAndGet() > budget.perSource()) {
            source.decrementAndGet();
            sockets.decrementAndGet();
            return Limit.PER_SOURCE;
        }
        return null;
    }

    /** Gives back what {@link #reserve} took; {@code source} is what the link was counted in. */
    private void release(AtomicInteger source) {
        sockets.decrementAndGet();
        source.decrementAndGet();
    }

    private DestinationLink refuse(SocksSession session, InetSocketAddress remote, Limit limit) {
        refused.incrementAndGet();
        String note = refusedLog.admit();
        if (note != null) {
            LOG.warn("session {}: no socket towards {}: {} {} is the limit; dropped{}",
                    TargetForwarder.sessionId(session.address.getAddress()), Endpoints.format(remote),
                    limit.of(budget), limit.what, note);
        }
        return null;
    }

    private InetAddress firstAllowed(InetAddress[] addresses, int port) {
        for (InetAddress a : addresses) {
            if (allow.allows(a, port)) {
                return a;
            }
        }
        return null;
    }

    /** @return the domain name of a header with ATYP 3, or null if it is not a host name */
    private static String domain(byte[] b, int off, int header) {
        int length = b[off + 4] & 0xFF;
        for (int i = off + 5; i < off + 5 + length; i++) {
            int c = b[i];
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '.' || c == '_';
            if (!ok) {
                return null;
            }
        }
        // Names are case-insensitive: one lookup and one cache entry for every capitalisation.
        return new String(b, off + 5, length, StandardCharsets.US_ASCII).toLowerCase(Locale.ROOT);
    }

    private void deny(String destination) {
        denied.incrementAndGet();
        if (loggedDenials.size() < MAX_LOGGED_DENIALS && loggedDenials.add(destination)) {
            LOG.info("SOCKS destination {} is not allowed (--allow): dropped{}", destination,
                    loggedDenials.size() == MAX_LOGGED_DENIALS ? "; further denied destinations are not logged"
                            : ", and not logged again");
        }
    }

    /**
     * Reads a destination's replies and sends each into the tunnel with a SOCKS UDP header.
     *
     * @param tunnel passed in rather than held, because the tunnel is opened after this relay:
     *               its receive handler needs the relay from the first datagram on
     */
    void fromDestination(DestinationLink link, ByteBuffer buffer, DatagramPacket out, MultipathDatagramSocket tunnel) {
        byte[] array = buffer.array();
        byte[] header = link.replyHeader;
        int start = REPLY_ROOM - header.length;
        for (int i = 0; i < 64; i++) {
            buffer.clear().position(REPLY_ROOM); // room for the prefix and header before the data
            // receive(), not read(): read() returns 0 for an empty reply too, which would be lost
            try {
                if (link.channel.receive(buffer) == null) {
                    return;
                }
            } catch (PortUnreachableException e) {
                dropped.incrementAndGet(); // an earlier write's ICMP error: nothing listens there
                continue;
            } catch (IOException e) {
                return;
            }
            int n = buffer.position() - REPLY_ROOM;
            long now = System.nanoTime();
            link.replied(now);
            link.session.lastActive = now;
            fromDestinations.incrementAndGet();
            System.arraycopy(header, 0, array, start, header.length);
            out.setData(array, start, header.length + n);
            out.setSocketAddress(link.session.address);
            try {
                tunnel.send(out);
            } catch (IOException e) {
                dropped.incrementAndGet(); // e.g. too large for the tunnel with its header
                String note = replyFailedLog.admit();
                if (note != null) {
                    LOG.debug("SOCKS reply not sent into the tunnel: {}{}", e.toString(), note);
                }
            }
        }
    }

    /**
     * Closes the sessions the tunnel no longer has (unless younger than the snapshot {@code sources}
     * was taken at) or that carried nothing for the idle timeout, and destination sockets idle as
     * long. A session's source becomes known here: from then on its sockets count in its source's
     * budget, and if that makes the source exceed it, the session's least recently active sockets
     * beyond it are closed.
     *
     * @param sources each live session's source IP or /64, as {@link #sourceKey} makes it
     */
    void sweep(long now, Map<InetAddress, InetAddress> sources, long snapshotAt) {
        sessions.forEach((key, session) -> {
            InetAddress ip = session.address.getAddress();
            boolean expired = !sources.containsKey(ip) && session.createdAt - snapshotAt < 0;
            boolean idle = session.idle(now);
            if ((expired || idle) && sessions.remove(key, session)) {
                int closed = session.close(this);
                String note = sessionLog.admit();
                if (note != null) {
                    LOG.info("session {} {}: {}, {} destination socket(s) closed ({} SOCKS sessions live){}",
                            TargetForwarder.sessionId(ip), expired ? "expired" : "idle",
                            session.key instanceof FlowKey flow ? "SOCKS flow " + Integer.toHexString(flow.flowId())
                                    : "SOCKS", closed, sessions.size(), note);
                }
                return;
            }
            session.closeIdle(now, this);
            InetAddress source = sources.get(ip);
            if (session.sourceCount == null && source != null) {
                int over = session.attribute(perSource.computeIfAbsent(source, k -> new AtomicInteger()),
                        budget.perSource(), this);
                if (over > 0) {
                    refused.addAndGet(over);
                    String note = refusedLog.admit();
                    if (note != null) {
                        LOG.warn("session {}: {} destination socket(s) closed: its source {} is past its {} {}{}",
                                TargetForwarder.sessionId(ip), over, source.getHostAddress(), budget.perSource(),
                                Limit.PER_SOURCE.what, note);
                    }
                }
            }
        });
        // Sources no session has any more; only this thread attributes sessions, so none is in use.
        Set<AtomicInteger> inUse = Collections.newSetFromMap(new IdentityHashMap<>());
        sessions.values().forEach(session -> {
            if (session.sourceCount != null) {
                inUse.add(session.sourceCount);
            }
        });
        perSource.values().removeIf(count -> !inUse.contains(count));
    }

    /** @return the key of a source's budget: the IP, or its /64 for IPv6 */
    static InetAddress sourceKey(InetAddress ip) {
        if (!(ip instanceof Inet6Address)) {
            return ip;
        }
        byte[] b = ip.getAddress();
        Arrays.fill(b, 8, 16, (byte) 0);
        try {
            return InetAddress.getByAddress(b);
        } catch (UnknownHostException e) {
            throw new AssertionError("16 bytes always make an address", e);
        }
    }

    private void closed(DestinationLink link) {
        closeQuietly(link.channel);
        release(link.countedIn);
    }

    private static void closeQuietly(DatagramChannel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            LOG.debug("closing a destination socket", e);
        }
    }

    @Override
    public void close() {
        resolver.close();
        sessions.values().forEach(s -> s.close(this));
        sessions.clear();
    }

    /** @return SOCKS sessions now */
    int sessions() {
        return sessions.size();
    }

    /** @return open destination sockets, over all SOCKS sessions */
    int sockets() {
        return sockets.get();
    }

    long toDestinations() {
        return toDestinations.get();
    }

    long fromDestinations() {
        return fromDestinations.get();
    }

    long denied() {
        return denied.get();
    }

    long fragmented() {
        return fragmented.get();
    }

    long malformed() {
        return malformed.get();
    }

    long unresolved() {
        return unresolved.get();
    }

    long dropped() {
        return dropped.get();
    }

    long emptySent() {
        return empties.sent();
    }

    long emptyRefused() {
        return empties.refused();
    }

    long refused() {
        return refused.get();
    }

    /**
     * One SOCKS session, or one SOCKS flow of a flow session: its tunnel address, its destination
     * sockets and their spellings.
     */
    static final class SocksSession {
        final InetSocketAddress address;
        /** Its key in {@link #sessions}. */
        final Object key;
        /** What its replies start with: nothing for a session, the flow prefix for a flow. */
        final byte[] prefix;
        /** Where a payload's SOCKS header starts: after the SOCKS mark or the flow prefix. */
        final int offset;
        /** How long a destination socket may stay silent: before and after its conversation is established. */
        final long shortNanos;
        final long longNanos;
        /** How long the session may stay silent. */
        final long idleNanos;
        final long createdAt = System.nanoTime();
        volatile long lastActive = createdAt;
        /** The count of the session's source's sockets, once the sweep knows the source; until then null. */
        volatile AtomicInteger sourceCount;
        /** Guarded by this; few, so a scan over raw bytes beats hashing an address built per datagram. */
        private final List<DestinationLink> links = new ArrayList<>();
        private final List<Alias> aliases = new ArrayList<>();
        private Alias lastUsed;
        private boolean closed;

        /** @param prefix the flow prefix of a flow's replies, or null for a session */
        SocksSession(InetSocketAddress address, Object key, byte[] prefix, long shortNanos, long longNanos,
                     long idleNanos) {
            this.address = address;
            this.key = key;
            this.prefix = prefix == null ? new byte[0] : prefix;
            this.offset = prefix == null ? SocksUdp.MARK_LENGTH : FlowFrame.LENGTH;
            this.shortNanos = shortNanos;
            this.longNanos = longNanos;
            this.idleNanos = idleNanos;
        }

        /** @return whether it has been silent too long: a flow without sockets after the short timeout */
        boolean idle(long now) {
            long silent = now - lastActive;
            return silent > idleNanos || prefix.length > 0 && silent > shortNanos && links() == 0;
        }

        synchronized boolean isClosed() {
            return closed;
        }

        /** @return the alias whose request bytes (ATYP to DST.PORT) equal {@code b[from, to)}, or null */
        synchronized Alias find(byte[] b, int from, int to) {
            if (lastUsed != null && Arrays.equals(lastUsed.key, 0, lastUsed.key.length, b, from, to)) {
                return lastUsed;
            }
            for (Alias alias : aliases) {
                if (Arrays.equals(alias.key, 0, alias.key.length, b, from, to)) {
                    lastUsed = alias;
                    return alias;
                }
            }
            return null;
        }

        synchronized int links() {
            return links.size();
        }

        synchronized boolean aliasesFull() {
            return aliases.size() >= MAX_ALIASES;
        }

        /**
         * Adds {@code alias} to the socket towards {@code remote}, if the session has one.
         *
         * @return that socket, or null if there is none (or no room for another spelling)
         */
        synchronized DestinationLink addAlias(Alias alias, InetSocketAddress remote) {
            Alias same = find(alias.key, 0, alias.key.length);
            if (same != null) {
                return same.link; // another thread added it meanwhile
            }
            for (DestinationLink link : links) {
                if (link.remote.equals(remote) && aliases.size() < MAX_ALIASES) {
                    alias.link = link;
                    aliases.add(alias);
                    return link;
                }
            }
            return null;
        }

        /**
         * Adds a new socket with its first spelling.
         *
         * @return {@code link} once added; the socket towards the same address if another thread
         *         was first; null if the session is full or closed
         */
        synchronized DestinationLink add(DestinationLink link, Alias alias, int maxLinks) {
            DestinationLink existing = addAlias(alias, link.remote);
            if (existing != null) {
                return existing;
            }
            if (closed || links.size() >= maxLinks || aliases.size() >= MAX_ALIASES) {
                return null;
            }
            if (sourceCount != null && link.countedIn != sourceCount) {
                moveTo(link, sourceCount); // the source became known after the socket was reserved
            }
            links.add(link);
            alias.link = link;
            aliases.add(alias);
            return link;
        }

        private static void moveTo(DestinationLink link, AtomicInteger count) {
            link.countedIn.decrementAndGet();
            count.incrementAndGet();
            link.countedIn = count;
        }

        synchronized void remove(Alias alias) {
            aliases.remove(alias);
            if (lastUsed == alias) {
                lastUsed = null;
            }
        }

        private void remove(DestinationLink link, SocksRelay relay) {
            if (links.remove(link)) {
                aliases.removeIf(a -> a.link == link);
                if (lastUsed != null && lastUsed.link == link) {
                    lastUsed = null;
                }
                relay.closed(link);
            }
        }

        synchronized void closeIdle(long now, SocksRelay relay) {
            for (DestinationLink link : List.copyOf(links)) {
                if (link.idle(now, shortNanos, longNanos)) {
                    remove(link, relay);
                }
            }
        }

        /**
         * Counts the session's sockets in its source's budget from now on, closing the least
         * recently active beyond it.
         *
         * @return how many were closed
         */
        synchronized int attribute(AtomicInteger count, int maxPerSource, SocksRelay relay) {
            sourceCount = count;
            for (DestinationLink link : links) {
                moveTo(link, count);
            }
            int over = Math.min(count.get() - maxPerSource, links.size());
            if (over <= 0) {
                return 0;
            }
            List<DestinationLink> byActivity = new ArrayList<>(links);
            byActivity.sort(Comparator.comparingLong(l -> l.lastActive() - createdAt));
            for (int i = 0; i < over; i++) {
                remove(byActivity.get(i), relay);
            }
            return over;
        }

        synchronized int close(SocksRelay relay) {
            closed = true;
            int n = links.size();
            links.forEach(relay::closed);
            links.clear();
            aliases.clear();
            lastUsed = null;
            return n;
        }
    }

    /** One spelling of a destination: the request's ATYP, DST.ADDR and DST.PORT, as the client wrote them. */
    private static final class Alias {
        final byte[] key;
        /** Set once, under the session's lock, before the alias is visible. */
        DestinationLink link;
        /** When a domain name's answer is to be checked again; never for an IP literal. */
        volatile long expiresAt;

        Alias(byte[] key, long expiresAt) {
            this.key = key;
            this.expiresAt = expiresAt;
        }
    }

    /** One session's socket towards one destination address. */
    static final class DestinationLink extends FlowActivity {
        final SocksSession session;
        final InetSocketAddress remote;
        final DatagramChannel channel;
        /** The session's prefix, then the SOCKS header naming the destination. */
        final byte[] replyHeader;
        /** The source budget this socket counts in; guarded by the session's lock. */
        AtomicInteger countedIn;

        DestinationLink(SocksSession session, InetSocketAddress remote, DatagramChannel channel,
                        AtomicInteger countedIn) {
            this.session = session;
            this.countedIn = countedIn;
            this.remote = remote;
            this.channel = channel;
            byte[] header = SocksUdp.replyHeader(remote);
            this.replyHeader = Arrays.copyOf(session.prefix, session.prefix.length + header.length);
            System.arraycopy(header, 0, replyHeader, session.prefix.length, header.length);
        }

    }
}
