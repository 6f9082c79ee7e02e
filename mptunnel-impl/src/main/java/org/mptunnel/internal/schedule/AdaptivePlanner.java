package org.mptunnel.internal.schedule;

import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import org.mptunnel.TunnelConfig;
import org.mptunnel.internal.path.Path;
import org.mptunnel.internal.path.ProbeLoss;
import org.mptunnel.internal.session.Session;

/**
 * Adaptive redundancy's choice of paths for a client session, made on the I/O thread at each timer
 * tick and published with {@link Session#sendOn}, so that senders only read a volatile array.
 *
 * <p>The choice: start with the lowest-RTT path among the healthy ones (estimated one-way loss at
 * most {@link #HEALTHY_LOSS}), so that the first copy takes the fastest good route; then add the
 * other paths in order of estimated loss, lowest first, until the product of the chosen paths'
 * one-way losses (their joint loss if they lose independently) is at most the target. Every path
 * is used instead while any path that is up has too few resolved probes to judge, when no set
 * meets the target, and for a hold time after a burst of loss on a chosen path: either its recent
 * probes were lost far more often than its average ({@link ProbeLoss#burst()}), or its latest
 * probes are all overdue, too many in a row for its usual loss ({@link ProbeLoss#outage}), which
 * notices a path going bad about one keepalive interval after it does; or, while one path carries
 * the datagrams alone, the server's reports of received data show more loss than it explains
 * ({@link #reported}), which notices it one report later.
 *
 * <p>Sending: the choice is read once per datagram; the datagram goes on those of its paths that
 * are up, and on every path if none of them took it (they went down since the choice), so a stale
 * choice never loses a datagram that an all-paths send would have carried.
 *
 * <p>Allocation: scratch arrays are made once; an array is published only when the choice changes.
 */
public final class AdaptivePlanner implements Scheduler {

    /**
     * A path losing more than this one way is not preferred for its RTT: a path losing 5 % would
     * otherwise, when fastest, be sent on alongside the clean path that meets the target alone.
     */
    static final double HEALTHY_LOSS = 0.02;
    /** Probes a path must have resolved before its estimate is trusted. */
    static final int WARM_UP_PROBES = 32;
    /**
     * Keepalive intervals for which every path is used after a burst: 32 probes of a path that
     * carries datagrams (probed every quarter interval), so that its 32-probe average has taken in
     * most (63 %) of a new loss level before the choice is made again.
     */
    static final int BURST_HOLD_INTERVALS = 8;
    /**
     * Keepalive intervals for which every path is used after an outage, but at least
     * {@link #MIN_OUTAGE_HOLD_NANOS}: until the overdue probes are resolved as lost (their timeout
     * is at least 100 ms) and the estimate rules the path out; a shorter hold handed the datagrams
     * back to the path that had just failed, which lost them again.
     */
    static final int OUTAGE_HOLD_INTERVALS = 4;
    static final long MIN_OUTAGE_HOLD_NANOS = 150_000_000L;

    private final Session session;
    private final double targetLoss;
    private final long burstHoldNanos;
    /** How long an ack may take before its probe counts towards an outage (not yet as lost). */
    private final long overdueNanos;
    private final long outageHoldNanos;
    /** Scratch: the chosen paths' indices into the session's path array, in the order chosen. */
    private final int[] chosen;
    private final boolean[] taken;
    private boolean holding;
    private long holdUntil;
    private long bursts;
    private long reportedBursts;

    /**
     * @param session        the client session (its paths may change, on the I/O thread)
     * @param targetLoss     the joint one-way loss aimed at
     * @param keepaliveNanos the keepalive interval
     */
    public AdaptivePlanner(Session session, double targetLoss, long keepaliveNanos) {
        this.session = session;
        this.targetLoss = targetLoss;
        this.burstHoldNanos = BURST_HOLD_INTERVALS * keepaliveNanos;
        this.overdueNanos = keepaliveNanos;
        this.outageHoldNanos = Math.max(OUTAGE_HOLD_INTERVALS * keepaliveNanos, MIN_OUTAGE_HOLD_NANOS);
        this.chosen = new int[TunnelConfig.MAX_PATHS];
        this.taken = new boolean[TunnelConfig.MAX_PATHS];
    }

    /**
     * With adaptive redundancy every path is probed every quarter keepalive interval: a path that
     * carries datagrams so that its losses show within milliseconds, the others so that they can
     * vouch that this machine and the server are answering (see {@link ProbeLoss#outage}).
     *
     * @return the probe interval of every path
     */
    public static long probeIntervalNanos(long keepaliveNanos) {
        return keepaliveNanos / 4;
    }

    /** @return how many bursts sent every path in the meantime */
    public long bursts() {
        return bursts;
    }

    @Override
    public int send(Session on, ByteBuffer datagram) throws ClosedChannelException {
        Path[] chosen = on.sendPaths();
        int sent = chosen == null ? 0 : Session.transmitOn(chosen, datagram);
        if (sent == 0) {
            sent = Session.transmitOn(on.paths(), datagram);
        }
        on.countSent(sent);
        return sent;
    }

    /** Every path is probed every quarter interval: see {@link #probeIntervalNanos}. */
    @Override
    public boolean probesEveryPath() {
        return true;
    }

    /** I/O thread: revises the choice after this tick's probes. */
    @Override
    public long onTimer(long nowNanos, long nextTickNanos) {
        plan(nowNanos);
        return nextTickNanos;
    }

    /** I/O thread: a receiver's report arrived; see {@link #reported}. */
    @Override
    public void onReport(long nowNanos) {
        reported(nowNanos); // at once, not at the next tick: a burst shows within milliseconds
    }

    /** I/O thread: revises the choice after this tick's probes. */
    public void plan(long nowNanos) {
        Path[] paths = session.paths();
        Path[] current = session.sendPaths();
        if (current != null) {
            for (Path path : current) {
                // A chosen path is probed every quarter interval; an ack later than a whole one plus
                // four RTTs is unusual enough to act on, and acting costs copies, not datagrams.
                long overdue = overdueNanos + 4 * Math.max(path.smoothedRttNanos(), 0);
                boolean burst = path.probeLoss().burst();
                if (burst || path.probeLoss().outage(nowNanos, overdue, answeredElsewhere(paths, path, nowNanos))) {
                    fallBack(nowNanos, burst ? burstHoldNanos : outageHoldNanos);
                    return;
                }
            }
        }
        if (holding && nowNanos - holdUntil < 0) {
            return;
        }
        holding = false;
        publish(paths, choose(paths));
    }

    /**
     * I/O thread: the server's report of received data just arrived ({@link ReportedLoss}). While
     * one path carries the datagrams alone, if the recent reports show more loss than it explains
     * (its estimated loss, or the target if that is higher), every path is used at once, for the
     * outage hold, and the choice is made again after it, as for an outage seen by the probes;
     * this one is seen one report after the loss, within a few milliseconds.
     *
     * <p>Not while several paths carry them: then a datagram whose copy on one path is late (its
     * bridge's thread held up for a few milliseconds on a busy machine) is missing at the server
     * until that copy arrives, and a few such would look like a burst of loss. The probes still
     * watch each chosen path.
     */
    public void reported(long nowNanos) {
        Path[] current = session.sendPaths();
        if (current == null || current.length != 1) {
            return; // every path is in use already, or several: see above
        }
        double expected = Math.max(targetLoss, current[0].probeLoss().planningOneWayLoss());
        if (session.reportedLoss().burst(expected)) {
            reportedBursts++;
            fallBack(nowNanos, outageHoldNanos);
        }
    }

    /** @return how many of the {@link #bursts()} the server's reports revealed */
    public long reportedBursts() {
        return reportedBursts;
    }

    private void fallBack(long nowNanos, long holdNanos) {
        holding = true;
        holdUntil = nowNanos + holdNanos;
        bursts++;
        session.sendOn(null);
        session.reportedLoss().clearRecent();
    }

    /**
     * Whether {@code candidate} should anchor the choice rather than {@code anchor}: lower RTT,
     * by more than an eighth if {@code anchor} is the path anchoring the current choice. The margin
     * keeps two paths of about equal RTT from taking turns at every tick, which would move the
     * datagrams back and forth and publish a new array each time.
     */
    private static boolean faster(Path candidate, Path anchor, Path incumbent) {
        long candidateRtt = candidate.smoothedRttNanos();
        long anchorRtt = anchor.smoothedRttNanos();
        if (anchor == incumbent) {
            return candidateRtt < anchorRtt - (anchorRtt >> 3);
        }
        if (candidate == incumbent) {
            return candidateRtt - (candidateRtt >> 3) <= anchorRtt;
        }
        return candidateRtt < anchorRtt;
    }

    /**
     * @return when the newest probe answered on another path that is up was sent; {@code now} if
     *         there is no other path, so that a lone path is judged on overdue probes alone
     */
    private static long answeredElsewhere(Path[] paths, Path path, long nowNanos) {
        long newest = Long.MIN_VALUE;
        boolean other = false;
        for (Path p : paths) {
            if (p != path && p.isUp()) {
                long sent = p.probeLoss().newestAnsweredSentAt(Long.MIN_VALUE);
                if (sent != Long.MIN_VALUE && (!other || sent - newest > 0)) {
                    newest = sent;
                    other = true;
                }
            }
        }
        return other ? newest : nowNanos;
    }

    /** @return how many paths were chosen into {@link #chosen}, or 0 for every path */
    private int choose(Path[] paths) {
        int up = 0;
        int anchor = -1;
        Path[] current = session.sendPaths();
        Path incumbent = current == null ? null : current[0];
        for (int i = 0; i < paths.length; i++) {
            taken[i] = false;
            Path path = paths[i];
            if (!path.isUp()) {
                continue;
            }
            up++;
            ProbeLoss loss = path.probeLoss();
            if (loss.outcomes() < WARM_UP_PROBES) {
                return 0;
            }
            long rtt = path.smoothedRttNanos();
            if (loss.planningOneWayLoss() <= HEALTHY_LOSS && rtt >= 0
                    && (anchor < 0 || faster(path, paths[anchor], incumbent))) {
                anchor = i;
            }
        }
        if (up == 0) {
            return 0;
        }
        int count = 0;
        double joint = 1;
        if (anchor >= 0) {
            chosen[count++] = anchor;
            taken[anchor] = true;
            joint = paths[anchor].probeLoss().planningOneWayLoss();
        }
        while (joint > targetLoss) {
            int best = -1;
            for (int i = 0; i < paths.length; i++) {
                if (!taken[i] && paths[i].isUp() && (best < 0
                        || paths[i].probeLoss().planningOneWayLoss() < paths[best].probeLoss().planningOneWayLoss())) {
                    best = i;
                }
            }
            if (best < 0) {
                return 0; // every path up is not enough: use them all
            }
            chosen[count++] = best;
            taken[best] = true;
            joint *= paths[best].probeLoss().planningOneWayLoss();
        }
        return count == up ? 0 : count;
    }

    private void publish(Path[] paths, int count) {
        Path[] current = session.sendPaths();
        if (count == 0) {
            if (current != null) {
                session.sendOn(null);
            }
            return;
        }
        if (current != null && current.length == count) {
            boolean same = true;
            for (int k = 0; k < count && same; k++) {
                same = current[k] == paths[chosen[k]];
            }
            if (same) {
                return;
            }
        }
        Path[] next = new Path[count];
        for (int k = 0; k < count; k++) {
            next[k] = paths[chosen[k]];
        }
        session.sendOn(next);
        // Losses reported so far happened under another choice: they say nothing of this one.
        session.reportedLoss().clearRecent();
    }
}
