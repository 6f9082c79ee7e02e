package org.mptunnel.internal.engine;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.LongUnaryOperator;
import org.mptunnel.TunnelConfig;
import org.mptunnel.internal.crypto.Aead;
import org.mptunnel.internal.crypto.Handshake;
import org.mptunnel.internal.crypto.Transport;
import org.mptunnel.internal.crypto.X25519;
import org.mptunnel.internal.path.Path;
import org.mptunnel.internal.session.Session;
import org.mptunnel.internal.session.SessionAdmission;
import org.mptunnel.internal.window.DuplicateWindow;
import org.mptunnel.internal.wire.Header;
import org.mptunnel.internal.wire.Probe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.mptunnel.internal.wire.Sealed;

/**
 * The server role of protocol v2 (docs/PROTOCOL.md, "Protocol v2"): {@link ServerEngine}'s sessions
 * and paths, but a session exists only once an INITIATION authenticated and was answered, and every
 * other datagram is opened before anything about it is believed. The order in
 * {@link #onDatagram} is the point: header, session, duplicate window (a look, no record), open;
 * only then is a path learned, a session heard or the window moved.
 */
public final class SecureServerEngine extends SessionServerEngine {

    private static final Logger LOG = LoggerFactory.getLogger(SecureServerEngine.class);

    /** How far an initiation's timestamp may be from this server's clock. */
    static final long HANDSHAKE_SKEW_MICROS = TimeUnit.MINUTES.toMicros(10);
    /**
     * Handshake messages one source may have examined (HMACs and one AEAD open each) at once, then
     * per second; beyond it they are dropped unread. Far above what a client needs (one initiation
     * per path per keepalive interval while it waits), far below a flood.
     */
    static final int EXAMINE_BURST = 32;
    static final int EXAMINE_PER_SECOND = 16;

    /** Charged per answered handshake: two X25519 operations each. */
    private final SessionAdmission answers = new SessionAdmission();
    /** Charged per handshake message examined, before any cryptography. */
    private final SessionAdmission examined = new SessionAdmission(EXAMINE_BURST, EXAMINE_PER_SECOND);
    private final SourceLogLimit warnings = new SourceLogLimit(TimeUnit.MINUTES.toNanos(1));
    private final Handshake.Responder responder;
    /** I/O thread only: responses are written here. */
    private final ByteBuffer response = Header.allocate(Handshake.RESPONSE_LENGTH);
    /** The initiation being examined as it arrived: reading it opens it in place. */
    private final byte[] initiationAsReceived = new byte[Handshake.INITIATION_LENGTH];
    private final LongUnaryOperator lastAccepted = this::lastAccepted;

    private SecureServerEngine(TunnelConfig config, DatagramChannel channel) {
        super(config, channel);
        byte[] psk = config.preSharedKey();
        this.responder = new Handshake.Responder(psk, suiteOf(config), new X25519(new SecureRandom()),
                HANDSHAKE_SKEW_MICROS);
        java.util.Arrays.fill(psk, (byte) 0);
    }

    /**
     * How long a previous key generation still opens: a dead timeout, but at least 2 s, so that a
     * datagram sealed just before a switch by a thread that was then descheduled (a loaded
     * machine) still opens. Replays in the meantime are the duplicate window's to refuse.
     */
    static long graceNanos(long deadTimeoutNanos) {
        return Math.max(deadTimeoutNanos, TimeUnit.SECONDS.toNanos(2));
    }

    static Aead.Suite suiteOf(TunnelConfig config) {
        return config.aeadSuite() == TunnelConfig.AeadSuite.AES_256_GCM
                ? Aead.Suite.AES_256_GCM : Aead.Suite.CHACHA20_POLY1305;
    }

    /** Binds the server's channel and starts the I/O thread. */
    public static SecureServerEngine open(TunnelConfig config) throws IOException {
        return open(config, SecureServerEngine::new);
    }

    @Override
    public void send(byte[] data, int offset, int length, InetAddress address, int port) throws IOException {
        Session session = replyTarget(address, port);
        if (session == null) {
            return;
        }
        ByteBuffer sealed;
        try {
            sealed = encodeSealedData(session, session.transport(), data, offset, length);
        } catch (IllegalStateException expiredMeanwhile) {
            // The session expired or was evicted, and its keys destroyed, after it was looked up:
            // lost, as for a session that had already expired.
            totals.sendDropped.incrementShared();
            return;
        }
        session.fanOut(sealed);
    }

    @Override
    protected void onDatagram(InetSocketAddress source, ByteBuffer datagram, int length, long now) {
        if (length >= Header.LENGTH && datagram.get(Header.TYPE_OFFSET) == Handshake.TYPE_INITIATION) {
            onInitiation(source, datagram, length, now);
            return;
        }
        int type = Sealed.check(datagram, length);
        if (type < 0 || type == Header.TYPE_KEEPALIVE_ACK) {
            totals.malformed.increment(); // acks only ever go to clients
            return;
        }
        Session session = sessions.get(Header.sessionId(datagram));
        if (session == null) {
            totals.unknownSession.increment(); // only a handshake makes a session
            return;
        }
        long sequence = Header.sequence(datagram);
        if (type == Header.TYPE_DATA) {
            int verdict = session.judge(sequence);
            if (verdict != DuplicateWindow.FRESH) {
                session.countRefused(session.knownPath(source), verdict); // a copy: not worth opening
                return;
            }
        } else if (!session.freshProbe(sequence, false)) {
            totals.duplicates.increment(); // a replayed keepalive
            return;
        }
        int payload = session.transport().open(datagram, length, now);
        if (payload < 0) {
            totals.authFailed.increment();
            return;
        }
        if (type == Header.TYPE_KEEPALIVE && (payload != Probe.KEEPALIVE_LENGTH || !Probe.keepaliveValid(datagram))) {
            totals.malformed.increment(); // authentic, but not a keepalive this version knows
            return;
        }
        Path path = session.pathFrom(source, now);
        path.heard(now, length);
        session.heard(now);
        if (type == Header.TYPE_DATA) {
            admitData(session, path, sequence, Header.LENGTH, payload, session.address());
        } else {
            session.freshProbe(sequence, true);
            answerKeepalive(session, path, datagram);
        }
    }

    /** Turns the opened keepalive into its ack in place, seals it and sends it back on its path. */
    private void answerKeepalive(Session session, Path path, ByteBuffer datagram) {
        long reportedRttMicros = Probe.smoothedRttMicros(datagram);
        if (reportedRttMicros > 0) {
            path.rttReported(reportedRttMicros * 1_000);
        }
        // The receiver's report, as in version 1: what the client needs to measure its data's loss.
        Probe.turnIntoAck(datagram, epoch, session.receivedInbound(), session.newestInbound() + 1);
        datagram.limit(datagram.capacity());
        datagram.limit(session.transport().seal(datagram, Probe.ACK_LENGTH)).position(0);
        try {
            path.transmit(datagram);
        } catch (IOException e) {
            // closed: the loop is stopping
        }
    }

    private long lastAccepted(long sessionId) {
        Session session = sessions.get(sessionId);
        return session == null ? Long.MIN_VALUE : session.lastInitiationMicros();
    }

    /**
     * An INITIATION: examined only within the source's examination budget; answered only if it
     * authenticates, is newer than any accepted for its session, and the source's handshake budget
     * allows the X25519 work. The RESPONSE (72 bytes) is smaller than the initiation (84), and
     * nothing else is ever sent to a source that has not authenticated.
     */
    private void onInitiation(InetSocketAddress source, ByteBuffer datagram, int length, long now) {
        if (!examined.tryAdmit(source, now)) {
            totals.handshakesRefused.increment();
            return;
        }
        Session known = sessions.get(Header.sessionId(datagram));
        byte[] sameResponse = known == null ? null : known.responseToCopy(datagram, length, now, deadTimeoutNanos);
        if (sameResponse != null) {
            // A copy of the initiation just answered, from another of the client's paths, while
            // the client may still be waiting: the handshake deserves the redundancy the data gets.
            // The same response (smaller than the initiation, of use only to its sender) goes back
            // on the path the copy came from; no state changes, no path is learned from it.
            totals.handshakesRefused.increment(); // not a handshake of its own
            try {
                channel.send(ByteBuffer.wrap(sameResponse), source);
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
        Session session = sessions.get(initiation.sessionId);
        if (!answers.tryAdmit(source, now) || (session == null && !makeRoom(now))) {
            initiation.discard();
            totals.handshakesRefused.increment();
            return;
        }
        Handshake.Keys keys = responder.writeResponse(initiation, response);
        if (keys == null) {
            totals.handshakesRefused.increment(); // a low-order ephemeral key: only a key holder sends one
            return;
        }
        if (session == null) {
            session = newSession(initiation.sessionId, now);
            session.transport(new Transport(keys, now, graceNanos(deadTimeoutNanos))); // before senders can find it
            add(session);
        } else {
            session.transport().offer(keys, now);
        }
        session.lastInitiationMicros(initiation.timestampMicros);
        response.limit(Handshake.RESPONSE_LENGTH).position(0);
        session.answered(initiationAsReceived, response, now);
        Path path = session.pathFrom(source, now);
        path.heard(now, length);
        session.heard(now);
        totals.handshakes.increment();
        try {
            path.transmit(response);
        } catch (IOException e) {
            // closed: the loop is stopping
        }
    }

    private void refused(InetSocketAddress source, Handshake.Failure failure, long now) {
        switch (failure) {
            case MALFORMED:
                totals.malformed.increment();
                break;
            case AUTHENTICATION:
            case WRONG_SUITE:
                totals.authFailed.increment();
                if (warnings.allow(source.getAddress(), now)) {
                    LOG.warn("handshake from {} does not authenticate: {} (not logged again for this"
                            + " address for a minute)", source, failure == Handshake.Failure.WRONG_SUITE
                            ? "the client uses another cipher suite (aeadSuite)" : "another pre-shared key?");
                }
                break;
            default:
                totals.handshakesRefused.increment(); // a replay, a copy from another path, a clock far off
        }
    }

    @Override
    protected void released(Session session) {
        session.transport().destroy();
    }

    @Override
    public void close() {
        super.close();
        responder.destroy();
    }
}
