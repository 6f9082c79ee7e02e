package org.mptunnel.examples.client;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.mptunnel.DatagramTooLargeException;
import org.mptunnel.MultipathDatagramSocket;
import org.mptunnel.TunnelConfig;
import org.mptunnel.TunnelStats;
import org.mptunnel.examples.cli.LogLimit;
import org.mptunnel.examples.cli.StatsReport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The heart of mpclient: a local UDP socket for applications, and for every distinct local source
 * address its own tunnel client (so its own session), whose receive handler sends that session's
 * replies back to exactly that application, on the tunnel's I/O thread and straight from its
 * receive buffer. A session that carries nothing either way for the idle timeout is closed by the
 * local reader's sweep; the application's next datagram opens a new one.
 */
public final class LocalForwarder implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LocalForwarder.class);
    private static final int MAX_DATAGRAM = 65_535;
    private static final int SOCKET_BUFFER_BYTES = 4 << 20;
    private static final long OPEN_FAILURE_LOG_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final long TOO_LARGE_LOG_NANOS = TimeUnit.SECONDS.toNanos(60);
    private static final long PACED_LOG_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final long NANOS_PER_SECOND = TimeUnit.SECONDS.toNanos(1);
    /**
     * New sessions opened per second by default, and at once after a quiet second (mpclient
     * {@code --new-sessions-per-second}). Each costs a handshake (two X25519 operations and the
     * HKDF chains, on its own new I/O thread) and opening a socket and a thread on the reader
     * thread, which also forwards every existing application's datagrams: unpaced, 600 new local
     * ports at once held an existing application's round trip at 565 ms instead of 4.
     */
    public static final int DEFAULT_NEW_SESSIONS_PER_SECOND = 10;

    /**
     * Non-blocking: the reader waits on {@link #selector}, which also times the idle sweep, and the
     * tunnels' I/O threads write replies to it without ever blocking (a full buffer drops the
     * reply, as the network would).
     */
    private final DatagramChannel local;
    private final Selector selector;
    /** What new sessions open with; replaced when the paths change ({@link #tunnelConfig(TunnelConfig)}). */
    private volatile TunnelConfig tunnelConfig;
    private final long idleNanos;
    /** How often the reader looks for idle sessions. */
    private final long sweepMillis;
    private final int maxSessions;
    private final ConcurrentHashMap<SocketAddress, Session> sessions = new ConcurrentHashMap<>();
    /** Counters of closed sessions, so that totals survive expiry; guarded by itself. */
    private final StatsReport retired = new StatsReport();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong tooLarge = new AtomicLong();
    private final AtomicLong paced = new AtomicLong();
    /** New sessions per second, and the most opened at once. */
    private final int newSessionsPerSecond;
    /** Reader thread only: sessions that may open now (a token bucket), and when it was last filled. */
    private long newSessionTokens;
    private long tokensFilledAt;
    /** Reader thread only: when pacing was last logged, and what it held back since. */
    private long lastPacedLog;
    private long pacedSinceLog;
    /** Reader thread only: one line per application and minute about its too-large datagrams. */
    private final LogLimit tooLargeLog = new LogLimit(TOO_LARGE_LOG_NANOS, 1);
    private final Thread reader;
    private volatile boolean closed;
    /** Reader thread only. */
    private long lastOpenFailureLog;

    private LocalForwarder(DatagramChannel local, Selector selector, TunnelConfig tunnelConfig, Duration idleTimeout,
                           int maxSessions, int newSessionsPerSecond) {
        this.local = local;
        this.selector = selector;
        this.tunnelConfig = tunnelConfig;
        this.idleNanos = idleTimeout.toNanos();
        this.sweepMillis = Math.max(10, Math.min(1_000, TimeUnit.NANOSECONDS.toMillis(idleNanos) / 4));
        this.maxSessions = maxSessions;
        this.newSessionsPerSecond = newSessionsPerSecond;
        this.newSessionTokens = newSessionsPerSecond;
        this.tokensFilledAt = System.nanoTime();
        this.reader = new Thread(this::readLocal, "mpclient-local-" + local.socket().getLocalPort());
    }

    /**
     * Binds the local socket and starts forwarding.
     *
     * @param listen       where applications send
     * @param tunnelConfig the client configuration every session is opened with
     * @param idleTimeout  how long a session may carry nothing before it is closed
     * @param maxSessions  the most applications served at once; datagrams from more are dropped
     * @param newSessionsPerSecond new sessions opened per second, and at most at once; datagrams
     *                     from new applications beyond it are dropped (counted as paced) until a
     *                     session may open: the application's next datagram opens it
     * @return the running forwarder
     * @throws IOException if the local address cannot be bound
     */
    public static LocalForwarder start(InetSocketAddress listen, TunnelConfig tunnelConfig, Duration idleTimeout,
                                       int maxSessions, int newSessionsPerSecond) throws IOException {
        if (newSessionsPerSecond < 1) {
            throw new IllegalArgumentException("newSessionsPerSecond must be at least 1, got " + newSessionsPerSecond);
        }
        DatagramChannel local = DatagramChannel.open();
        Selector selector = null;
        try {
            local.setOption(StandardSocketOptions.SO_RCVBUF, SOCKET_BUFFER_BYTES);
            local.setOption(StandardSocketOptions.SO_SNDBUF, SOCKET_BUFFER_BYTES);
            local.bind(listen);
            local.configureBlocking(false);
            selector = Selector.open();
            local.register(selector, SelectionKey.OP_READ);
        } catch (IOException | RuntimeException e) {
            local.close();
            if (selector != null) {
                selector.close();
            }
            throw e;
        }
        LocalForwarder forwarder = new LocalForwarder(local, selector, tunnelConfig, idleTimeout, maxSessions,
                newSessionsPerSecond);
        forwarder.reader.start();
        return forwarder;
    }

    /** @return where applications send */
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) local.socket().getLocalSocketAddress();
    }

    /**
     * Any thread: sessions opened from now on use {@code next} (new paths); the live ones are
     * changed through {@link #tunnels()}.
     */
    public void tunnelConfig(TunnelConfig next) {
        this.tunnelConfig = next;
    }

    /** @return the tunnel socket of every session open now */
    public List<MultipathDatagramSocket> tunnels() {
        List<MultipathDatagramSocket> tunnels = new ArrayList<>();
        for (Session session : sessions.values()) {
            tunnels.add(session.tunnel);
        }
        return tunnels;
    }

    /** @return how many applications have a session now */
    public int sessionCount() {
        return sessions.size();
    }

    /** @return the statistics of every session, live and closed */
    public StatsReport stats() {
        StatsReport report = new StatsReport();
        synchronized (retired) {
            report.addClosed(retired);
        }
        for (Session s : sessions.values()) {
            report.add(s.tunnel.stats(), !s.tunnel.isClosed());
        }
        return report;
    }

    /** @return datagrams dropped because {@code maxSessions} applications were already served */
    public long refused() {
        return refused.get();
    }

    /** @return datagrams from new applications dropped because new sessions were opening too fast */
    public long paced() {
        return paced.get();
    }

    /** @return the forwarder's own counters as the statistics lines show them */
    public String line() {
        return "local-refused " + refused.get() + " local-paced " + paced.get() + " local-too-large " + tooLarge.get();
    }

    private void readLocal() {
        byte[] buffer = new byte[MAX_DATAGRAM];
        ByteBuffer in = ByteBuffer.wrap(buffer);
        // Only this thread sends into the tunnels, so one packet serves them all.
        DatagramPacket out = new DatagramPacket(buffer, 0);
        long nextSweep = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(sweepMillis);
        try {
            while (!closed) {
                if (selector.select(sweepMillis) > 0) {
                    selector.selectedKeys().clear();
                    // A bounded batch, so that a flood does not starve the sweep.
                    for (int i = 0; i < 64 && !closed; i++) {
                        SocketAddress app = local.receive(in.clear());
                        if (app == null) {
                            break;
                        }
                        out.setData(buffer, 0, in.position());
                        forward(app, out);
                    }
                }
                long now = System.nanoTime();
                if (now - nextSweep >= 0) {
                    expireIdle(now);
                    nextSweep = now + TimeUnit.MILLISECONDS.toNanos(sweepMillis);
                }
            }
        } catch (IOException | ClosedSelectorException e) {
            if (!closed) {
                LOG.warn("local socket failed, mpclient stops forwarding: {}", e.toString());
            }
        }
    }

    /** Reader thread: closes the sessions that carried nothing either way for the idle timeout. */
    private void expireIdle(long now) {
        for (Session session : sessions.values()) {
            if (now - session.lastActive > idleNanos) {
                session.expire();
            }
        }
    }

    private void forward(SocketAddress app, DatagramPacket out) {
        for (int attempt = 0; attempt < 2; attempt++) {
            Session session = sessions.get(app);
            if (session == null) {
                session = open(app);
                if (session == null) {
                    return;
                }
            }
            session.touch();
            try {
                session.tunnel.send(out);
                return;
            } catch (SocketException e) {
                // The session expired between the lookup and the send: open a fresh one, once.
                if (!session.tunnel.isClosed()) {
                    LOG.debug("send towards the tunnel failed", e);
                    return;
                }
            } catch (DatagramTooLargeException e) {
                tooLarge.incrementAndGet(); // dropped, as UDP would; the application hears nothing
                if (tooLargeLog.allow(app, System.nanoTime())) {
                    LOG.warn("datagram from {} dropped: {} (said once a minute per application){}", app,
                            e.getMessage(), tooLargeLog.takeSuppressed());
                }
                return;
            } catch (IOException e) {
                LOG.debug("datagram not sent: {}", e.toString());
                return;
            }
        }
    }

    private Session open(SocketAddress app) {
        if (sessions.size() >= maxSessions) {
            if (refused.getAndIncrement() == 0) {
                LOG.warn("{} applications already served (--max-sessions): datagrams from more are dropped",
                        maxSessions);
            }
            return null;
        }
        if (!mayOpenNow()) {
            return null;
        }
        Session session;
        try {
            session = new Session((InetSocketAddress) app);
        } catch (IOException | RuntimeException e) {
            long now = System.nanoTime();
            if (lastOpenFailureLog == 0 || now - lastOpenFailureLog > OPEN_FAILURE_LOG_NANOS) {
                lastOpenFailureLog = now;
                LOG.warn("cannot open a tunnel session for {}: {}", app, e.toString());
            }
            return null;
        }
        sessions.put(app, session);
        LOG.info("new application {}: session {} opened ({} live)", app,
                Long.toHexString(session.tunnel.stats().sessions().get(0).sessionId()), sessions.size());
        return session;
    }

    /**
     * Reader thread: whether a new session may open now under {@code newSessionsPerSecond}; if not,
     * the datagram is counted as paced, and said once per interval with the count held back.
     */
    private boolean mayOpenNow() {
        long now = System.nanoTime();
        long earned = (now - tokensFilledAt) * newSessionsPerSecond / NANOS_PER_SECOND;
        if (newSessionTokens + earned >= newSessionsPerSecond) {
            newSessionTokens = newSessionsPerSecond; // full: time spent full earns nothing
            tokensFilledAt = now;
        } else if (earned > 0) {
            newSessionTokens += earned;
            tokensFilledAt += earned * NANOS_PER_SECOND / newSessionsPerSecond;
        }
        if (newSessionTokens > 0) {
            newSessionTokens--;
            return true;
        }
        paced.incrementAndGet();
        pacedSinceLog++;
        if (lastPacedLog == 0 || now - lastPacedLog > PACED_LOG_NANOS) {
            lastPacedLog = now;
            LOG.warn("new applications arrive faster than --new-sessions-per-second ({}): {} datagrams from new"
                    + " applications dropped (said once per 10 s)", newSessionsPerSecond, pacedSinceLog);
            pacedSinceLog = 0;
        }
        return false;
    }

    /** Stops forwarding and closes every socket. */
    @Override
    public void close() {
        closed = true;
        selector.wakeup();
        try {
            reader.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeQuietly(local);
        for (Session session : sessions.values()) {
            session.close();
        }
        closeQuietly(selector);
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception e) {
            LOG.debug("closing {}", closeable, e);
        }
    }

    /** One application's tunnel session, whose receive handler returns its replies. */
    private final class Session {
        final InetSocketAddress app;
        final MultipathDatagramSocket tunnel;
        final AtomicBoolean closing = new AtomicBoolean();
        volatile long lastActive = System.nanoTime();

        Session(InetSocketAddress app) throws IOException {
            this.app = app;
            // Last: the handler may run as soon as the tunnel is open, and uses the fields above.
            this.tunnel = MultipathDatagramSocket.open(tunnelConfig.withReceiveHandler(this::reply));
        }

        void touch() {
            lastActive = System.nanoTime();
        }

        /** The tunnel's I/O thread: one reply, from the tunnel's receive buffer to the application. */
        private void reply(ByteBuffer payload, InetSocketAddress from) {
            touch();
            try {
                local.send(payload, app); // 0 when the socket buffer is full: lost, as on a network
            } catch (IOException e) {
                if (!closed) {
                    LOG.debug("reply to {} not delivered: {}", app, e.toString());
                }
            }
        }

        private void expire() {
            sessions.remove(app, this);
            close();
            LOG.info("application {} idle: session closed ({} live)", app, sessions.size());
        }

        void close() {
            if (!closing.compareAndSet(false, true)) {
                return;
            }
            TunnelStats last = tunnel.stats();
            tunnel.close();
            synchronized (retired) {
                retired.add(last, false);
            }
        }
    }
}
