package org.mptunnel.examples.server;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.mptunnel.MultipathDatagramSocket;
import org.mptunnel.examples.cli.Endpoints;
import org.mptunnel.examples.socks.AllowList;
import org.mptunnel.examples.socks.SocksUdp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * mpserver's side of SOCKS mode: sessions whose payloads carry the SOCKS mark and a SOCKS UDP
 * request header. Each session gets one socket per destination (connected to it, so only that
 * destination's replies come back on it), opened only if the {@link AllowList} allows the
 * destination — after resolution, for a domain name. Replies go back into the tunnel with a SOCKS
 * UDP header naming their source. The tunnel's I/O thread calls {@link #fromTunnel} (through
 * {@link TargetForwarder}'s receive handler); the target selector thread calls
 * {@link #fromDestination} and {@link #sweep}.
 */
final class SocksRelay implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SocksRelay.class);
    /** Destination sockets one session may hold: enough for an application, not a port scan. */
    static final int MAX_DESTINATIONS = 64;
    private static final int MAX_LOGGED_DENIALS = 1_024;
    private static final int SOCKET_BUFFER_BYTES = 1 << 20;

    private final AllowList allow;
    private final NameResolver resolver;
    private final long ttlNanos;
    private final long idleNanos;
    private final Consumer<DestinationLink> register;
    private final ConcurrentHashMap<InetAddress, SocksSession> sessions = new ConcurrentHashMap<>();
    private final Set<String> loggedDenials = ConcurrentHashMap.newKeySet();
    private final AtomicInteger sockets = new AtomicInteger();
    private final AtomicLong toDestinations = new AtomicLong();
    private final AtomicLong fromDestinations = new AtomicLong();
    private final AtomicLong denied = new AtomicLong();
    private final AtomicLong fragmented = new AtomicLong();
    private final AtomicLong malformed = new AtomicLong();
    private final AtomicLong unresolved = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();

    /**
     * @param register hands a new destination socket to the selector thread, which reads its replies
     */
    SocksRelay(AllowList allow, NameResolver resolver, long ttlNanos,
               long idleNanos, Consumer<DestinationLink> register) {
        this.allow = allow;
        this.resolver = resolver;
        this.ttlNanos = ttlNanos;
        this.idleNanos = idleNanos;
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
     * Sends one tunnel payload (mark, SOCKS header, data) to its destination.
     *
     * @param datagram its array holds the payload from index 0; the position and limit are free to use
     * @param resolved the answer for a domain destination when replaying after a lookup, else null
     */
    void fromTunnel(InetAddress sessionIp, int port, ByteBuffer datagram, int length, InetAddress[] resolved) {
        byte[] b = datagram.array();
        if (!SocksUdp.hasMark(b, 0, length)) {
            malformed.incrementAndGet();
            return;
        }
        int off = SocksUdp.MARK_LENGTH;
        int n = length - off;
        int header = SocksUdp.headerLength(b, off, n);
        if (header == SocksUdp.FRAGMENTED) {
            fragmented.incrementAndGet();
            return;
        }
        if (header == SocksUdp.MALFORMED || SocksUdp.port(b, off, header) == 0) {
            malformed.incrementAndGet();
            return;
        }
        SocksSession session = sessions.get(sessionIp);
        if (session == null) {
            session = new SocksSession(new InetSocketAddress(sessionIp, port));
            SocksSession raced = sessions.putIfAbsent(sessionIp, session);
            if (raced != null) {
                session = raced;
            } else {
                LOG.info("session {} opened: SOCKS ({} SOCKS sessions live)", TargetForwarder.sessionId(sessionIp),
                        sessions.size());
            }
        }
        long now = System.nanoTime();
        session.lastActive = now;
        DestinationLink link = session.find(b, off + 3, off + header);
        if (link != null && link.expiresAt - now < 0) {
            link = refresh(session, link, b, off, header, now);
        }
        if (link == null) {
            link = open(session, datagram, length, header, resolved, now);
            if (link == null) {
                return;
            }
        }
        link.lastActive = now;
        datagram.limit(length).position(off + header);
        try {
            if (ConnectedSend.write(link.channel, datagram)) {
                toDestinations.incrementAndGet();
            } else {
                dropped.incrementAndGet(); // socket buffer full: lost, as on a network
            }
        } catch (IOException e) {
            dropped.incrementAndGet(); // closed by the sweep meanwhile, or an ICMP error
        }
    }

    /**
     * A domain destination's answer is used for the TTL; after it, the link stays while the name
     * still resolves to its address (so the application keeps its source port at the destination).
     */
    private DestinationLink refresh(SocksSession session, DestinationLink link, byte[] b, int off, int header, long now) {
        String name = domain(b, off, header);
        InetAddress[] cached = resolver.cached(name, now);
        if (cached == null) {
            resolver.resolve(name, answer -> { }); // in the background; the link serves meanwhile
            return link;
        }
        if (Arrays.asList(cached).contains(link.remote.getAddress())) {
            link.expiresAt = now + ttlNanos;
            return link;
        }
        session.remove(link, this);
        return null;
    }

    private DestinationLink open(SocksSession session, ByteBuffer datagram, int length, int header,
                                 InetAddress[] resolved, long now) {
        byte[] b = datagram.array();
        int off = SocksUdp.MARK_LENGTH;
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
                InetSocketAddress sessionAddress = session.address;
                resolver.resolve(name, answer -> fromTunnel(sessionAddress.getAddress(), sessionAddress.getPort(),
                        copy, length, answer));
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
        DatagramChannel channel;
        try {
            channel = DatagramChannel.open();
            channel.setOption(StandardSocketOptions.SO_RCVBUF, SOCKET_BUFFER_BYTES);
            channel.setOption(StandardSocketOptions.SO_SNDBUF, SOCKET_BUFFER_BYTES);
            channel.connect(remote);
            channel.configureBlocking(false);
        } catch (IOException e) {
            dropped.incrementAndGet();
            LOG.debug("cannot open a socket towards {}: {}", remote, e.toString());
            return null;
        }
        byte[] key = Arrays.copyOfRange(b, off + 3, off + header);
        DestinationLink link = new DestinationLink(session, key, remote, channel, expiresAt);
        DestinationLink added = session.add(link);
        if (added != link) {
            closeQuietly(channel); // another thread opened it meanwhile, or the session is full or closed
            if (added == null) {
                dropped.incrementAndGet();
            }
            return added;
        }
        sockets.incrementAndGet();
        register.accept(link);
        LOG.debug("session {}: socket {} towards {}", TargetForwarder.sessionId(session.address.getAddress()),
                channel.socket().getLocalSocketAddress(), remote);
        return link;
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
        return new String(b, off + 5, length, java.nio.charset.StandardCharsets.US_ASCII);
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
        int start = SocksUdp.MAX_IP_HEADER - header.length;
        for (int i = 0; i < 64; i++) {
            buffer.clear().position(SocksUdp.MAX_IP_HEADER); // room for the header before the data
            // receive(), not read(): read() returns 0 for an empty reply too, which would be lost
            try {
                SocketAddress source = link.channel.receive(buffer);
                if (source == null) {
                    return;
                }
                if (!link.remote.equals(source)) {
                    continue; // came in while an empty datagram went out unconnected: not the destination's
                }
            } catch (PortUnreachableException e) {
                dropped.incrementAndGet(); // an earlier write's ICMP error: nothing listens there
                continue;
            } catch (IOException e) {
                return;
            }
            int n = buffer.position() - SocksUdp.MAX_IP_HEADER;
            long now = System.nanoTime();
            link.lastActive = now;
            link.session.lastActive = now;
            fromDestinations.incrementAndGet();
            System.arraycopy(header, 0, array, start, header.length);
            out.setData(array, start, header.length + n);
            out.setSocketAddress(link.session.address);
            try {
                tunnel.send(out);
            } catch (IOException e) {
                dropped.incrementAndGet(); // e.g. too large for the tunnel with its header
                LOG.debug("SOCKS reply not sent into the tunnel: {}", e.toString());
            }
        }
    }

    /**
     * Closes the sessions the tunnel no longer has (unless younger than the snapshot {@code live}
     * was taken at) or that carried nothing for the idle timeout, and destination sockets idle as long.
     */
    void sweep(long now, Set<InetAddress> live, long snapshotAt) {
        sessions.forEach((ip, session) -> {
            boolean expired = !live.contains(ip) && session.createdAt - snapshotAt < 0;
            boolean idle = now - session.lastActive > idleNanos;
            if ((expired || idle) && sessions.remove(ip, session)) {
                int closed = session.close(this);
                LOG.info("session {} {}: SOCKS, {} destination socket(s) closed ({} SOCKS sessions live)",
                        TargetForwarder.sessionId(ip), expired ? "expired" : "idle", closed, sessions.size());
            } else {
                session.closeIdle(now, idleNanos, this);
            }
        });
    }

    private void closed(DestinationLink link) {
        closeQuietly(link.channel);
        sockets.decrementAndGet();
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

    /** One SOCKS session: its tunnel address and its destination sockets. */
    private static final class SocksSession {
        final InetSocketAddress address;
        final long createdAt = System.nanoTime();
        volatile long lastActive = createdAt;
        /** Guarded by this; few, so a scan over raw bytes beats hashing an address built per datagram. */
        private final List<DestinationLink> links = new ArrayList<>();
        private DestinationLink lastUsed;
        private boolean closed;

        SocksSession(InetSocketAddress address) {
            this.address = address;
        }

        /** @return the link whose request bytes (ATYP to DST.PORT) equal {@code b[from, to)}, or null */
        synchronized DestinationLink find(byte[] b, int from, int to) {
            if (lastUsed != null && Arrays.equals(lastUsed.key, 0, lastUsed.key.length, b, from, to)) {
                return lastUsed;
            }
            for (DestinationLink link : links) {
                if (Arrays.equals(link.key, 0, link.key.length, b, from, to)) {
                    lastUsed = link;
                    return link;
                }
            }
            return null;
        }

        /** @return {@code link} once added; the same destination's link if another thread was first; null if full or closed */
        synchronized DestinationLink add(DestinationLink link) {
            DestinationLink existing = find(link.key, 0, link.key.length);
            if (existing != null) {
                return existing;
            }
            if (closed || links.size() >= MAX_DESTINATIONS) {
                return null;
            }
            links.add(link);
            return link;
        }

        synchronized void remove(DestinationLink link, SocksRelay relay) {
            if (links.remove(link)) {
                if (lastUsed == link) {
                    lastUsed = null;
                }
                relay.closed(link);
            }
        }

        synchronized void closeIdle(long now, long idleNanos, SocksRelay relay) {
            for (DestinationLink link : List.copyOf(links)) {
                if (now - link.lastActive > idleNanos) {
                    remove(link, relay);
                }
            }
        }

        synchronized int close(SocksRelay relay) {
            closed = true;
            int n = links.size();
            links.forEach(relay::closed);
            links.clear();
            lastUsed = null;
            return n;
        }
    }

    /** One session's socket towards one destination. */
    static final class DestinationLink {
        final SocksSession session;
        /** The request's ATYP, DST.ADDR and DST.PORT, as the client wrote them. */
        final byte[] key;
        final InetSocketAddress remote;
        final DatagramChannel channel;
        final byte[] replyHeader;
        volatile long expiresAt;
        volatile long lastActive = System.nanoTime();

        DestinationLink(SocksSession session, byte[] key, InetSocketAddress remote, DatagramChannel channel,
                        long expiresAt) {
            this.session = session;
            this.key = key;
            this.remote = remote;
            this.channel = channel;
            this.replyHeader = SocksUdp.replyHeader(remote);
            this.expiresAt = expiresAt;
        }
    }
}
