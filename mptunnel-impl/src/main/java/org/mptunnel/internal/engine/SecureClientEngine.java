package org.mptunnel.internal.engine;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.mptunnel.TunnelConfig;
import org.mptunnel.TunnelStats;
import org.mptunnel.internal.crypto.Handshake;
import org.mptunnel.internal.crypto.Transport;
import org.mptunnel.internal.crypto.X25519;
import org.mptunnel.internal.path.Path;
import org.mptunnel.internal.session.AdaptivePlanner;
import org.mptunnel.internal.session.Session;
import org.mptunnel.internal.window.DuplicateWindow;
import org.mptunnel.internal.wire.Header;
import org.mptunnel.internal.wire.Probe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.mptunnel.internal.wire.Sealed;

/**
 * The client role of protocol v2: {@link ClientEngine}'s paths, keepalives and liveness, with a
 * handshake before anything is sealed and again to rekey.
 *
 * <p>Handshakes, all on the I/O thread: the first at open, an INITIATION on every path; a retry
 * every keepalive interval (from 100 to 250 ms) while it goes unanswered; a rekey when the keys are
 * due ({@code rekeyAfter}, {@code rekeyAfterDatagrams}); and one as soon as nothing from the server
 * has opened for the dead timeout (at least two keepalive intervals and 100 ms), every path down
 * while keepalives went out: how a restarted server
 * (that lost the session's keys and answers nothing it cannot open) is noticed quickly. An early
 * handshake towards a server that did not restart is merely an early rekey.
 *
 * <p>Datagrams sent before the first handshake completes wait in a queue (at most
 * {@value #EARLY_QUEUE} datagrams and {@value #EARLY_QUEUE_BYTES} bytes, copied; more are dropped
 * and counted), and are sealed and sent
 * when it completes unless they waited longer than the dead timeout: an application that sends
 * once right after opening (a DNS or NTP query) is answered without a retry of its own.
 */
public final class SecureClientEngine extends ConnectedEngine {

    private static final Logger LOG = LoggerFactory.getLogger(SecureClientEngine.class);

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

    private final Session session;
    private final Handshake.Initiator initiator;
    private final long rekeyNanos;
    private final long rekeyDatagrams;
    private final long retryNanos;
    /** Silence from the server, while keepalives go out, after which the client handshakes again. */
    private final long silenceNanos;
    /** I/O thread only: keepalives and initiations are written here. */
    private final ByteBuffer probe = Header.allocate(Header.LENGTH + Probe.ACK_LENGTH + 16);
    private final ByteBuffer initiation = Header.allocate(Handshake.INITIATION_LENGTH);
    /** Datagrams sent before the first handshake completed; guarded by itself. */
    private final ArrayDeque<Early> early = new ArrayDeque<>();
    /** Guarded by {@link #early}: the payload bytes it holds. */
    private int earlyBytes;
    private final long[] lastProbeSent;
    private final AdaptivePlanner planner;
    private long nextKeepalive;
    private long probeNumber;
    private long serverEpoch;
    private boolean epochKnown;
    /** I/O thread only: handshake state. */
    private long lastTimestampMicros;
    /** The key generation the handshake in flight proposes. */
    private int proposed;
    private long nextInitiation;
    /** I/O thread: retries of the pending handshake so far (0 for its first initiation). */
    private int retries;
    /** I/O thread only: when a datagram from the server last opened (or the engine opened). */
    private long lastOpenedNanos;

    private record Early(byte[] data, long sentNanos) {
    }

    private SecureClientEngine(TunnelConfig config, long sessionId, Path[] paths, InetSocketAddress peer, long now) {
        super(config, paths, peer);
        this.session = new Session(sessionId, peer, config.duplicateWindow(), paths, null, paths.length, totals, now);
        byte[] psk = config.preSharedKey();
        this.initiator = new Handshake.Initiator(psk, SecureServerEngine.suiteOf(config), new X25519(new SecureRandom()));
        java.util.Arrays.fill(psk, (byte) 0);
        this.rekeyNanos = config.rekeyAfter().toNanos();
        this.rekeyDatagrams = config.rekeyAfterDatagrams();
        this.retryNanos = Math.max(MIN_RETRY_NANOS, Math.min(keepaliveNanos, MAX_RETRY_NANOS));
        // Every path silent for the dead timeout (every path down), and at least two keepalive
        // rounds unanswered with a margin for a late ack on a busy machine.
        this.silenceNanos = Math.max(deadTimeoutNanos, 2 * keepaliveNanos + MIN_RETRY_NANOS);
        this.lastProbeSent = new long[paths.length];
        this.planner = config.redundancy().isAdaptive()
                ? new AdaptivePlanner(session, config.redundancy().targetLoss(), keepaliveNanos) : null;
        this.nextKeepalive = now;
        this.nextInitiation = now;
        this.lastOpenedNanos = now;
    }

    /** Opens one channel per path, bound and connected, and starts the I/O thread (which handshakes). */
    public static SecureClientEngine open(TunnelConfig config) throws IOException {
        long sessionId = new SecureRandom().nextLong();
        return open(config, (c, paths, peer, now) -> new SecureClientEngine(c, sessionId, paths, peer, now));
    }

    @Override
    public void send(byte[] data, int offset, int length, InetAddress address, int port) throws IOException {
        Transport keys = session.transport();
        if (keys == null) {
            synchronized (early) { // only until the first handshake completes
                keys = session.transport();
                if (keys == null) {
                    if (early.size() < EARLY_QUEUE && earlyBytes + length <= EARLY_QUEUE_BYTES) {
                        early.add(new Early(java.util.Arrays.copyOfRange(data, offset, offset + length), System.nanoTime()));
                        earlyBytes += length;
                    } else {
                        totals.sendDropped.incrementShared();
                    }
                    return;
                }
            }
        }
        session.fanOut(encodeSealedData(session, keys, data, offset, length));
    }

    @Override
    protected void onDatagram(Path path, ByteBuffer datagram, int length, long now) {
        if (length >= Header.LENGTH && datagram.get(Header.TYPE_OFFSET) == Handshake.TYPE_RESPONSE) {
            onResponse(path, datagram, length, now);
            return;
        }
        int type = Sealed.check(datagram, length);
        if (type < 0 || type == Header.TYPE_KEEPALIVE) {
            totals.malformed.increment(); // keepalives only ever go to servers
            return;
        }
        if (Header.sessionId(datagram) != session.id()) {
            totals.unknownSession.increment();
            return;
        }
        Transport keys = session.transport();
        if (keys == null) {
            totals.authFailed.increment(); // nothing can open before the first handshake
            return;
        }
        long sequence = Header.sequence(datagram);
        if (type == Header.TYPE_DATA) {
            int verdict = session.judge(sequence);
            if (verdict != DuplicateWindow.FRESH) {
                session.countRefused(path, verdict);
                return;
            }
        } else if (!session.freshProbe(sequence, false)) {
            totals.duplicates.increment(); // a replayed ack
            return;
        }
        int payload = keys.open(datagram, length, now);
        if (payload < 0) {
            totals.authFailed.increment();
            return;
        }
        if (type == Header.TYPE_KEEPALIVE_ACK && (payload != Probe.ACK_LENGTH || !Probe.ackValid(datagram))) {
            totals.malformed.increment();
            return;
        }
        path.heard(now, length);
        session.heard(now);
        lastOpenedNanos = now;
        if (type == Header.TYPE_DATA) {
            admitData(session, path, sequence, Header.LENGTH, payload, peer);
            return;
        }
        session.freshProbe(sequence, true);
        long rtt = System.nanoTime() - Probe.originTime(datagram);
        if (Probe.pathIndex(datagram) == path.index() && rtt >= 0 && rtt < ClientEngine.MAX_RTT_NANOS) {
            path.rttSample(rtt);
            path.probeLoss().acked(sequence);
        }
        noteServerEpoch(keys, Probe.epoch(datagram));
        if (session.reportedLoss().report(Probe.received(datagram), Probe.passed(datagram)) && planner != null) {
            planner.reported(now); // at once, not at the next tick: a burst shows within milliseconds
        }
    }

    /**
     * A new epoch in an authentic ack: the server restarted, and this session's keys are those of
     * a handshake with the new server. The old server's keys are erased at once, and then the
     * inbound window restarts (as in version 1, in case the new server's clock is behind): no
     * datagram of the old server can be opened, so none can be replayed into the fresh window.
     */
    private void noteServerEpoch(Transport keys, long epoch) {
        if (epochKnown && epoch != serverEpoch) {
            keys.dropPrevious();
            session.restartInbound();
            session.reportedLoss().restart();
            LOG.info("server {} restarted (epoch {} -> {})", peer,
                    Long.toHexString(serverEpoch), Long.toHexString(epoch));
        }
        serverEpoch = epoch;
        epochKnown = true;
    }

    private void onResponse(Path path, ByteBuffer datagram, int length, long now) {
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
            session.transport(new Transport(keys, now, SecureServerEngine.graceNanos(deadTimeoutNanos)));
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
                send(queued.data(), 0, queued.data().length, null, 0);
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    @Override
    public long onTimer(long now) {
        handshakeIfDue(now);
        Transport keys = session.transport();
        boolean round = now - nextKeepalive >= 0;
        if (round) {
            nextKeepalive = now + keepaliveNanos;
        }
        for (int i = 0; i < paths.length; i++) {
            Path path = paths[i];
            path.probeLoss().expire(now, ClientEngine.probeTimeout(path, keepaliveNanos));
            boolean inDoubt = planner != null || now - path.lastHeardNanos() > keepaliveNanos;
            if (keys != null && (round || (inDoubt && now - lastProbeSent[i] >= keepaliveNanos / 4))) {
                sendKeepalive(keys, path, now);
                lastProbeSent[i] = now;
            }
        }
        session.checkPaths(now, deadTimeoutNanos);
        if (planner != null) {
            planner.plan(now);
        }
        return Math.min(Math.min(nextKeepalive, nextInitiation), now + Math.min(tickNanos, keepaliveNanos / 4));
    }

    /**
     * Starts or retries a handshake when one is due: the first until it completes, a pending one
     * after {@link #retryNanos}, then twice as long each time, a rekey when the keys are due, and a new handshake when nothing
     * from the server has opened for {@link #silenceNanos}.
     */
    private void handshakeIfDue(long now) {
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
        for (Path path : paths) {
            try {
                path.transmit(initiation);
            } catch (IOException e) {
                return; // closed
            }
        }
        retries = retry ? Math.min(retries + 1, MAX_BACKOFF_SHIFT) : 0;
        nextInitiation = now + (retryNanos << retries);
    }

    private void sendKeepalive(Transport keys, Path path, long now) {
        long srtt = path.smoothedRttNanos();
        long number = probeNumber++;
        Probe.writeKeepalive(probe, session.id(), number, System.nanoTime(), path.index(),
                srtt < 0 ? 0 : TimeUnit.NANOSECONDS.toMicros(srtt));
        probe.put(Header.VERSION_OFFSET, Header.VERSION_SEALED).limit(probe.capacity());
        probe.limit(keys.seal(probe, Probe.KEEPALIVE_LENGTH)).position(0);
        try {
            if (path.transmit(probe)) {
                path.probeLoss().sent(number, now);
            }
        } catch (IOException e) {
            // closed: the loop is stopping
        }
    }

    @Override
    public void close() {
        super.close();
        initiator.destroy();
    }

    @Override
    public TunnelStats stats() {
        return snapshot(List.of(session.snapshot()));
    }
}
