package org.mptunnel.internal.engine;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.mptunnel.TunnelConfig;
import org.mptunnel.internal.crypto.Handshake;
import org.mptunnel.internal.crypto.Transport;
import org.mptunnel.internal.crypto.X25519;
import org.mptunnel.internal.path.Path;
import org.mptunnel.internal.session.Session;
import org.mptunnel.internal.session.TunnelCounters;
import org.mptunnel.internal.wire.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A protocol v2 client's handshakes, all on the I/O thread: the first at open, an INITIATION on
 * every path; a retry every keepalive interval (from 100 to 250 ms) while it goes unanswered, each
 * later one after twice the wait before; a rekey when the keys are due ({@code rekeyAfter},
 * {@code rekeyAfterDatagrams}); and one as soon as nothing from the server has opened for the dead
 * timeout (at least two keepalive intervals and 100 ms), every path down while keepalives went
 * out: how a restarted server (that lost the session's keys and answers nothing it cannot open) is
 * noticed quickly. An early handshake towards a server that did not restart is merely an early
 * rekey.
 *
 * <p>Datagrams sent before the first handshake completes wait in a queue (at most
 * {@value #EARLY_QUEUE} datagrams and {@value #EARLY_QUEUE_BYTES} bytes, copied; more are dropped
 * and counted), and are sealed and sent when it completes unless they waited longer than the dead
 * timeout: an application that sends once right after opening (a DNS or NTP query) is answered
 * without a retry of its own.
 */
final class ClientHandshake {

    private static final Logger LOG = LoggerFactory.getLogger(ClientHandshake.class);

    static final int EARLY_QUEUE = 256;
    /** What the early queue may hold in all, so that large datagrams cannot make it expensive. */
    static final int EARLY_QUEUE_BYTES = 256 * 1024;
    private static final long MIN_RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final long MAX_RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
    /**
     * Each retry waits twice as long as the one before, up to 4 times the first wait (so up to 1 s
     * at the default keepalive): a retry abandons the initiation before it, so on paths whose round
     * trip is longer than the wait no response would ever be in time; a longer cap would slow the
     * recovery from a server restart, which is also a retried handshake.
     */
    private static final int MAX_BACKOFF_SHIFT = 2;

    /** Sends a datagram once keys exist: the engine's own send. */
    @FunctionalInterface
    interface Sender {
        void send(byte[] data, int offset, int length) throws IOException;
    }

    private final Session session;
    private final TunnelCounters totals;
    private final Sender sender;
    private final Handshake.Initiator initiator;
    private final long deadTimeoutNanos;
    private final long rekeyNanos;
    private final long rekeyDatagrams;
    private final long retryNanos;
    /** Silence from the server, while keepalives go out, after which the client handshakes again. */
    private final long silenceNanos;
    private final ByteBuffer initiation = Header.allocate(Handshake.INITIATION_LENGTH);
    /** Datagrams sent before the first handshake completed; guarded by itself. */
    private final ArrayDeque<Early> early = new ArrayDeque<>();
    /** Guarded by {@link #early}: the payload bytes it holds. */
    private int earlyBytes;
    private long lastTimestampMicros;
    /** The key generation the handshake in flight proposes. */
    private int proposed;
    private long nextInitiation;
    /** Retries of the pending handshake so far (0 for its first initiation). */
    private int retries;
    /** When a datagram from the server last opened (or the engine opened). */
    private long lastOpenedNanos;

    private record Early(byte[] data, long sentNanos) {
    }

    ClientHandshake(TunnelConfig config, Session session, TunnelCounters totals, Sender sender, long keepaliveNanos,
                    long deadTimeoutNanos, long nowNanos) {
        this.session = session;
        this.totals = totals;
        this.sender = sender;
        byte[] psk = config.preSharedKey();
        this.initiator = new Handshake.Initiator(psk, KeySettings.suiteOf(config), new X25519(new SecureRandom()));
        Arrays.fill(psk, (byte) 0);
        this.deadTimeoutNanos = deadTimeoutNanos;
        this.rekeyNanos = config.rekeyAfter().toNanos();
        this.rekeyDatagrams = config.rekeyAfterDatagrams();
        this.retryNanos = Math.max(MIN_RETRY_NANOS, Math.min(keepaliveNanos, MAX_RETRY_NANOS));
        // Every path silent for the dead timeout (every path down), and at least two keepalive
        // rounds unanswered with a margin for a late ack on a busy machine.
        this.silenceNanos = Math.max(deadTimeoutNanos, 2 * keepaliveNanos + MIN_RETRY_NANOS);
        this.nextInitiation = nowNanos;
        this.lastOpenedNanos = nowNanos;
    }

    /**
     * Any thread: before the first handshake completes, queues the datagram (or drops it, counted,
     * if the queue is full); the lock is taken only while there are no keys.
     *
     * @return false if keys exist and the datagram is to be sealed and sent now
     */
    boolean holdUntilKeys(byte[] data, int offset, int length) {
        if (session.transport() != null) {
            return false;
        }
        synchronized (early) {
            if (session.transport() != null) {
                return false;
            }
            if (early.size() < EARLY_QUEUE && earlyBytes + length <= EARLY_QUEUE_BYTES) {
                early.add(new Early(Arrays.copyOfRange(data, offset, offset + length), System.nanoTime()));
                earlyBytes += length;
            } else {
                totals.sendDropped.incrementShared();
            }
            return true;
        }
    }

    /** Something from the server opened: it is alive. */
    void opened(long nowNanos) {
        lastOpenedNanos = nowNanos;
    }

    /**
     * @return when the next initiation (first, or a retry) is due, or {@code orElse} while keys are
     *         in use and no handshake is pending: then the time of the last one lies in the past, and
     *         a rekey or a silent server is judged at the timer's ordinary ticks
     */
    long nextInitiation(long orElse) {
        return initiator.pending() || session.transport() == null ? nextInitiation : orElse;
    }

    /** A RESPONSE arrived on {@code path}. */
    void onResponse(Path path, ByteBuffer datagram, int length, long now) {
        if (!initiator.pending()) {
            totals.handshakesRefused.increment(); // late: a retry's response came first
            return;
        }
        Handshake.Keys keys = initiator.readResponse(datagram, length);
        if (keys == null) {
            totals.authFailed.increment();
            return;
        }
        path.heard(now, length);
        session.heard(now);
        lastOpenedNanos = now;
        totals.handshakes.increment();
        Transport transport = session.transport();
        if (transport != null) {
            transport.install(keys, now);
            LOG.debug("session {}: keys of generation {} installed", Long.toHexString(session.id()), keys.generation);
            return;
        }
        Early[] waiting;
        synchronized (early) {
            session.transport(new Transport(keys, now, KeySettings.graceNanos(deadTimeoutNanos)));
            waiting = early.toArray(new Early[0]);
            early.clear();
            earlyBytes = 0;
        }
        LOG.debug("session {}: handshake complete", Long.toHexString(session.id()));
        for (Early queued : waiting) {
            if (now - queued.sentNanos() > deadTimeoutNanos) {
                totals.sendDropped.incrementShared();
                continue;
            }
            try {
                sender.send(queued.data(), 0, queued.data().length);
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    /**
     * Starts or retries a handshake when one is due: the first until it completes, a pending one
     * after {@link #retryNanos}, then twice as long each time, a rekey when the keys are due, and a
     * new handshake when nothing from the server has opened for {@link #silenceNanos}.
     */
    void handshakeIfDue(long now) {
        Transport keys = session.transport();
        boolean retry = initiator.pending();
        if (retry || keys == null) {
            if (now - nextInitiation < 0) {
                return;
            }
            proposed = keys == null ? 1 : proposed; // a retry proposes the same generation
        } else if (now - lastOpenedNanos > silenceNanos || keys.rekeyDue(now, rekeyNanos, rekeyDatagrams)) {
            proposed = keys.generation() + 1;
        } else {
            return;
        }
        lastTimestampMicros = Handshake.nextTimestamp(lastTimestampMicros,
                TimeUnit.MILLISECONDS.toMicros(System.currentTimeMillis()));
        initiator.writeInitiation(initiation, session.id(), lastTimestampMicros, proposed);
        initiation.limit(Handshake.INITIATION_LENGTH).position(0);
        for (Path path : session.paths()) {
            try {
                path.transmitControl(initiation);
            } catch (IOException e) {
                return; // closed
            }
        }
        retries = retry ? Math.min(retries + 1, MAX_BACKOFF_SHIFT) : 0;
        nextInitiation = now + (retryNanos << retries);
    }

    void destroy() {
        initiator.destroy();
    }
}
