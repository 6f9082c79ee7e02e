package org.mptunnel.examples.client;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.mptunnel.DatagramTooLargeException;
import org.mptunnel.examples.cli.Endpoints;
import org.mptunnel.examples.cli.LogLimit;
import org.mptunnel.examples.flow.FlowFrame;
import org.mptunnel.examples.socks.SocksUdp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * mpclient's SOCKS5 side (RFC 1928, UDP ASSOCIATE only; RFC 1929 username/password when
 * configured). One thread serves the listener, every control connection and every association's
 * relay socket, all non-blocking, so a connection costs a descriptor and a small buffer, never a
 * thread. Each association has a UDP relay socket on the address the client reached us on and is a
 * SOCKS flow of mpclient's one tunnel session ({@link FlowTunnel}): its datagrams go with the flow
 * prefix in front of their SOCKS header, and its replies are written to the relay socket on the
 * tunnel's I/O thread, straight from its receive buffer.
 *
 * <p>Everything an outsider can make it hold is bounded ({@link Limits}): connections in all and
 * per source, the handshake's time from accept (however slowly the bytes come), associations, and
 * log lines. An association lives exactly as long as its control connection, whichever way that
 * ends, and no longer than the idle timeout without datagrams. Only the server's thread opens and
 * closes connections and associations, so the limits are checked and taken in one step.
 */
public final class SocksServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SocksServer.class);
    private static final int MAX_DATAGRAM = 65_535;
    private static final int SOCKET_BUFFER_BYTES = 1 << 20;
    /** Accepted connections or datagrams from one relay per wake-up, so that no source starves the others. */
    private static final int BATCH = 64;
    private static final long MIN_ACCEPT_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    private static final long MAX_ACCEPT_BACKOFF_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final long LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** The key of the association opened / closed lines in {@link #eventLogLimit}. */
    private static final String EVENT = "association";

    /**
     * RFC 1929 credentials.
     *
     * @param user     the user name, 1 to 255 bytes
     * @param password the password, 1 to 255 bytes
     */
    public record Credentials(byte[] user, byte[] password) {
    }

    /**
     * What SOCKS clients may hold at once.
     *
     * @param maxAssociations     associations; more are refused (reply 1, general failure)
     * @param maxConnections      TCP connections, in handshake or carrying an association; when
     *                            full, a new one takes the place of the oldest still in handshake,
     *                            or is closed at once if there is none
     * @param maxConnectionsPerIp TCP connections from one IP address (IPv6: one /64); more are
     *                            closed at once
     * @param handshakeTimeout    the time from accept to a complete request, however slowly its
     *                            bytes come
     * @param idleTimeout         how long an association may carry no datagram before it is released
     */
    public record Limits(int maxAssociations, int maxConnections, int maxConnectionsPerIp, Duration handshakeTimeout,
                         Duration idleTimeout) {
        /** Default of {@link #maxConnections}. */
        public static final int DEFAULT_MAX_CONNECTIONS = 512;
        /** Default of {@link #maxConnectionsPerIp}. */
        public static final int DEFAULT_MAX_CONNECTIONS_PER_IP = 64;
        /** Default of {@link #handshakeTimeout}. */
        public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);
    }

    private final ServerSocketChannel listener;
    private final Selector selector;
    private final SelectionKey acceptKey;
    private final InetSocketAddress localAddress;
    private final FlowTunnel tunnel;
    private final Credentials credentials;
    private final Limits limits;
    private final long handshakeNanos;
    private final long idleNanos;
    private final long sweepNanos;
    private final Thread thread;
    private volatile boolean closed;

    // The server thread's own state.
    /** Every open control connection, in the order accepted (so the oldest in handshake comes first). */
    private final LinkedHashSet<Control> controls = new LinkedHashSet<>();
    private final Map<InetAddress, Integer> perSource = new HashMap<>();
    private final LogLimit logLimit = new LogLimit(LOG_INTERVAL_NANOS, 1);
    /** Association opened / closed lines: a few per second, not one per association of a flood. */
    private final LogLimit eventLogLimit = new LogLimit(TimeUnit.SECONDS.toNanos(1), 10);
    private final byte[] buffer = new byte[FlowFrame.LENGTH + MAX_DATAGRAM];
    private final ByteBuffer in = ByteBuffer.wrap(buffer);
    private final DatagramPacket out = new DatagramPacket(buffer, 0);
    private final Consumer<SelectionKey> onReady = this::onReady;
    private long acceptBackoffNanos;
    private long acceptResumesAt;
    private boolean acceptPaused;

    // Read by the statistics thread.
    private final Set<Association> associations = ConcurrentHashMap.newKeySet();
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicLong connectionsRefused = new AtomicLong();
    private final AtomicLong connectionsEvicted = new AtomicLong();
    private final AtomicLong acceptErrors = new AtomicLong();
    private final AtomicLong handshakesFailed = new AtomicLong();
    private final AtomicLong handshakesTimedOut = new AtomicLong();
    private final AtomicLong commandsRefused = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong fragmented = new AtomicLong();
    private final AtomicLong malformed = new AtomicLong();
    private final AtomicLong foreign = new AtomicLong();
    private final AtomicLong tooLarge = new AtomicLong();

    private SocksServer(ServerSocketChannel listener, Selector selector, FlowTunnel tunnel,
                        Credentials credentials, Limits limits) throws IOException {
        this.listener = listener;
        this.selector = selector;
        this.acceptKey = listener.register(selector, SelectionKey.OP_ACCEPT);
        this.localAddress = (InetSocketAddress) listener.getLocalAddress();
        this.tunnel = tunnel;
        this.credentials = credentials;
        this.limits = limits;
        this.handshakeNanos = limits.handshakeTimeout().toNanos();
        this.idleNanos = limits.idleTimeout().toNanos();
        // Deadlines are kept to within a tenth of the handshake timeout and a quarter of the idle timeout.
        this.sweepNanos = Math.max(TimeUnit.MILLISECONDS.toNanos(10),
                Math.min(TimeUnit.SECONDS.toNanos(1), Math.min(handshakeNanos / 10, idleNanos / 4)));
        this.thread = new Thread(this::run, "mpclient-socks-" + localAddress.getPort());
    }

    /**
     * Listens for SOCKS5 clients.
     *
     * @param listen       the TCP address; the associations' relay sockets are on the same host
     * @param tunnel       the session every association's flow goes through
     * @param credentials  required credentials, or null for no authentication
     * @param limits       what clients may hold at once
     * @return the running server
     * @throws IOException if the address cannot be bound
     */
    public static SocksServer start(InetSocketAddress listen, FlowTunnel tunnel, Credentials credentials,
                                    Limits limits) throws IOException {
        ServerSocketChannel listener = ServerSocketChannel.open();
        Selector selector = null;
        SocksServer server;
        try {
            listener.bind(listen, 128);
            listener.configureBlocking(false);
            selector = Selector.open();
            server = new SocksServer(listener, selector, tunnel, credentials, limits);
        } catch (IOException | RuntimeException e) {
            listener.close();
            if (selector != null) {
                selector.close();
            }
            throw e;
        }
        server.thread.start();
        return server;
    }

    /** @return the TCP address SOCKS clients connect to */
    public InetSocketAddress localAddress() {
        return localAddress;
    }

    /** @return associations now */
    public int associations() {
        return associations.size();
    }

    /** @return the SOCKS counters as the statistics lines show them */
    public String line() {
        return "socks-associations " + associations.size() + " socks-handshakes-failed " + handshakesFailed.get()
                + " socks-commands-refused " + commandsRefused.get() + " socks-refused " + refused.get()
                + " socks-fragmented " + fragmented.get() + " socks-malformed " + malformed.get()
                + " socks-foreign " + foreign.get() + " socks-too-large " + tooLarge.get()
                + " socks-connections " + connections.get() + " socks-connections-refused " + connectionsRefused.get()
                + " socks-connections-evicted " + connectionsEvicted.get()
                + " socks-handshakes-timed-out " + handshakesTimedOut.get() + " socks-accept-errors " + acceptErrors.get();
    }

    private void run() {
        try {
            long nextSweep = System.nanoTime() + sweepNanos;
            while (!closed) {
                long wakeAt = acceptPaused && acceptResumesAt - nextSweep < 0 ? acceptResumesAt : nextSweep;
                long timeoutMillis = Math.max(1, TimeUnit.NANOSECONDS.toMillis(wakeAt - System.nanoTime()) + 1);
                selector.select(onReady, timeoutMillis);
                long now = System.nanoTime();
                if (acceptPaused && now - acceptResumesAt >= 0) {
                    acceptPaused = false;
                    acceptKey.interestOps(SelectionKey.OP_ACCEPT);
                }
                if (now - nextSweep >= 0) {
                    sweep(now);
                    nextSweep = now + sweepNanos;
                }
            }
        } catch (IOException | RuntimeException | Error e) {
            if (!closed) {
                LOG.error("the SOCKS server failed: mpclient stops accepting SOCKS clients", e);
            }
        } finally {
            for (Control c : new ArrayList<>(controls)) {
                c.close();
            }
            closeQuietly(listener);
            closeQuietly(selector);
        }
    }

    private void onReady(SelectionKey key) {
        if (!key.isValid()) {
            return; // closed earlier in this round
        }
        Object attachment = key.attachment();
        if (attachment == null) {
            accept();
            return;
        }
        Control control = attachment instanceof Association a ? a.control : (Control) attachment;
        try {
            if (attachment instanceof Association a) {
                a.fromClient();
            } else {
                control.onReadable();
            }
        } catch (RuntimeException e) {
            // A fault in one connection ends that connection and its association, not the server.
            LOG.error("SOCKS connection from {} failed", control.peer, e);
            control.close();
        }
    }

    private void accept() {
        for (int i = 0; i < BATCH; i++) {
            SocketChannel channel;
            try {
                channel = listener.accept();
            } catch (IOException e) {
                acceptFailed(e);
                return;
            }
            if (channel == null) {
                return;
            }
            acceptBackoffNanos = 0;
            admit(channel);
        }
    }

    /**
     * Out of descriptors (EMFILE, ENFILE) or another failure: the listener stays. The oldest
     * connection still in handshake makes room if there is one; else accepting pauses, for longer
     * each time up to a second, so that a pending connection does not make the thread spin.
     */
    private void acceptFailed(IOException e) {
        acceptErrors.incrementAndGet();
        long now = System.nanoTime();
        boolean evicted = evictOldestHandshake();
        if (!evicted) {
            acceptBackoffNanos = Math.min(MAX_ACCEPT_BACKOFF_NANOS,
                    Math.max(MIN_ACCEPT_BACKOFF_NANOS, acceptBackoffNanos * 2));
            acceptPaused = true;
            acceptResumesAt = now + acceptBackoffNanos;
            acceptKey.interestOps(0);
        }
        if (logLimit.allow("accept", now)) {
            LOG.warn("SOCKS listener cannot accept a connection ({}): {}, still listening{}", e.toString(),
                    evicted ? "closed the oldest connection in handshake" : "retrying in "
                            + TimeUnit.NANOSECONDS.toMillis(acceptBackoffNanos) + " ms", logLimit.takeSuppressed());
        }
    }

    private void admit(SocketChannel channel) {
        InetSocketAddress peer;
        try {
            peer = (InetSocketAddress) channel.getRemoteAddress();
        } catch (IOException e) {
            closeQuietly(channel); // already gone
            return;
        }
        InetAddress source = sourceOf(peer.getAddress());
        if (perSource.getOrDefault(source, 0) >= limits.maxConnectionsPerIp()) {
            refuse(channel, peer, "source", limits.maxConnectionsPerIp() + " connections from "
                    + Endpoints.format(peer) + "'s address already (--socks-max-connections-per-ip)");
            return;
        }
        if (connections.get() >= limits.maxConnections() && !evictOldestHandshake()) {
            refuse(channel, peer, "full", limits.maxConnections()
                    + " connections already, all carrying associations (--socks-max-connections)");
            return;
        }
        Control control;
        try {
            channel.configureBlocking(false);
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            control = new Control(channel, peer, source, System.nanoTime() + handshakeNanos);
        } catch (IOException e) {
            closeQuietly(channel);
            return;
        }
        controls.add(control);
        perSource.merge(source, 1, Integer::sum);
        connections.incrementAndGet();
    }

    private void refuse(SocketChannel channel, InetSocketAddress peer, String kind, String why) {
        closeQuietly(channel);
        connectionsRefused.incrementAndGet();
        long now = System.nanoTime();
        if (logLimit.allow(kind, now)) {
            LOG.warn("SOCKS connection from {} refused: {}{}", Endpoints.format(peer), why, logLimit.takeSuppressed());
        }
    }

    /** @return whether a connection still in handshake was closed to make room */
    private boolean evictOldestHandshake() {
        for (Control c : controls) {
            if (c.association == null) {
                connectionsEvicted.incrementAndGet();
                if (logLimit.allow("evicted", System.nanoTime())) {
                    LOG.warn("SOCKS connection from {} closed in its handshake to make room for a new one{}",
                            c.peer, logLimit.takeSuppressed());
                }
                c.close();
                return true;
            }
        }
        return false;
    }

    /** Closes the handshakes past their deadline and the associations idle for the idle timeout. */
    private void sweep(long now) {
        for (Control c : new ArrayList<>(controls)) {
            if (c.association == null) {
                if (now - c.deadline >= 0) {
                    handshakesTimedOut.incrementAndGet();
                    if (logLimit.allow("timeout", now)) {
                        LOG.warn("SOCKS connection from {} closed: no complete request within {} ms of accept{}",
                                c.peer, limits.handshakeTimeout().toMillis(), logLimit.takeSuppressed());
                    }
                    c.close();
                }
            } else if (now - c.association.lastActive() > idleNanos) {
                c.closeAssociation("idle for --idle-timeout");
            }
        }
    }

    /** @return the address whose connections count together: the IP, or for IPv6 its /64 */
    private static InetAddress sourceOf(InetAddress ip) {
        if (!(ip instanceof Inet6Address)) {
            return ip;
        }
        try {
            return InetAddress.getByAddress(Arrays.copyOf(Arrays.copyOf(ip.getAddress(), 8), 16));
        } catch (IOException e) {
            throw new IllegalStateException(e); // 16 bytes are always an address
        }
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception e) {
            LOG.debug("closing {}", closeable, e);
        }
    }

    /** Stops accepting and releases every connection and association. */
    @Override
    public void close() {
        closed = true;
        selector.wakeup();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** One TCP control connection: its handshake, then its association until either side ends it. */
    private final class Control {
        final SocketChannel channel;
        final String peer;
        final InetAddress source;
        final long deadline;
        final SocksHandshake handshake = new SocksHandshake(credentials);
        /** The handshake's bytes; dropped once it is over. */
        ByteBuffer pending = ByteBuffer.allocate(2 * SocksHandshake.MAX_MESSAGE);
        Association association;
        boolean closing;

        Control(SocketChannel channel, InetSocketAddress peer, InetAddress source, long deadline) throws IOException {
            this.channel = channel;
            this.peer = Endpoints.format(peer);
            this.source = source;
            this.deadline = deadline;
            channel.register(selector, SelectionKey.OP_READ, this);
        }

        void onReadable() {
            if (association != null) {
                watch();
                return;
            }
            int n;
            try {
                n = channel.read(pending);
            } catch (IOException e) {
                n = -1; // reset during the handshake
            }
            if (n < 0) {
                handshakesFailed.incrementAndGet(); // truncated: closed, nothing more to say
                close();
                return;
            }
            pending.flip();
            while (!closing && association == null) {
                SocksHandshake.Step step = handshake.feed(pending);
                switch (step) {
                    case MORE -> {
                        pending.compact();
                        return;
                    }
                    case REPLY -> {
                        if (!write(handshake.reply())) {
                            handshakesFailed.incrementAndGet();
                            close();
                        }
                    }
                    case REFUSE -> refused();
                    case ASSOCIATE -> associate();
                }
            }
        }

        /**
         * After the handshake nothing the client sends on the connection has a meaning: it is read
         * and discarded, and its end (FIN or reset) ends the association (RFC 1928 §7).
         */
        private void watch() {
            try {
                for (int i = 0; i < BATCH; i++) {
                    int n = channel.read(in.clear());
                    if (n < 0) {
                        closeAssociation("the client closed its control connection");
                        return;
                    }
                    if (n == 0) {
                        return;
                    }
                }
            } catch (IOException e) {
                closeAssociation("the control connection failed or was reset");
            }
        }

        private void refused() {
            SocksHandshake.Refusal why = handshake.refusal();
            (why == SocksHandshake.Refusal.COMMAND_NOT_SUPPORTED ? commandsRefused : handshakesFailed).incrementAndGet();
            write(handshake.reply());
            if (why == SocksHandshake.Refusal.BAD_CREDENTIALS && logLimit.allow(source, System.nanoTime())) {
                LOG.info("SOCKS client {}: wrong user name or password, connection closed{}", peer,
                        logLimit.takeSuppressed());
            }
            close();
        }

        private void associate() {
            pending = null;
            long now = System.nanoTime();
            if (associations.size() >= limits.maxAssociations()) {
                refused.incrementAndGet();
                if (logLimit.allow("max-associations", now)) {
                    LOG.warn("{} SOCKS associations already live (--max-flows): more are refused{}",
                            limits.maxAssociations(), logLimit.takeSuppressed());
                }
                write(SocksHandshake.failure(SocksHandshake.REP_GENERAL_FAILURE));
                close();
                return;
            }
            Association opened;
            try {
                // RFC 1928 §7: datagrams come from the address the client names, or, if it names none, from its host.
                InetAddress clientIp = handshake.requestedIp() ? InetAddress.getByAddress(handshake.requestedAddress())
                        : channel.socket().getInetAddress();
                opened = new Association(this, clientIp, handshake.requestedPort());
            } catch (IOException | RuntimeException e) {
                if (e instanceof FlowsFull) {
                    refused.incrementAndGet();
                }
                if (logLimit.allow("open-failed", now)) {
                    LOG.warn("cannot open a SOCKS association for {}: {}{}", peer, e.toString(),
                            logLimit.takeSuppressed());
                }
                write(SocksHandshake.failure(SocksHandshake.REP_GENERAL_FAILURE));
                close();
                return;
            }
            association = opened;
            associations.add(opened);
            if (eventLogLimit.allow(EVENT, now)) {
                LOG.info("SOCKS association for {}: relay {}, flow {} opened ({} live){}", peer,
                        Endpoints.format(opened.relayAddress), Integer.toHexString(opened.id()), associations.size(),
                        eventLogLimit.takeSuppressed());
            }
            if (!write(SocksHandshake.success(opened.relayAddress.getAddress().getAddress(),
                    opened.relayAddress.getPort()))) {
                closeAssociation("the client did not take its reply");
            }
        }

        /**
         * Writes a reply without waiting. Replies are a few bytes, and the client has had at most two
         * before: they fit in an empty send buffer, so one that does not go out whole means the
         * connection is broken.
         *
         * @return whether it went out whole
         */
        private boolean write(byte[] bytes) {
            if (bytes.length == 0) {
                return true;
            }
            ByteBuffer b = ByteBuffer.wrap(bytes);
            try {
                channel.write(b);
            } catch (IOException e) {
                return false;
            }
            return !b.hasRemaining();
        }

        void closeAssociation(String why) {
            Association a = association;
            close();
            if (eventLogLimit.allow(EVENT, System.nanoTime())) {
                LOG.info("SOCKS association for {} closed: relay {} released ({}; {} live){}", peer,
                        Endpoints.format(a.relayAddress), why, associations.size(), eventLogLimit.takeSuppressed());
            }
        }

        /** Closes the connection and its association; the one way either ends. */
        void close() {
            if (closing) {
                return;
            }
            closing = true;
            if (association != null) {
                association.release();
            }
            closeQuietly(channel);
            controls.remove(this);
            perSource.computeIfPresent(source, (ip, n) -> n == 1 ? null : n - 1);
            connections.decrementAndGet();
        }
    }

    /** One UDP association: the client's relay socket, and its flow in the tunnel. */
    private final class Association extends FlowTunnel.Flow {
        final Control control;
        final DatagramChannel relay;
        final SelectionKey relayKey;
        final InetAddress clientIp;
        final InetSocketAddress relayAddress;
        /** The client's UDP address: named in its request, or learnt from its first datagram. */
        volatile InetSocketAddress client;

        Association(Control control, InetAddress clientIp, int clientPort) throws IOException {
            super(FlowFrame.SOCKS);
            this.control = control;
            this.clientIp = clientIp;
            this.client = clientPort == 0 ? null : new InetSocketAddress(clientIp, clientPort);
            DatagramChannel channel = DatagramChannel.open();
            try {
                channel.setOption(StandardSocketOptions.SO_RCVBUF, SOCKET_BUFFER_BYTES);
                channel.setOption(StandardSocketOptions.SO_SNDBUF, SOCKET_BUFFER_BYTES);
                // Where the client reached us. Non-blocking, so that the tunnel's I/O thread never waits on it.
                channel.bind(new InetSocketAddress(control.channel.socket().getLocalAddress(), 0));
                channel.configureBlocking(false);
                this.relay = channel;
                this.relayAddress = (InetSocketAddress) channel.getLocalAddress();
                // Last: replies may come as soon as the flow has its id, and use the fields above.
                if (!tunnel.register(this)) {
                    throw new FlowsFull();
                }
                this.relayKey = channel.register(selector, SelectionKey.OP_READ, this);
            } catch (IOException | RuntimeException e) {
                tunnel.release(this);
                channel.close();
                throw e;
            }
        }

        /** Client datagrams (SOCKS header + data) into the tunnel, behind the flow prefix, without copying. */
        void fromClient() {
            try {
                for (int i = 0; i < BATCH; i++) {
                    in.limit(buffer.length).position(FlowFrame.LENGTH);
                    SocketAddress from = relay.receive(in);
                    if (from == null) {
                        return;
                    }
                    toTunnel((InetSocketAddress) from, in.position() - FlowFrame.LENGTH);
                }
            } catch (IOException e) {
                LOG.debug("SOCKS relay {} failed: {}", relayAddress, e.toString());
            }
        }

        private void toTunnel(InetSocketAddress from, int length) {
            if (!fromClient(from)) {
                foreign.incrementAndGet();
                return;
            }
            int header = SocksUdp.headerLength(buffer, FlowFrame.LENGTH, length);
            if (header < 0) {
                (header == SocksUdp.FRAGMENTED ? fragmented : malformed).incrementAndGet();
                return;
            }
            out.setData(buffer, 0, FlowFrame.LENGTH + length);
            try {
                tunnel.send(this, out);
            } catch (DatagramTooLargeException e) {
                tooLarge.incrementAndGet(); // dropped, as UDP would
                if (logLimit.allow(from, System.nanoTime())) {
                    LOG.warn("SOCKS datagram from {} dropped: {}{}", Endpoints.format(from), e.getMessage(),
                            logLimit.takeSuppressed());
                }
            } catch (IOException e) {
                if (!tunnel.isClosed()) {
                    LOG.debug("SOCKS datagram not sent: {}", e.toString());
                }
            }
        }

        private boolean fromClient(InetSocketAddress from) {
            InetSocketAddress known = client;
            if (known != null) {
                return known.getPort() == from.getPort() && known.getAddress().equals(from.getAddress());
            }
            if (!clientIp.equals(from.getAddress())) {
                return false;
            }
            client = from; // the first datagram names the client's port
            return true;
        }

        /**
         * The tunnel's I/O thread: a reply (already with its SOCKS header, from mpserver) goes to
         * the client as it is, from the tunnel's buffer.
         */
        @Override
        protected void deliver(ByteBuffer payload) {
            InetSocketAddress to = client;
            if (to == null) {
                return; // no datagram from the client yet, so nowhere to send
            }
            try {
                relay.send(payload, to); // 0 when the socket buffer is full: lost, as on a network
            } catch (IOException e) {
                if (relay.isOpen()) {
                    LOG.debug("SOCKS reply to {} not delivered: {}", to, e.toString());
                }
            }
        }

        /** Its control connection's {@link Control#close()} calls this, and nothing else. */
        void release() {
            associations.remove(this);
            tunnel.release(this);
            relayKey.cancel();
            closeQuietly(relay);
        }
    }

    /** The tunnel already carries its most flows: the association is refused. */
    private static final class FlowsFull extends IOException {
        FlowsFull() {
            super("the tunnel already carries its most flows (--max-flows)");
        }
    }
}
