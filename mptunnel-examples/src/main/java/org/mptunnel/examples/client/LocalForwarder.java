package org.mptunnel.examples.client;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.mptunnel.MultipathDatagramSocket;
import org.mptunnel.TunnelConfig;
import org.mptunnel.TunnelStats;
import org.mptunnel.examples.cli.StatsReport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The heart of mpclient: a local UDP socket for applications, and for every distinct local source
 * address its own tunnel client (so its own session), with a thread that sends that session's
 * replies back to exactly that application. A session that carries nothing either way for the idle
 * timeout is closed; the application's next datagram opens a new one.
 */
public final class LocalForwarder implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LocalForwarder.class);
    private static final int MAX_DATAGRAM = 65_535;
    private static final int SOCKET_BUFFER_BYTES = 4 << 20;
    private static final long OPEN_FAILURE_LOG_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final DatagramSocket local;
    private final TunnelConfig tunnelConfig;
    private final long idleNanos;
    private final int maxSessions;
    private final ConcurrentHashMap<SocketAddress, Session> sessions = new ConcurrentHashMap<>();
    /** Counters of closed sessions, so that totals survive expiry; guarded by itself. */
    private final StatsReport retired = new StatsReport();
    private final AtomicLong refused = new AtomicLong();
    private final Thread reader;
    private volatile boolean closed;
    /** Reader thread only. */
    private long lastOpenFailureLog;

    private LocalForwarder(DatagramSocket local, TunnelConfig tunnelConfig, Duration idleTimeout, int maxSessions) {
        this.local = local;
        this.tunnelConfig = tunnelConfig;
        this.idleNanos = idleTimeout.toNanos();
        this.maxSessions = maxSessions;
        this.reader = new Thread(this::readLocal, "mpclient-local-" + local.getLocalPort());
    }

    /**
     * Binds the local socket and starts forwarding.
     *
     * @param listen       where applications send
     * @param tunnelConfig the client configuration every session is opened with
     * @param idleTimeout  how long a session may carry nothing before it is closed
     * @param maxSessions  the most applications served at once; datagrams from more are dropped
     * @return the running forwarder
     * @throws IOException if the local address cannot be bound
     */
    public static LocalForwarder start(InetSocketAddress listen, TunnelConfig tunnelConfig, Duration idleTimeout,
                                       int maxSessions) throws IOException {
        DatagramSocket local = new DatagramSocket(null);
        try {
            local.setReceiveBufferSize(SOCKET_BUFFER_BYTES);
            local.setSendBufferSize(SOCKET_BUFFER_BYTES);
            local.bind(listen);
        } catch (IOException | RuntimeException e) {
            local.close();
            throw e;
        }
        LocalForwarder forwarder = new LocalForwarder(local, tunnelConfig, idleTimeout, maxSessions);
        forwarder.reader.start();
        return forwarder;
    }

    /** @return where applications send */
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) local.getLocalSocketAddress();
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

    private void readLocal() {
        byte[] buffer = new byte[MAX_DATAGRAM];
        DatagramPacket in = new DatagramPacket(buffer, buffer.length);
        // Only this thread sends into the tunnels, so one packet serves them all.
        DatagramPacket out = new DatagramPacket(buffer, 0);
        while (!closed) {
            in.setData(buffer);
            try {
                local.receive(in);
            } catch (IOException e) {
                if (!closed) {
                    LOG.warn("local socket failed, mpclient stops forwarding: {}", e.toString());
                }
                return;
            }
            out.setData(buffer, 0, in.getLength());
            forward(in.getSocketAddress(), out);
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
            } catch (IOException e) {
                LOG.debug("datagram not sent: {}", e.toString()); // e.g. too large: dropped, as UDP would
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
        MultipathDatagramSocket tunnel;
        try {
            tunnel = MultipathDatagramSocket.open(tunnelConfig);
        } catch (IOException | RuntimeException e) {
            long now = System.nanoTime();
            if (lastOpenFailureLog == 0 || now - lastOpenFailureLog > OPEN_FAILURE_LOG_NANOS) {
                lastOpenFailureLog = now;
                LOG.warn("cannot open a tunnel session for {}: {}", app, e.toString());
            }
            return null;
        }
        Session session = new Session((InetSocketAddress) app, tunnel);
        sessions.put(app, session);
        session.replies.start();
        LOG.info("new application {}: session {} opened ({} live)", app,
                Long.toHexString(tunnel.stats().sessions().get(0).sessionId()), sessions.size());
        return session;
    }

    /** Stops forwarding and closes every socket. */
    @Override
    public void close() {
        closed = true;
        local.close();
        for (Session session : sessions.values()) {
            session.close();
        }
        try {
            reader.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** One application's tunnel session and the thread returning its replies. */
    private final class Session {
        final InetSocketAddress app;
        final MultipathDatagramSocket tunnel;
        final Thread replies;
        final AtomicBoolean closing = new AtomicBoolean();
        volatile long lastActive = System.nanoTime();

        Session(InetSocketAddress app, MultipathDatagramSocket tunnel) {
            this.app = app;
            this.tunnel = tunnel;
            this.replies = new Thread(this::returnReplies, "mpclient-replies-" + app.getPort());
            this.replies.setDaemon(true);
        }

        void touch() {
            lastActive = System.nanoTime();
        }

        private void returnReplies() {
            byte[] buffer = new byte[MAX_DATAGRAM];
            DatagramPacket in = new DatagramPacket(buffer, buffer.length);
            DatagramPacket out = new DatagramPacket(buffer, 0, app);
            try {
                // Wake up now and then to notice idleness; a reply resets the clock too.
                tunnel.setSoTimeout((int) Math.max(10, Math.min(1_000, TimeUnit.NANOSECONDS.toMillis(idleNanos) / 4)));
            } catch (SocketException e) {
                return;
            }
            while (!closed && !tunnel.isClosed()) {
                in.setData(buffer);
                try {
                    tunnel.receive(in);
                } catch (SocketTimeoutException e) {
                    if (System.nanoTime() - lastActive > idleNanos) {
                        expire();
                        return;
                    }
                    continue;
                } catch (IOException e) {
                    return; // closed
                }
                touch();
                out.setData(buffer, 0, in.getLength());
                try {
                    local.send(out);
                } catch (IOException e) {
                    if (closed) {
                        return;
                    }
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
