package org.mptunnel.examples.server;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.mptunnel.MultipathDatagramSocket;
import org.mptunnel.SessionStats;
import org.mptunnel.TunnelConfig;
import org.mptunnel.TunnelStats;
import org.mptunnel.examples.flow.FlowFrame;
import org.mptunnel.examples.flow.FlowTimeouts;
import org.mptunnel.examples.socks.AllowList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The heart of mpserver: one tunnel server socket, and for every tunnel session its own UDP socket
 * towards the target, so the target sees one distinct client per session. The tunnel's receive
 * handler writes each datagram, on the tunnel's I/O thread and straight from its receive buffer,
 * to the session's target socket (opened on the session's first datagram); a selector thread
 * reads the target's replies and sends them into the tunnel to that session. A session's target
 * socket is closed when the tunnel session expires, or when it has carried nothing either way for
 * the session idle timeout.
 *
 * <p>Sessions whose first datagram carries the SOCKS mark are SOCKS sessions instead, handed to a
 * {@link SocksRelay} on the same two threads: their datagrams name their own destinations. Sessions
 * whose first datagram carries the flow mark are flow sessions, handed to a {@link FlowRelay}: each
 * of their flows (an application or SOCKS association behind one mpclient) gets its own target
 * socket or SOCKS state.
 */
public final class TargetForwarder implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TargetForwarder.class);
    private static final int MAX_DATAGRAM = 65_535;
    private static final int SOCKET_BUFFER_BYTES = 4 << 20;
    private static final long SWEEP_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final MultipathDatagramSocket tunnel;
    private final InetSocketAddress target;
    private final long idleNanos;
    private final Selector selector;
    /** Keyed by the session address's IP: the port is always the same. */
    private final ConcurrentHashMap<InetAddress, TargetLink> links = new ConcurrentHashMap<>();
    /** Links opened by the tunnel handler, registered by the selector thread (which owns the selector). */
    private final Queue<Registration> toRegister = new ConcurrentLinkedQueue<>();
    private final SocksRelay socks;
    private final FlowRelay flows;
    /** False in legacy mode: the C mpclient knows no SOCKS, so a payload that looks marked is data. */
    private final boolean socksEnabled;
    private final AtomicLong toTarget = new AtomicLong();
    private final AtomicLong fromTarget = new AtomicLong();
    private final AtomicLong targetDropped = new AtomicLong();
    private final EmptyDatagramBudget empties = new EmptyDatagramBudget();
    private final LogGate openFailedLog = LogGate.perSecond();
    private final LogGate replyFailedLog = LogGate.perSecond();
    /** Session lines: every one in normal use, a few per second under a flood of sessions. */
    private final LogGate sessionLog = new LogGate(Duration.ofSeconds(1), 10);
    /**
     * Tunnel I/O thread only: SOCKS payloads are copied here, as {@link SocksRelay} reads arrays;
     * classic ones go to the target from the tunnel's own buffer.
     */
    private final byte[] socksBuffer = new byte[MAX_DATAGRAM];
    private final ByteBuffer socksView = ByteBuffer.wrap(socksBuffer);
    private final Thread replier;
    private volatile boolean closed;

    /** A channel for the selector thread to register, with what its key carries. */
    private record Registration(DatagramChannel channel, Object attachment) {
    }

    private TargetForwarder(TunnelConfig config, InetSocketAddress target, Selector selector,
                            SocksSettings socksSettings, FlowSettings flowSettings) throws IOException {
        this.target = target;
        this.idleNanos = config.sessionIdleTimeout().toNanos();
        this.selector = selector;
        this.socksEnabled = !config.wireFormat().isLegacy();
        this.socks = new SocksRelay(socksSettings.allow(), new NameResolver(socksSettings.dnsCacheTtl()),
                socksSettings.budget(), socksSettings.dnsCacheTtl().toNanos(), idleNanos, flowSettings.timeouts(),
                link -> {
                    toRegister.add(new Registration(link.channel, link));
                    selector.wakeup();
                });
        this.flows = new FlowRelay(target, socks, flowSettings.budget(), flowSettings.timeouts(), empties, flow -> {
            toRegister.add(new Registration(flow.channel, flow));
            selector.wakeup();
        });
        // Last: the handler runs from the first datagram on and uses every field above, which the
        // start of the tunnel's I/O thread publishes to it.
        try {
            this.tunnel = MultipathDatagramSocket.open(config.withReceiveHandler(this::fromTunnel));
        } catch (IOException | RuntimeException e) {
            flows.close();
            socks.close();
            throw e;
        }
        this.replier = new Thread(this::readTargets, "mpserver-target-" + tunnel.getLocalPort());
    }

    /**
     * Opens the tunnel server socket and starts forwarding.
     *
     * @param config the server configuration (its bind address is where clients' paths arrive)
     * @param target where each session's datagrams go
     * @return the running forwarder
     * @throws IOException if the server port cannot be bound
     */
    public static TargetForwarder start(TunnelConfig config, InetSocketAddress target) throws IOException {
        return start(config, target, SocksSettings.onlyTarget(target));
    }

    /**
     * What SOCKS sessions may reach, how long a resolved name is used, and how many sockets they
     * may hold.
     *
     * @param allow       the destinations SOCKS datagrams may reach
     * @param dnsCacheTtl how long a domain name's answer is used (at most 60 s is sensible)
     * @param budget      the bounds on destination sockets
     */
    public record SocksSettings(AllowList allow, Duration dnsCacheTtl, SocketBudget budget) {
        /** Settings with the default {@link SocketBudget}. */
        public SocksSettings(AllowList allow, Duration dnsCacheTtl) {
            this(allow, dnsCacheTtl, SocketBudget.DEFAULT);
        }

        /** @return settings that let SOCKS sessions reach {@code target} only */
        public static SocksSettings onlyTarget(InetSocketAddress target) {
            return new SocksSettings(AllowList.of(List.of(), target), Duration.ofSeconds(60));
        }
    }

    /**
     * Opens the tunnel server socket and starts forwarding, classic sessions to {@code target} and
     * SOCKS sessions to the destinations {@code socks} allows.
     *
     * @param config the server configuration (its bind address is where clients' paths arrive)
     * @param target where each classic session's datagrams go
     * @param socks  what SOCKS sessions may reach
     * @return the running forwarder
     * @throws IOException if the server port cannot be bound
     */
    public static TargetForwarder start(TunnelConfig config, InetSocketAddress target, SocksSettings socks)
            throws IOException {
        return start(config, target, socks, FlowSettings.DEFAULT);
    }

    /**
     * How many flows mpserver keeps, and for how long.
     *
     * @param budget   the bounds on flows
     * @param timeouts how long a flow may stay silent
     */
    public record FlowSettings(FlowBudget budget, FlowTimeouts timeouts) {
        /** The defaults. */
        public static final FlowSettings DEFAULT = new FlowSettings(FlowBudget.DEFAULT, FlowTimeouts.DEFAULT);
    }

    /**
     * Opens the tunnel server socket and starts forwarding: classic sessions to {@code target},
     * SOCKS sessions to the destinations {@code socks} allows, and each flow of a flow session as
     * its kind says.
     *
     * @param config the server configuration (its bind address is where clients' paths arrive)
     * @param target where each classic session's and classic flow's datagrams go
     * @param socks  what SOCKS sessions and flows may reach
     * @param flows  how many flows are kept, and for how long
     * @return the running forwarder
     * @throws IOException if the server port cannot be bound
     */
    public static TargetForwarder start(TunnelConfig config, InetSocketAddress target, SocksSettings socks,
                                        FlowSettings flows) throws IOException {
        Selector selector = Selector.open();
        TargetForwarder forwarder;
        try {
            forwarder = new TargetForwarder(config, target, selector, socks, flows);
        } catch (IOException | RuntimeException e) {
            selector.close();
            throw e;
        }
        forwarder.replier.start();
        return forwarder;
    }

    /** @return where the tunnel server listens */
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) tunnel.getLocalSocketAddress();
    }

    /** @return the tunnel socket's statistics */
    public TunnelStats tunnelStats() {
        return tunnel.stats();
    }

    /** @return how many sessions have a socket towards the target now */
    public int targetSockets() {
        return links.size();
    }

    /** @return datagrams written to the target */
    public long toTarget() {
        return toTarget.get();
    }

    /** @return datagrams read from the target */
    public long fromTarget() {
        return fromTarget.get();
    }

    /**
     * @return datagrams the target's sockets could not take (full buffer, ICMP error, an empty
     *         datagram over its budget)
     */
    public long targetDropped() {
        return targetDropped.get();
    }

    /** @return empty datagrams sent to the target and to SOCKS destinations, each from a socket of its own */
    public long emptySent() {
        return empties.sent() + socks.emptySent();
    }

    /** @return empty datagrams dropped over their budget ({@link EmptyDatagramBudget}) */
    public long emptyRefused() {
        return empties.refused() + socks.emptyRefused();
    }

    /** @return the SOCKS side's counters and sizes, for statistics lines */
    public SocksCounters socksCounters() {
        return new SocksCounters(socks.sessions(), socks.sockets(), socks.toDestinations(), socks.fromDestinations(),
                socks.denied(), socks.fragmented(), socks.malformed(), socks.unresolved(), socks.dropped(),
                socks.refused());
    }

    /**
     * A snapshot of the SOCKS side.
     *
     * @param sessions         SOCKS sessions now
     * @param sockets          destination sockets open now
     * @param toDestinations   datagrams sent to destinations
     * @param fromDestinations replies read from destinations
     * @param denied           datagrams to destinations outside the allow list
     * @param fragmented       datagrams with FRAG other than 0
     * @param malformed        payloads that were not a SOCKS UDP request
     * @param unresolved       datagrams to domain names that did not resolve
     * @param dropped          datagrams lost otherwise (full buffers, ICMP errors, no descriptor left)
     * @param refused          datagrams and sockets refused by the {@link SocketBudget}
     */
    public record SocksCounters(int sessions, int sockets, long toDestinations, long fromDestinations, long denied,
                                long fragmented, long malformed, long unresolved, long dropped, long refused) {
        /** @return the counters as the tools' statistics lines show them */
        public String line() {
            return "socks-sessions " + sessions + " socks-sockets " + sockets + " socks-sent " + toDestinations
                    + " socks-replies " + fromDestinations + " socks-denied " + denied + " socks-fragmented "
                    + fragmented + " socks-malformed " + malformed + " socks-unresolved " + unresolved
                    + " socks-dropped " + dropped + " socks-refused " + refused;
        }
    }

    /** @return the flow side's counters, for statistics lines */
    public String flowsLine() {
        return flows.line();
    }

    /**
     * The tunnel's receive handler, on its I/O thread: a classic datagram is written from the
     * tunnel's buffer to the session's target socket; a SOCKS one is copied for {@link SocksRelay};
     * a flow one goes to {@link FlowRelay}. A session's first datagram decides which it is.
     */
    private void fromTunnel(ByteBuffer payload, InetSocketAddress from) {
        if (closed) {
            return;
        }
        InetAddress session = from.getAddress();
        if (socksEnabled && !links.containsKey(session)) {
            // A flow session's payloads never go to the SOCKS relay, nor a SOCKS session's to flows.
            boolean flowSession = flows.has(session);
            if (!flowSession && socks.claims(session, payload)) {
                int length = payload.remaining();
                payload.get(socksBuffer, 0, length);
                socks.fromTunnel(session, from.getPort(), socksView.clear(), length);
                return;
            }
            if (flowSession || FlowFrame.hasMark(payload)) {
                flows.fromTunnel(session, from.getPort(), payload, socksView);
                return;
            }
        }
        toTarget(session, from.getPort(), payload);
    }

    private void toTarget(InetAddress session, int port, ByteBuffer datagram) {
        int start = datagram.position();
        for (int attempt = 0; attempt < 2; attempt++) {
            TargetLink link = links.get(session);
            if (link == null) {
                link = open(session, port);
                if (link == null) {
                    targetDropped.incrementAndGet();
                    return;
                }
            }
            link.lastActive = System.nanoTime();
            try {
                if (ConnectedSend.write(link.channel, datagram, empties)) {
                    toTarget.incrementAndGet();
                } else {
                    targetDropped.incrementAndGet(); // socket buffer full: lost, as on a network
                }
                return;
            } catch (ClosedChannelException e) {
                links.remove(session, link); // expired under us: open a fresh one, once
                if (closed) {
                    return;
                }
                datagram.position(start);
            } catch (IOException e) {
                targetDropped.incrementAndGet(); // e.g. the target's port is closed (an ICMP error)
                return;
            }
        }
    }

    private TargetLink open(InetAddress session, int port) {
        DatagramChannel channel;
        try {
            channel = ConnectedSend.open(target, SOCKET_BUFFER_BYTES);
        } catch (IOException e) {
            String note = openFailedLog.admit();
            if (note != null) {
                LOG.warn("cannot open a socket towards {}: {}{}", target, e.toString(), note);
            }
            return null;
        }
        TargetLink link = new TargetLink(new InetSocketAddress(session, port), channel);
        links.put(session, link);
        toRegister.add(new Registration(channel, link));
        selector.wakeup();
        String note = sessionLog.admit();
        if (note != null) {
            LOG.info("session {} opened: target socket {} ({} live){}", sessionId(session),
                    channel.socket().getLocalSocketAddress(), links.size(), note);
        }
        return link;
    }

    /** @return the session id a session address carries in its low 64 bits, in hex, for logs */
    static String sessionId(InetAddress session) {
        byte[] b = session.getAddress();
        long id = 0;
        for (int i = b.length - 8; i < b.length; i++) {
            id = (id << 8) | (b[i] & 0xFF);
        }
        return Long.toHexString(id);
    }

    private void readTargets() {
        // Room before the data for a SOCKS reply's header, so that it is written in place.
        ByteBuffer buffer = ByteBuffer.allocate(SocksRelay.REPLY_ROOM + MAX_DATAGRAM);
        DatagramPacket out = new DatagramPacket(buffer.array(), 0);
        long nextSweep = System.nanoTime() + SWEEP_NANOS;
        try {
            while (!closed) {
                for (Registration r; (r = toRegister.poll()) != null; ) {
                    try {
                        r.channel().register(selector, SelectionKey.OP_READ, r.attachment());
                    } catch (ClosedChannelException e) {
                        // closed before it was registered
                    }
                }
                selector.select(key -> {
                    if (key.attachment() instanceof TargetLink link) {
                        fromTarget(link, buffer, out);
                    } else if (key.attachment() instanceof FlowRelay.Flow flow) {
                        flows.fromTarget(flow, buffer, out, tunnel);
                    } else {
                        socks.fromDestination((SocksRelay.DestinationLink) key.attachment(), buffer, out, tunnel);
                    }
                }, 250);
                long now = System.nanoTime();
                if (now - nextSweep >= 0) {
                    sweep(now);
                    nextSweep = now + SWEEP_NANOS;
                }
            }
        } catch (IOException | ClosedSelectorException e) {
            if (!closed) {
                LOG.warn("target reader failed, mpserver stops returning replies: {}", e.toString());
            }
        }
    }

    private void fromTarget(TargetLink link, ByteBuffer buffer, DatagramPacket out) {
        for (int i = 0; i < 64; i++) {
            buffer.clear();
            // receive(), not read(): read() returns 0 for an empty reply too, which would be lost
            try {
                if (link.channel.receive(buffer) == null) {
                    return;
                }
            } catch (PortUnreachableException e) {
                targetDropped.incrementAndGet(); // an earlier write's ICMP error: the target is not listening
                continue;
            } catch (IOException e) {
                return;
            }
            int n = buffer.position();
            link.lastActive = System.nanoTime();
            fromTarget.incrementAndGet();
            out.setData(buffer.array(), 0, n);
            out.setSocketAddress(link.session);
            try {
                tunnel.send(out);
            } catch (IOException e) {
                String note = closed ? null : replyFailedLog.admit();
                if (note != null) {
                    LOG.debug("reply not sent into the tunnel: {}{}", e.toString(), note);
                }
            }
        }
    }

    /**
     * Closes the target sockets of sessions the tunnel no longer has, and of sessions that carried
     * nothing for the idle timeout. Links younger than the snapshot are spared: their session may
     * have been born after it.
     */
    private void sweep(long now) {
        long snapshotAt = System.nanoTime();
        Map<InetAddress, InetAddress> sources = new HashMap<>(); // every live session, with its source
        for (SessionStats s : tunnel.stats().sessions()) {
            sources.put(s.address().getAddress(),
                    s.paths().isEmpty() ? null : SocksRelay.sourceKey(s.paths().get(0).remote().getAddress()));
        }
        links.forEach((session, link) -> {
            boolean expired = !sources.containsKey(session) && link.createdAt - snapshotAt < 0;
            boolean idle = now - link.lastActive > idleNanos;
            if ((expired || idle) && links.remove(session, link)) {
                closeQuietly(link.channel);
                String note = sessionLog.admit();
                if (note != null) {
                    LOG.info("session {} {}: target socket closed ({} live){}", sessionId(session),
                            expired ? "expired" : "idle", links.size(), note);
                }
            }
        });
        socks.sweep(now, sources, snapshotAt);
        flows.sweep(now, sources, snapshotAt);
    }

    /** Stops forwarding and closes the tunnel and every target socket. */
    @Override
    public void close() {
        closed = true;
        tunnel.close(); // waits for its I/O thread, so the handler is done with the links
        selector.wakeup();
        try {
            replier.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        links.values().forEach(link -> closeQuietly(link.channel));
        links.clear();
        flows.close();
        socks.close();
        try {
            selector.close();
        } catch (IOException e) {
            LOG.debug("closing the selector", e);
        }
    }

    private static void closeQuietly(DatagramChannel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            LOG.debug("closing a target socket", e);
        }
    }

    /** One session's socket towards the target. */
    private static final class TargetLink {
        final InetSocketAddress session;
        final DatagramChannel channel;
        final long createdAt = System.nanoTime();
        volatile long lastActive = createdAt;

        TargetLink(InetSocketAddress session, DatagramChannel channel) {
            this.session = session;
            this.channel = channel;
        }
    }
}
