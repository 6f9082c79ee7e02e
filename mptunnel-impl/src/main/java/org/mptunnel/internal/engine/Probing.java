package org.mptunnel.internal.engine;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.mptunnel.TunnelConfig;
import org.mptunnel.internal.crypto.Transport;
import org.mptunnel.internal.path.Path;
import org.mptunnel.internal.schedule.Scheduler;
import org.mptunnel.internal.session.Session;
import org.mptunnel.internal.wire.Header;
import org.mptunnel.internal.wire.Probe;
import org.mptunnel.internal.wire.Sealed;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client's keepalives and what their acks tell, for either tunnel format (the codec seals them
 * in v2): keepalives on every path, liveness, RTT and probe loss per path, the server's epoch, and
 * the server's receiver reports, which go to the scheduler: the session's, and per path what
 * arrived of the data sent on it ({@link org.mptunnel.internal.path.PathLoss}). The keepalives
 * carry this end's per-path reports on the server's replies in turn, to a server whose acks show
 * it counts per path (docs/PROTOCOL.md, "Per-path reports"). I/O thread only.
 */
final class Probing {

    private static final Logger LOG = LoggerFactory.getLogger(Probing.class);

    /** An RTT sample above this is a stale or forged echo, not a measurement. */
    static final long MAX_RTT_NANOS = TimeUnit.SECONDS.toNanos(60);
    /**
     * A session announces every path to the server as soon as it may (v1: at open; v2: when its
     * first handshake completes): a round of keepalives on every path at each of these offsets
     * from then. Four at once, because the server challenges each address once per datagram it
     * hears at first, and a path is validated, and so gets the session's replies, only if one
     * challenge and its answer both get through, all within the first round trip, before a
     * one-query client has its answer and closes; one more a little later, against a burst of
     * loss (docs/PROTOCOL.md, "First replies on every path").
     */
    static final long[] ANNOUNCE_AT = {0, 0, 0, 0, TimeUnit.MILLISECONDS.toNanos(2)};
    /** The shortest wait for a probe's ack before the probe counts as lost; see probeTimeout. */
    private static final long MIN_PROBE_TIMEOUT_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final Session session;
    private final Codec codec;
    private final Scheduler scheduler;
    private final InetSocketAddress peer;
    private final long keepaliveNanos;
    private final long deadTimeoutNanos;
    private final long tickNanos;
    /** Keepalives are written here (room for a v2 tag). */
    private final ByteBuffer probe = Header.allocate(Header.LENGTH + Probe.KEEPALIVE_LENGTH + Sealed.TAG_LENGTH);
    /** When each path was last probed, by path index. */
    private final long[] lastProbeSent = new long[TunnelConfig.MAX_PATHS];
    /** When each path last had a keepalive sent because of a path challenge ({@link #onChallenge}), by path index. */
    private final long[] lastChallengeProbe = new long[TunnelConfig.MAX_PATHS];
    /** By path index: whether the last ack it had came from a server that reports per path. */
    private final boolean[] serverReports = new boolean[TunnelConfig.MAX_PATHS];
    /** By path index: the number of that ack, and the server's data that had arrived on the path then. */
    private final long[] lastAckNumber = new long[TunnelConfig.MAX_PATHS];
    private final long[] arrivedAtAck = new long[TunnelConfig.MAX_PATHS];
    /** By path index: keepalives sent since that ack; see {@link #reportsTo}. */
    private final int[] keepalivesSinceAck = new int[TunnelConfig.MAX_PATHS];
    private long nextKeepalive;
    /** Announcement rounds sent so far, of {@link #ANNOUNCE_AT}, and when they started. */
    private int announced;
    private long announceStart;
    private long probeNumber;
    /** The server's epoch from its last keepalive-ack, once one has arrived. */
    private long serverEpoch;
    private boolean epochKnown;

    Probing(Session session, Codec codec, Scheduler scheduler, InetSocketAddress peer, long keepaliveNanos,
            long deadTimeoutNanos, long tickNanos, long nowNanos) {
        this.session = session;
        this.codec = codec;
        this.scheduler = scheduler;
        this.peer = peer;
        this.keepaliveNanos = keepaliveNanos;
        this.deadTimeoutNanos = deadTimeoutNanos;
        this.tickNanos = tickNanos;
        this.nextKeepalive = nowNanos;
        this.announceStart = nowNanos;
    }

    /** The session's keys have just arrived (v2): the announcements start now. */
    void keysArrived(long nowNanos) {
        announceStart = nowNanos;
    }

    /**
     * Every interval, a keepalive on every path. A path that has heard nothing for a whole interval
     * is in doubt: it is probed four times as often until it answers, so that a lossy but working
     * path is not marked down for a few lost probes (with 20 % loss each way, three probes all fail
     * 5 % of the time; the nine or so a doubtful path gets before the dead timeout, 0.01 %). Then
     * paths silent for the dead timeout are marked down.
     *
     * @param mayProbe false while there are no keys to seal keepalives with (v2)
     * @return when to run next
     */
    long onTimer(long now, boolean mayProbe) {
        int due = 0;
        while (mayProbe && announced < ANNOUNCE_AT.length && now - (announceStart + ANNOUNCE_AT[announced]) >= 0) {
            announced++;
            due++;
        }
        for (int extra = 1; extra < due; extra++) {
            announce(now); // several rounds at once: the last is the round below
        }
        boolean round = due > 0 || now - nextKeepalive >= 0;
        if (round) {
            nextKeepalive = now + keepaliveNanos;
        }
        for (Path path : session.paths()) {
            int i = path.index();
            path.probeLoss().expire(now, probeTimeout(path, keepaliveNanos));
            // A scheduler that reacts to every path's probes has every path watched as closely as
            // one in doubt: see AdaptivePlanner.probeIntervalNanos.
            boolean inDoubt = scheduler.probesEveryPath() || now - path.lastHeardNanos() > keepaliveNanos;
            if (mayProbe && (round || (inDoubt && now - lastProbeSent[i] >= keepaliveNanos / 4))) {
                sendKeepalive(path, now);
                lastProbeSent[i] = now;
            }
        }
        session.checkPaths(now, deadTimeoutNanos);
        long next = Math.min(nextKeepalive, now + Math.min(tickNanos, keepaliveNanos / 4));
        return mayProbe && announced < ANNOUNCE_AT.length ? Math.min(next, announceStart + ANNOUNCE_AT[announced]) : next;
    }

    /** A keepalive on every path. */
    private void announce(long now) {
        for (Path path : session.paths()) {
            sendKeepalive(path, now);
            lastProbeSent[path.index()] = now;
        }
    }

    /**
     * How long a probe's ack may take before the probe counts as lost: a keepalive interval, but
     * at least {@link #MIN_PROBE_TIMEOUT_NANOS}, plus four smoothed RTTs. Generous, because an ack
     * that is merely late (a busy machine, a queue on the path) would otherwise count as lost: on
     * a loaded two-core machine, 10 ms plus two RTTs charged clean paths with 7 % loss.
     */
    static long probeTimeout(Path path, long keepaliveNanos) {
        return Math.max(keepaliveNanos, MIN_PROBE_TIMEOUT_NANOS) + 4 * Math.max(path.smoothedRttNanos(), 0);
    }

    private void sendKeepalive(Path path, long now) {
        long srtt = path.smoothedRttNanos();
        long number = probeNumber++;
        Probe.writeKeepalive(probe, session.id(), number, System.nanoTime(), path.index(),
                srtt < 0 ? 0 : TimeUnit.NANOSECONDS.toMicros(srtt));
        int i = path.index();
        if (reportsTo(i)) {
            Probe.addPathReport(probe, lastAckNumber[i], arrivedAtAck[i]);
        }
        keepalivesSinceAck[i]++;
        if (!codec.finishProbe(session, probe, Probe.KEEPALIVE_LENGTH)) {
            return;
        }
        path.dataLoss().noteProbe(number, path.dataSent());
        try {
            if (path.transmitControl(probe)) {
                path.probeLoss().sent(number, now);
            }
        } catch (IOException e) {
            // closed: the loop is stopping
        }
    }

    /** A path was added with an index a removed path may have had: nothing of that one applies to it. */
    void pathAdded(Path path) {
        int i = path.index();
        lastProbeSent[i] = 0;
        lastChallengeProbe[i] = 0;
        serverReports[i] = false;
        lastAckNumber[i] = 0;
        arrivedAtAck[i] = 0;
        keepalivesSinceAck[i] = 0;
    }

    /**
     * Whether a keepalive on path {@code i} carries a report: the server's last ack there showed
     * that it reads them, and no more than one keepalive since has gone unanswered, so that a
     * server replaced by an older one (which takes a report for a malformed keepalive) costs a
     * path at most two keepalives before this end sends plain ones again. A report with nothing in
     * it is not sent: an older server would accept and echo it, and look like a newer one.
     */
    private boolean reportsTo(int i) {
        return serverReports[i] && keepalivesSinceAck[i] < 2 && (lastAckNumber[i] != 0 || arrivedAtAck[i] != 0);
    }

    /**
     * The server challenged {@code path}'s address (and answered it): until the answer arrives it
     * sends the address no more bytes than it received, so the acks of the keepalives pending on
     * the path may have been withheld, not lost: they are forgotten, and a new keepalive follows
     * the answer at once, for an RTT sample a round trip later. At most once per quarter
     * interval per path, so that replayed challenges cannot make this end probe faster than a
     * path in doubt is probed.
     */
    void onChallenge(Path path, long now) {
        int i = path.index();
        if (lastChallengeProbe[i] != 0 && now - lastChallengeProbe[i] < keepaliveNanos / 4) {
            return;
        }
        path.probeLoss().forgetPending();
        sendKeepalive(path, now);
        lastProbeSent[i] = now;
        lastChallengeProbe[i] = now;
    }

    /** A valid (and opened) keepalive-ack with this probe number arrived on {@code path}. */
    void onAck(Path path, ByteBuffer ack, long number, long now) {
        long rtt = System.nanoTime() - Probe.originTime(ack); // a fresh clock for the sample
        boolean ownPath = Probe.pathIndex(ack) == path.index();
        if (ownPath && rtt >= 0 && rtt < MAX_RTT_NANOS) {
            path.rttSample(rtt);
            path.probeLoss().acked(number);
        }
        noteServerEpoch(Probe.epoch(ack));
        if (session.reportedLoss().report(Probe.received(ack), Probe.passed(ack))) {
            scheduler.onReport(now);
        }
        if (ownPath) {
            onPathReport(path, ack, number, now);
        }
    }

    /**
     * The ack's per-path part, if the server sent one: what arrived of this path's data, and,
     * noted for the next keepalive's report, what has arrived here of the server's.
     */
    private void onPathReport(Path path, ByteBuffer ack, long number, long now) {
        int i = path.index();
        serverReports[i] = Probe.reportLayout(ack) == Probe.PATH_REPORT;
        if (!serverReports[i]) {
            return;
        }
        lastAckNumber[i] = number;
        arrivedAtAck[i] = path.dataArrived();
        keepalivesSinceAck[i] = 0;
        if (path.dataLoss().report(number, Probe.pathArrived(ack))) {
            scheduler.onPathReport(session, path, now);
        }
    }

    /**
     * A new epoch means the server restarted and has forgotten the session. Its replies normally
     * run ahead of the old server's (it numbers them from its clock), but if its clock stepped back
     * the old window would refuse them; so the inbound window restarts here. The session goes on
     * under the same id (the server recreates it from the next datagram, or, in v2, this session's
     * keys are those of a handshake with the new server). In v2 the old server's keys are erased
     * first: no datagram of the old server can then be opened, so none can be replayed into the
     * fresh window.
     */
    private void noteServerEpoch(long epoch) {
        if (epochKnown && epoch != serverEpoch) {
            Transport keys = session.transport();
            if (keys != null) {
                keys.dropPrevious();
            }
            session.restartInbound();
            session.reportedLoss().restart();
            for (Path path : session.paths()) {
                path.dataLoss().restart();
            }
            LOG.info("server {} restarted (epoch {} -> {})", peer,
                    Long.toHexString(serverEpoch), Long.toHexString(epoch));
        }
        serverEpoch = epoch;
        epochKnown = true;
    }
}
