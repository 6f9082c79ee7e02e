package org.mptunnel.internal.engine;

import java.net.InetAddress;
import java.nio.channels.DatagramChannel;
import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.mptunnel.TunnelConfig;
import org.mptunnel.TunnelStats;
import org.mptunnel.internal.path.Path;
import org.mptunnel.internal.session.Session;
import org.mptunnel.internal.session.SessionAddress;
import org.mptunnel.internal.session.SessionTable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What both servers with a session table share, in plaintext ({@link ServerEngine}) or sealed
 * ({@link SecureServerEngine}): the table, its limits, eviction and expiry, the epoch, and how a
 * reply address names a session. They differ only in what may create a session and how datagrams
 * are read and written.
 */
abstract class SessionServerEngine extends BoundEngine {

    private static final Logger LOG = LoggerFactory.getLogger(SessionServerEngine.class);

    protected final SessionTable sessions;
    /** Random per server start, echoed in every keepalive-ack so that clients can tell a restart. */
    protected final long epoch = new SecureRandom().nextLong();
    private final long idleNanos;
    /** A learned path silent this long is forgotten: long enough to ride out an outage of the path. */
    private final long forgetPathNanos;
    /** Built once: a lambda made in the timer would allocate on every tick. */
    private final Consumer<Session> onExpired = this::expired;

    protected SessionServerEngine(TunnelConfig config, DatagramChannel channel) {
        super(config, channel);
        this.sessions = new SessionTable(config.maxSessions());
        this.idleNanos = config.sessionIdleTimeout().toNanos();
        this.forgetPathNanos = Math.min(idleNanos, 10 * deadTimeoutNanos);
    }

    /**
     * Application threads: the session a reply is addressed to.
     *
     * @return the session, or null if it expired (the datagram is counted as a send drop, lost as
     *         UDP would lose it)
     * @throws IllegalArgumentException if the address names no session at all
     */
    protected final Session replyTarget(InetAddress address, int port) {
        Session session = sessions.byAddress(address);
        if (session != null && port == SessionAddress.PORT) {
            return session;
        }
        if (port == SessionAddress.PORT && SessionAddress.isSessionAddress(address)) {
            totals.sendDropped.incrementShared();
            return null;
        }
        throw new IllegalArgumentException(address + ":" + port
                + " does not name a tunnel session; reply to the address receive() reported");
    }

    /**
     * I/O thread: room for one more session, evicting one silent for a dead timeout if the table is
     * full.
     *
     * @return false (counted as a refused session) if the table is full of live sessions
     */
    protected final boolean makeRoom(long now) {
        if (sessions.hasRoom()) {
            return true;
        }
        Session evicted = sessions.evictSilent(now, deadTimeoutNanos);
        if (evicted == null) {
            totals.sessionsRefused.increment();
            return false;
        }
        released(evicted);
        LOG.debug("session {} evicted for a new one: silent with the table full", Long.toHexString(evicted.id()));
        return true;
    }

    /** I/O thread: a new session, not yet in the table (so that it can be completed before senders see it). */
    protected final Session newSession(long id, long now) {
        Session session = new Session(id, SessionAddress.of(id), config.duplicateWindow(), new Path[0], channel,
                config.maxPathsPerSession(), totals, now);
        // Numbered from the wall clock in microseconds, so that a restarted server's replies carry
        // higher numbers than the old server's (unless it sent more than one a microsecond) and the
        // client's window takes them at once, before any keepalive-ack reveals the new epoch.
        session.startOutboundAt(TimeUnit.MILLISECONDS.toMicros(System.currentTimeMillis()));
        return session;
    }

    /** I/O thread: puts a session made by {@link #newSession} in the table, after {@link #makeRoom}. */
    protected final Session add(Session session) {
        sessions.add(session);
        LOG.debug("session {} opened ({} live)", Long.toHexString(session.id()), sessions.size());
        return session;
    }

    /** I/O thread: a session left the table, expired or evicted; release what it holds. */
    protected void released(Session session) {
    }

    @Override
    public final long onTimer(long now) {
        sessions.checkLiveness(now, deadTimeoutNanos, forgetPathNanos, idleNanos, onExpired);
        return now + tickNanos;
    }

    private void expired(Session session) {
        released(session);
        LOG.debug("session {} expired ({} live)", Long.toHexString(session.id()), sessions.size());
    }

    @Override
    public final TunnelStats stats() {
        return snapshot(sessions.snapshots());
    }
}
