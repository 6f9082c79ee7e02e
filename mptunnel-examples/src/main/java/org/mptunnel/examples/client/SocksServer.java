package org.mptunnel.examples.client;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.mptunnel.MultipathDatagramSocket;
import org.mptunnel.TunnelConfig;
import org.mptunnel.TunnelStats;
import org.mptunnel.examples.cli.Endpoints;
import org.mptunnel.examples.cli.StatsReport;
import org.mptunnel.examples.socks.SocksUdp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * mpclient's SOCKS5 side (RFC 1928, UDP ASSOCIATE only; RFC 1929 username/password when
 * configured). Each control connection gets a thread; each association a UDP relay socket on the
 * address the client reached us on, one tunnel session (its own {@link MultipathDatagramSocket},
 * whose payloads carry the SOCKS mark), a thread from the relay socket into the tunnel, and the
 * tunnel's receive handler, which writes replies to the relay socket on the tunnel's I/O thread,
 * straight from its receive buffer. The association lives as long as its
 * TCP connection, and is released when that closes, or after the idle timeout without datagrams.
 */
public final class SocksServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SocksServer.class);
    private static final int MAX_DATAGRAM = 65_535;
    private static final int SOCKET_BUFFER_BYTES = 1 << 20;
    private static final int HANDSHAKE_TIMEOUT_MILLIS = 10_000;
    private static final int VERSION = 5;
    private static final int NO_AUTHENTICATION = 0x00;
    private static final int USERNAME_PASSWORD = 0x02;
    private static final int NO_ACCEPTABLE_METHOD = 0xFF;
    private static final int CMD_UDP_ASSOCIATE = 3;
    private static final int REP_SUCCEEDED = 0x00;
    private static final int REP_GENERAL_FAILURE = 0x01;
    private static final int REP_COMMAND_NOT_SUPPORTED = 0x07;
    private static final int REP_ADDRESS_TYPE_NOT_SUPPORTED = 0x08;

    /**
     * RFC 1929 credentials.
     *
     * @param user     the user name, 1 to 255 bytes
     * @param password the password, 1 to 255 bytes
     */
    public record Credentials(byte[] user, byte[] password) {
    }

    private final ServerSocket listener;
    private final TunnelConfig tunnelConfig;
    private final Credentials credentials;
    private final long idleNanos;
    private final int maxAssociations;
    private final Set<Association> associations = ConcurrentHashMap.newKeySet();
    /** Counters of closed associations' tunnels; guarded by itself. */
    private final StatsReport retired = new StatsReport();
    private final AtomicLong handshakesFailed = new AtomicLong();
    private final AtomicLong commandsRefused = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong fragmented = new AtomicLong();
    private final AtomicLong malformed = new AtomicLong();
    private final AtomicLong foreign = new AtomicLong();
    private final Thread acceptor;
    private volatile boolean closed;

    private SocksServer(ServerSocket listener, TunnelConfig tunnelConfig, Credentials credentials, Duration idleTimeout,
                        int maxAssociations) {
        this.listener = listener;
        this.tunnelConfig = tunnelConfig;
        this.credentials = credentials;
        this.idleNanos = idleTimeout.toNanos();
        this.maxAssociations = maxAssociations;
        this.acceptor = new Thread(this::accept, "mpclient-socks-" + listener.getLocalPort());
    }

    /**
     * Listens for SOCKS5 clients.
     *
     * @param listen          the TCP address; the associations' relay sockets are on the same host
     * @param tunnelConfig    the client configuration every association's session is opened with
     * @param credentials     required credentials, or null for no authentication
     * @param idleTimeout     how long an association may carry no datagram before it is released
     * @param maxAssociations the most associations at once; more are refused (general failure)
     * @return the running server
     * @throws IOException if the address cannot be bound
     */
    public static SocksServer start(InetSocketAddress listen, TunnelConfig tunnelConfig, Credentials credentials,
                                    Duration idleTimeout, int maxAssociations) throws IOException {
        ServerSocket listener = new ServerSocket();
        try {
            listener.bind(listen, 64);
        } catch (IOException e) {
            listener.close();
            throw e;
        }
        SocksServer server = new SocksServer(listener, tunnelConfig, credentials, idleTimeout, maxAssociations);
        server.acceptor.start();
        return server;
    }

    /** @return the TCP address SOCKS clients connect to */
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) listener.getLocalSocketAddress();
    }

    /** @return associations now */
    public int associations() {
        return associations.size();
    }

    /** Adds the tunnel statistics of every association, live and closed, to {@code report}. */
    public StatsReport addTo(StatsReport report) {
        synchronized (retired) {
            report.addClosed(retired);
        }
        for (Association a : associations) {
            report.add(a.tunnel.stats(), !a.tunnel.isClosed());
        }
        return report;
    }

    /** @return the SOCKS counters as the statistics lines show them */
    public String line() {
        return "socks-associations " + associations.size() + " socks-handshakes-failed " + handshakesFailed.get()
                + " socks-commands-refused " + commandsRefused.get() + " socks-refused " + refused.get()
                + " socks-fragmented " + fragmented.get() + " socks-malformed " + malformed.get()
                + " socks-foreign " + foreign.get();
    }

    private void accept() {
        while (!closed) {
            Socket control;
            try {
                control = listener.accept();
            } catch (IOException e) {
                if (!closed) {
                    LOG.warn("SOCKS listener failed, mpclient stops accepting SOCKS clients: {}", e.toString());
                }
                return;
            }
            Thread t = new Thread(() -> serve(control), "mpclient-socks-control-" + control.getPort());
            t.setDaemon(true);
            t.start();
        }
    }

    /** Runs one control connection: the handshake, then the association until either side ends it. */
    private void serve(Socket control) {
        Association association = null;
        try (control) {
            control.setSoTimeout(HANDSHAKE_TIMEOUT_MILLIS); // a silent client does not hold a thread for ever
            control.setTcpNoDelay(true);
            DataInputStream in = new DataInputStream(control.getInputStream());
            OutputStream out = control.getOutputStream();
            if (!negotiate(control, in, out)) {
                handshakesFailed.incrementAndGet();
                return;
            }
            association = request(control, in, out);
            if (association == null) {
                return;
            }
            association.watch(in);
        } catch (EOFException | SocketTimeoutException e) {
            handshakesFailed.incrementAndGet(); // truncated or stalled handshake: closed, nothing more to say
        } catch (IOException e) {
            if (!closed) {
                LOG.debug("SOCKS control connection from {}: {}", control.getRemoteSocketAddress(), e.toString());
            }
        } finally {
            if (association != null) {
                association.close();
            }
        }
    }

    /** Greeting and method selection, then RFC 1929 if configured. @return whether the client may go on */
    private boolean negotiate(Socket control, DataInputStream in, OutputStream out) throws IOException {
        if (in.readUnsignedByte() != VERSION) {
            return false; // not SOCKS5: no reply it would understand
        }
        byte[] methods = new byte[in.readUnsignedByte()];
        in.readFully(methods);
        int wanted = credentials == null ? NO_AUTHENTICATION : USERNAME_PASSWORD;
        boolean offered = false;
        for (byte m : methods) {
            offered |= (m & 0xFF) == wanted;
        }
        if (!offered) {
            out.write(new byte[] {VERSION, (byte) NO_ACCEPTABLE_METHOD});
            out.flush();
            return false;
        }
        out.write(new byte[] {VERSION, (byte) wanted});
        out.flush();
        if (credentials == null) {
            return true;
        }
        int version = in.readUnsignedByte();
        byte[] user = new byte[in.readUnsignedByte()];
        in.readFully(user);
        byte[] password = new byte[in.readUnsignedByte()];
        in.readFully(password);
        // Both compared, in constant time, so that timing tells nothing of which was wrong.
        boolean userOk = MessageDigest.isEqual(user, credentials.user());
        boolean passwordOk = MessageDigest.isEqual(password, credentials.password());
        boolean ok = version == 1 && userOk & passwordOk;
        out.write(new byte[] {1, (byte) (ok ? 0 : 1)});
        out.flush();
        if (!ok) {
            LOG.info("SOCKS client {}: wrong user name or password, connection closed",
                    Endpoints.format((InetSocketAddress) control.getRemoteSocketAddress()));
        }
        return ok;
    }

    /** Reads the request; refuses all but UDP ASSOCIATE. @return the association, or null if refused */
    private Association request(Socket control, DataInputStream in, OutputStream out) throws IOException {
        int version = in.readUnsignedByte();
        int command = in.readUnsignedByte();
        in.readUnsignedByte(); // RSV
        int addressType = in.readUnsignedByte();
        if (version != VERSION) {
            reply(out, REP_GENERAL_FAILURE, null);
            handshakesFailed.incrementAndGet();
            return null;
        }
        byte[] address;
        switch (addressType) {
            case SocksUdp.ATYP_IPV4 -> address = new byte[4];
            case SocksUdp.ATYP_IPV6 -> address = new byte[16];
            case SocksUdp.ATYP_DOMAIN -> address = new byte[in.readUnsignedByte()];
            default -> {
                reply(out, REP_ADDRESS_TYPE_NOT_SUPPORTED, null);
                handshakesFailed.incrementAndGet();
                return null;
            }
        }
        in.readFully(address);
        int port = in.readUnsignedShort();
        if (command != CMD_UDP_ASSOCIATE) {
            reply(out, REP_COMMAND_NOT_SUPPORTED, null); // CONNECT, BIND: this proxy carries UDP only
            commandsRefused.incrementAndGet();
            return null;
        }
        // RFC 1928 §7: datagrams come from the address the client names, or, if it names none, from its host.
        InetAddress clientIp = control.getInetAddress();
        if (addressType != SocksUdp.ATYP_DOMAIN && !isZero(address)) {
            clientIp = InetAddress.getByAddress(address);
        }
        if (associations.size() >= maxAssociations) {
            if (refused.getAndIncrement() == 0) {
                LOG.warn("{} SOCKS associations already live (--max-sessions): more are refused", maxAssociations);
            }
            reply(out, REP_GENERAL_FAILURE, null);
            return null;
        }
        Association association;
        try {
            association = open(control, clientIp, port);
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot open a SOCKS association for {}: {}", control.getRemoteSocketAddress(), e.toString());
            reply(out, REP_GENERAL_FAILURE, null);
            return null;
        }
        reply(out, REP_SUCCEEDED, association.relayAddress());
        control.setSoTimeout((int) Math.max(10, Math.min(1_000, TimeUnit.NANOSECONDS.toMillis(idleNanos) / 4)));
        association.start();
        return association;
    }

    private Association open(Socket control, InetAddress clientIp, int clientPort) throws IOException {
        DatagramChannel relay = DatagramChannel.open();
        Selector selector = null;
        Association association;
        try {
            relay.setOption(StandardSocketOptions.SO_RCVBUF, SOCKET_BUFFER_BYTES);
            relay.setOption(StandardSocketOptions.SO_SNDBUF, SOCKET_BUFFER_BYTES);
            relay.bind(new InetSocketAddress(control.getLocalAddress(), 0)); // where the client reached us
            // Non-blocking, so that the tunnel's I/O thread never waits on it; the outbound thread
            // waits on the selector instead.
            relay.configureBlocking(false);
            selector = Selector.open();
            relay.register(selector, SelectionKey.OP_READ);
            association = new Association(control, relay, selector, clientIp, clientPort);
        } catch (IOException | RuntimeException e) {
            relay.close();
            if (selector != null) {
                selector.close();
            }
            throw e;
        }
        associations.add(association);
        LOG.info("SOCKS association for {}: relay {}, session {} opened ({} live)", association.peer,
                Endpoints.format(association.relayAddress()),
                Long.toHexString(association.tunnel.stats().sessions().get(0).sessionId()), associations.size());
        return association;
    }

    private static boolean isZero(byte[] address) {
        for (byte b : address) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }

    /** Writes a reply: {@code bound}, or 0.0.0.0:0 for a failure. */
    private static void reply(OutputStream out, int code, InetSocketAddress bound) throws IOException {
        byte[] address = bound == null ? new byte[4] : bound.getAddress().getAddress();
        int port = bound == null ? 0 : bound.getPort();
        byte[] reply = new byte[6 + address.length];
        reply[0] = VERSION;
        reply[1] = (byte) code;
        reply[3] = (byte) (address.length == 4 ? SocksUdp.ATYP_IPV4 : SocksUdp.ATYP_IPV6);
        System.arraycopy(address, 0, reply, 4, address.length);
        reply[reply.length - 2] = (byte) (port >>> 8);
        reply[reply.length - 1] = (byte) port;
        out.write(reply);
        out.flush();
    }

    /** Stops accepting and releases every association. */
    @Override
    public void close() {
        closed = true;
        try {
            listener.close();
        } catch (IOException e) {
            LOG.debug("closing the SOCKS listener", e);
        }
        for (Association a : associations) {
            a.close();
        }
        try {
            acceptor.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** One UDP association: the client's relay socket, its tunnel session and the paths between them. */
    private final class Association {
        final Socket control;
        final DatagramChannel relay;
        final Selector selector;
        final MultipathDatagramSocket tunnel;
        final InetAddress clientIp;
        final InetSocketAddress relayAddress;
        /** The control connection's peer, as logs name the association. */
        final String peer;
        final AtomicBoolean closing = new AtomicBoolean();
        final Thread outbound;
        /** The client's UDP address: named in its request, or learnt from its first datagram. */
        volatile InetSocketAddress client;
        volatile long lastActive = System.nanoTime();

        Association(Socket control, DatagramChannel relay, Selector selector, InetAddress clientIp,
                    int clientPort) throws IOException {
            this.control = control;
            this.relay = relay;
            this.selector = selector;
            this.clientIp = clientIp;
            this.relayAddress = (InetSocketAddress) relay.socket().getLocalSocketAddress();
            this.peer = Endpoints.format((InetSocketAddress) control.getRemoteSocketAddress());
            this.client = clientPort == 0 ? null : new InetSocketAddress(clientIp, clientPort);
            this.outbound = new Thread(this::toTunnel, "mpclient-socks-out-" + relayAddress.getPort());
            outbound.setDaemon(true);
            // Last: the handler may run as soon as the tunnel is open, and uses the fields above.
            this.tunnel = MultipathDatagramSocket.open(tunnelConfig.withReceiveHandler(this::fromTunnel));
        }

        InetSocketAddress relayAddress() {
            return relayAddress;
        }

        void start() {
            outbound.start();
        }

        /**
         * Blocks while the control connection is open; whatever the client sends on it after the
         * request has no meaning and is discarded. Releases the association when idle.
         */
        void watch(InputStream in) throws IOException {
            byte[] discard = new byte[256];
            while (!closed && !closing.get()) {
                try {
                    if (in.read(discard) < 0) {
                        return; // the client closed it: RFC 1928 ends the association with it
                    }
                } catch (SocketTimeoutException e) {
                    if (System.nanoTime() - lastActive > idleNanos) {
                        LOG.info("SOCKS association for {} idle: releasing it", peer);
                        return;
                    }
                }
            }
        }

        /** Client datagrams (SOCKS header + data) into the tunnel, behind the mark, without copying. */
        private void toTunnel() {
            byte[] buffer = new byte[SocksUdp.MARK_LENGTH + MAX_DATAGRAM];
            SocksUdp.writeMark(buffer, 0);
            ByteBuffer in = ByteBuffer.wrap(buffer);
            DatagramPacket out = new DatagramPacket(buffer, 0);
            try {
                while (!closing.get()) {
                    selector.select();
                    selector.selectedKeys().clear();
                    while (!closing.get()) {
                        in.limit(buffer.length).position(SocksUdp.MARK_LENGTH);
                        SocketAddress from = relay.receive(in);
                        if (from == null) {
                            break;
                        }
                        toTunnel((InetSocketAddress) from, buffer, in.position() - SocksUdp.MARK_LENGTH, out);
                    }
                }
            } catch (IOException | ClosedSelectorException e) {
                // closed
            }
        }

        private void toTunnel(InetSocketAddress from, byte[] buffer, int length, DatagramPacket out) {
            if (!fromClient(from)) {
                foreign.incrementAndGet();
                return;
            }
            int header = SocksUdp.headerLength(buffer, SocksUdp.MARK_LENGTH, length);
            if (header < 0) {
                (header == SocksUdp.FRAGMENTED ? fragmented : malformed).incrementAndGet();
                return;
            }
            lastActive = System.nanoTime();
            out.setData(buffer, 0, SocksUdp.MARK_LENGTH + length);
            try {
                tunnel.send(out);
            } catch (IOException e) {
                if (!tunnel.isClosed()) {
                    LOG.debug("SOCKS datagram not sent: {}", e.toString()); // e.g. too large: dropped, as UDP would
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
         * The tunnel's receive handler, on its I/O thread: a reply (already with its SOCKS header,
         * from mpserver) goes to the client as it is, from the tunnel's buffer.
         */
        private void fromTunnel(ByteBuffer payload, InetSocketAddress from) {
            InetSocketAddress to = client;
            if (to == null) {
                return; // no datagram from the client yet, so nowhere to send
            }
            lastActive = System.nanoTime();
            try {
                relay.send(payload, to); // 0 when the socket buffer is full: lost, as on a network
            } catch (IOException e) {
                if (relay.isOpen()) {
                    LOG.debug("SOCKS reply to {} not delivered: {}", to, e.toString());
                }
            }
        }

        void close() {
            if (!closing.compareAndSet(false, true)) {
                return;
            }
            associations.remove(this);
            TunnelStats last = tunnel.stats();
            tunnel.close();
            try {
                relay.close();
                selector.close(); // wakes the outbound thread
            } catch (IOException e) {
                LOG.debug("closing a SOCKS relay socket", e);
            }
            try {
                control.close();
            } catch (IOException e) {
                LOG.debug("closing a SOCKS control connection", e);
            }
            synchronized (retired) {
                retired.add(last, false);
            }
            LOG.info("SOCKS association for {} closed: relay {} released ({} live)", peer,
                    Endpoints.format(relayAddress), associations.size());
        }
    }
}
