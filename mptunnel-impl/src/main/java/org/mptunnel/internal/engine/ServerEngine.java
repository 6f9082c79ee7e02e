package org.mptunnel.internal.engine;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.mptunnel.TunnelConfig;
import org.mptunnel.TunnelStats;
import org.mptunnel.internal.path.Path;
import org.mptunnel.internal.session.Session;
import org.mptunnel.internal.session.SessionAddress;
import org.mptunnel.internal.session.SessionAdmission;
import org.mptunnel.internal.session.SessionTable;
import org.mptunnel.internal.wire.Header;
import org.mptunnel.internal.wire.Probe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server role: one bound channel, many sessions. A session is found by the id in each datagram,
 * not by its source, and learns a path for every source address its datagrams come from.
 */
public final class ServerEngine extends BoundEngine {

    private static final Logger LOG = LoggerFactory.getLogger(ServerEngine.class);

    private final SessionTable sessions;
    private final SessionAdmission admission = new SessionAdmission();
    /** Random per server start, echoed in every keepalive-ack so that clients can tell a restart. */
    private final long epoch = new SecureRandom().nextLong();
    private final long idleNanos;
    /** A learned path silent this long is forgotten: long enough to ride out an outage of the path. */
    private final long forgetPathNanos;
    /** Built once: a lambda made in the timer would allocate on every tick. */
    private final Consumer<Session> onExpired = this::expired;

    private ServerEngine(TunnelConfig config, DatagramChannel channel) {
        super(config, channel);
        this.sessions = new SessionTable(config.maxSessions());
        this.idleNanos = config.sessionIdleTimeout().toNanos();
        this.forgetPathNanos = Math.min(idleNanos, 10 * deadTimeoutNanos);
    }

    /** Binds the server's channel and starts the I/O thread. */
    public static ServerEngine open(TunnelConfig config) throws IOException {
        return open(config, ServerEngine::new);
    }

    @Override
    public void send(byte[] data, int offset, int length, InetAddress address, int port) throws IOException {
        Session session = sessions.byAddress(address);
        if (session == null || port != SessionAddress.PORT) {
            if (port == SessionAddress.PORT && SessionAddress.isSessionAddress(address)) {
                totals.sendDropped.incrementShared(); // the session expired: lost, as UDP would lose it
                return;
            }
            throw new IllegalArgumentException(address + ":" + port
                    + " does not name a tunnel session; reply to the address receive() reported");
        }
        session.fanOut(encodeData(session, data, offset, length));
    }

    @Override
    protected void onDatagram(InetSocketAddress source, ByteBuffer datagram, int length, long now) {
        int type = Header.check(datagram, length);
        if (type == Header.MALFORMED || type == Header.TYPE_KEEPALIVE_ACK) {
            totals.malformed.increment(); // acks only ever go to clients
            return;
        }
        if (type == Header.TYPE_KEEPALIVE && !Probe.keepaliveValid(datagram)) {
            totals.malformed.increment();
            return;
        }
        long id = Header.sessionId(datagram);
        Session session = sessions.get(id);
        if (session == null) {
            session = openSession(id, source, now);
            if (session == null) {
                return;
            }
        }
        Path path = session.pathFrom(source, now);
        path.heard(now, length);
        session.heard(now);
        if (type == Header.TYPE_DATA) {
            admitData(session, path, datagram, length, session.address());
        } else {
            long reportedRttMicros = Probe.smoothedRttMicros(datagram);
            if (reportedRttMicros > 0) {
                path.rttReported(reportedRttMicros * 1_000);
            }
            // The receiver's report: what the client needs to measure its data's loss.
            Probe.turnIntoAck(datagram, epoch, session.receivedInbound(), session.newestInbound() + 1);
            try {
                path.transmit(datagram);
            } catch (IOException e) {
                // closed: the loop is stopping
            }
        }
    }

    private Session openSession(long id, InetSocketAddress source, long now) {
        if (!admission.tryAdmit(source, now)) {
            totals.sessionsRefused.increment();
            return null;
        }
        if (!sessions.hasRoom()) {
            Session evicted = sessions.evictSilent(now, deadTimeoutNanos);
            if (evicted == null) {
                totals.sessionsRefused.increment();
                return null;
            }
            LOG.debug("session {} evicted for a new one: silent with the table full", Long.toHexString(evicted.id()));
        }
        Session session = new Session(id, SessionAddress.of(id), config.duplicateWindow(), new Path[0], channel,
                config.maxPathsPerSession(), totals, now);
        // Numbered from the wall clock in microseconds, so that a restarted server's replies carry
        // higher numbers than the old server's (unless it sent more than one a microsecond) and the
        // client's window takes them at once, before any keepalive-ack reveals the new epoch.
        session.startOutboundAt(TimeUnit.MILLISECONDS.toMicros(System.currentTimeMillis()));
        sessions.add(session);
        LOG.debug("session {} opened ({} live)", Long.toHexString(id), sessions.size());
        return session;
    }

    @Override
    public long onTimer(long now) {
        sessions.checkLiveness(now, deadTimeoutNanos, forgetPathNanos, idleNanos, onExpired);
        return now + tickNanos;
    }

    private void expired(Session session) {
        LOG.debug("session {} expired ({} live)", Long.toHexString(session.id()), sessions.size());
    }

    @Override
    public TunnelStats stats() {
        return snapshot(sessions.snapshots());
    }
}
