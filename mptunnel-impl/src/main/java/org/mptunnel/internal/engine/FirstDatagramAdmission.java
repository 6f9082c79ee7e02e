package org.mptunnel.internal.engine;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import org.mptunnel.internal.session.Session;
import org.mptunnel.internal.session.SessionAdmission;

/**
 * Protocol v1: the first valid datagram of an unknown id opens its session, if the source's rate
 * limit ({@link SessionAdmission}) and session limit allow and the table has room (a silent session
 * may be evicted for it). A source is an IP address (an IPv6 /64), whatever its ports.
 */
final class FirstDatagramAdmission implements Admission {

    private final ServerEngine engine;
    /**
     * New sessions one source may open at once, then per second: a host's churn (mpclient opens a
     * session per application socket, a resolver a socket per query) costs only its own share of
     * the table, which {@code maxSessionsPerSource} bounds; the rate bounds the work.
     */
    static final int BURST = 1024;
    static final int PER_SECOND = 1024;

    private final SessionAdmission rate = new SessionAdmission(BURST, PER_SECOND);

    FirstDatagramAdmission(ServerEngine engine) {
        this.engine = engine;
    }

    @Override
    public int handshakeType() {
        return -1;
    }

    @Override
    public void onHandshake(InetSocketAddress source, ByteBuffer datagram, int length, long nowNanos) {
        throw new IllegalStateException("protocol v1 has no handshake");
    }

    @Override
    public Session admit(long id, InetSocketAddress source, long now) {
        if (!rate.tryAdmit(source, now)) {
            engine.totals.sessionsRefused.increment();
            engine.refused(source, "new sessions faster than the per-source rate", now);
            return null;
        }
        return engine.makeRoom(source, now) ? engine.add(engine.newSession(id, source, now)) : null;
    }
}
