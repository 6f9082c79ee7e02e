package org.mptunnel.internal.engine;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.function.LongUnaryOperator;
import org.mptunnel.TunnelConfig;
import org.mptunnel.internal.crypto.Handshake;
import org.mptunnel.internal.crypto.Transport;
import org.mptunnel.internal.crypto.X25519;
import org.mptunnel.internal.path.Path;
import org.mptunnel.internal.session.Session;
import org.mptunnel.internal.session.SessionAdmission;
import org.mptunnel.internal.wire.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Protocol v2 (docs/PROTOCOL.md, "Protocol v2"): a session exists only once an INITIATION
 * authenticated and was answered; a datagram of an unknown id creates nothing.
 */
final class HandshakeResponder implements Admission {

    private static final Logger LOG = LoggerFactory.getLogger(HandshakeResponder.class);

    /** How far an initiation's timestamp may be from this server's clock. */
    static final long HANDSHAKE_SKEW_MICROS = TimeUnit.MINUTES.toMicros(10);
    /**
     * Handshake messages one source (an IP address, an IPv6 /64, whatever its ports) may have
     * examined (HMACs and one AEAD open each) at once, then per second; beyond it they are dropped
     * unread. Above what a host needs (one initiation per path per keepalive interval while it
     * waits, for each of the dozens of sessions an mpclient may open at once), far below a flood.
     */
    static final int EXAMINE_BURST = 256;
    static final int EXAMINE_PER_SECOND = 64;

    private final ServerEngine engine;
    /** Charged per answered handshake: two X25519 operations each. */
    private final SessionAdmission answers = new SessionAdmission();
    /** Charged per handshake message examined, before any cryptography. */
    private final SessionAdmission examined = new SessionAdmission(EXAMINE_BURST, EXAMINE_PER_SECOND);
    private final SourceLogLimit warnings = new SourceLogLimit(TimeUnit.MINUTES.toNanos(1));
    private final Handshake.Responder responder;
    /** Responses are written here. */
    private final ByteBuffer response = Header.allocate(Handshake.RESPONSE_LENGTH);
    /** The initiation being examined as it arrived: reading it opens it in place. */
    private final byte[] initiationAsReceived = new byte[Handshake.INITIATION_LENGTH];
    private final LongUnaryOperator lastAccepted = this::lastAccepted;

    HandshakeResponder(ServerEngine engine, TunnelConfig config) {
        this.engine = engine;
        byte[] psk = config.preSharedKey();
        this.responder = new Handshake.Responder(psk, KeySettings.suiteOf(config), new X25519(new SecureRandom()),
                HANDSHAKE_SKEW_MICROS);
        Arrays.fill(psk, (byte) 0);
    }

    @Override
    public int handshakeType() {
        return Header.TYPE_INITIATION;
    }

    /** Only a handshake makes a session. */
    @Override
    public Session admit(long id, InetSocketAddress source, long nowNanos) {
        engine.totals.unknownSession.increment();
        return null;
    }

    private long lastAccepted(long sessionId) {
        Session session = engine.sessions.get(sessionId);
        return session == null ? Long.MIN_VALUE : session.lastInitiationMicros();
    }

    /**
     * An INITIATION: examined only within the source's examination budget; answered only if it
     * authenticates, is newer than any accepted for its session, and the source's handshake budget
     * allows the X25519 work. The RESPONSE (72 bytes) is smaller than the initiation (84), and
     * nothing else is ever sent to a source that has not authenticated.
     */
    @Override
    public void onHandshake(InetSocketAddress source, ByteBuffer datagram, int length, long now) {
        if (!examined.tryAdmit(source, now)) {
            engine.totals.handshakesRefused.increment();
            engine.refused(source, "handshake messages faster than the per-source rate", now);
            return;
        }
        Session known = engine.sessions.get(Header.sessionId(datagram));
        byte[] sameResponse = known == null ? null : known.responseToCopy(datagram, length, now, engine.deadTimeoutNanos);
        if (sameResponse != null) {
            // A copy of the initiation just answered, from another of the client's paths, while
            // the client may still be waiting: the handshake deserves the redundancy the data gets.
            // The same response (smaller than the initiation, of use only to its sender) goes back
            // on the path the copy came from; no state changes, no path is learned from it.
            engine.totals.handshakesRefused.increment(); // not a handshake of its own
            try {
                engine.sendTo(ByteBuffer.wrap(sameResponse), source);
            } catch (IOException e) {
                // closed: the loop is stopping
            }
            return;
        }
        if (length == Handshake.INITIATION_LENGTH) {
            datagram.get(0, initiationAsReceived);
        }
        Handshake.Initiation initiation = responder.readInitiation(datagram, length, lastAccepted,
                TimeUnit.MILLISECONDS.toMicros(System.currentTimeMillis()));
        if (!initiation.ok()) {
            refused(source, initiation.failure, now);
            return;
        }
        Session session = engine.sessions.get(initiation.sessionId);
        if (!answers.tryAdmit(source, now) || (session == null && !engine.makeRoom(source, now))) {
            initiation.discard();
            engine.totals.handshakesRefused.increment();
            return;
        }
        Handshake.Keys keys = responder.writeResponse(initiation, response);
        if (keys == null) {
            engine.totals.handshakesRefused.increment(); // a low-order ephemeral key: only a key holder sends one
            return;
        }
        if (session == null) {
            session = engine.newSession(initiation.sessionId, source, now);
            session.transport(new Transport(keys, now, KeySettings.graceNanos(engine.deadTimeoutNanos))); // before senders can find it
            engine.add(session);
        } else {
            session.transport().offer(keys, now);
        }
        session.lastInitiationMicros(initiation.timestampMicros);
        response.limit(Handshake.RESPONSE_LENGTH).position(0);
        session.answered(initiationAsReceived, response, now);
        Path path = session.pathFrom(source, now);
        path.heard(now, length);
        session.heard(now);
        engine.totals.handshakes.increment();
        try {
            path.transmitControl(response);
        } catch (IOException e) {
            // closed: the loop is stopping
        }
    }

    private void refused(InetSocketAddress source, Handshake.Failure failure, long now) {
        switch (failure) {
            case MALFORMED:
                engine.totals.malformed.increment();
                break;
            case AUTHENTICATION:
            case WRONG_SUITE:
                engine.totals.authFailed.increment();
                if (warnings.allow(source.getAddress(), now)) {
                    LOG.warn("handshake from {} does not authenticate: {} (not logged again for this"
                            + " address for a minute)", source, failure == Handshake.Failure.WRONG_SUITE
                            ? "the client uses another cipher suite (aeadSuite)" : "another pre-shared key?");
                }
                break;
            default:
                engine.totals.handshakesRefused.increment(); // a replay, a copy from another path, a clock far off
        }
    }

    @Override
    public void released(Session session) {
        session.transport().destroy();
    }

    @Override
    public void close() {
        responder.destroy();
    }
}
