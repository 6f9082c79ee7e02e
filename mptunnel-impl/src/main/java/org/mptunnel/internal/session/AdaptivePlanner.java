package org.mptunnel.internal.session;

import org.mptunnel.internal.path.Path;
import org.mptunnel.internal.path.ProbeLoss;

/**
 * Adaptive redundancy's choice of paths for a client session, made on the I/O thread at each timer
 * tick and published with {@link Session#sendOn}, so that senders only read a volatile array.
 *
 * <p>The choice: start with the lowest-RTT path among the healthy ones (estimated one-way loss at
 * most {@link #HEALTHY_LOSS}), so that the first copy takes the fastest good route; then add the
 * other paths in order of estimated loss, lowest first, until the product of the chosen paths'
 * one-way losses (their joint loss if they lose independently) is at most the target. Every path
 * is used instead while any path that is up has too few resolved probes to judge, when no set
 * meets the target, and for a hold time after a burst of loss on a chosen path.
 *
 * <p>Allocation: scratch arrays are made once; an array is published only when the choice changes.
 */
public final class AdaptivePlanner {

    /** A path losing more than this one way is not preferred for its RTT. */
    static final double HEALTHY_LOSS = 0.05;
    /** Probes a path must have resolved before its estimate is trusted. */
    static final int WARM_UP_PROBES = 32;
    /**
     * Keepalive intervals for which every path is used after a burst: long enough for the 32-probe
     * average to take in most (63 %) of a new loss level before the choice is made again.
     */
    static final int BURST_HOLD_INTERVALS = 32;

    private final Session session;
    private final double targetLoss;
    private final long burstHoldNanos;
    /** Scratch: the chosen paths' indices into the session's path array, in the order chosen. */
    private final int[] chosen;
    private final boolean[] taken;
    private boolean holding;
    private long holdUntil;
    private long bursts;

    /**
     * @param session        the client session, whose paths are fixed
     * @param targetLoss     the joint one-way loss aimed at
     * @param keepaliveNanos the keepalive interval
     */
    public AdaptivePlanner(Session session, double targetLoss, long keepaliveNanos) {
        this.session = session;
        this.targetLoss = targetLoss;
        this.burstHoldNanos = BURST_HOLD_INTERVALS * keepaliveNanos;
        this.chosen = new int[session.paths().length];
        this.taken = new boolean[session.paths().length];
    }

    /** @return how many bursts sent every path in the meantime */
    public long bursts() {
        return bursts;
    }

    /** I/O thread: revises the choice after this tick's probes. */
    public void plan(long nowNanos) {
        Path[] paths = session.paths();
        Path[] current = session.sendPaths();
        if (current != null) {
            for (Path path : current) {
                if (path.probeLoss().burst()) {
                    holding = true;
                    holdUntil = nowNanos + burstHoldNanos;
                    bursts++;
                    session.sendOn(null);
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

    /** @return how many paths were chosen into {@link #chosen}, or 0 for every path */
    private int choose(Path[] paths) {
        int up = 0;
        int anchor = -1;
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
                    && (anchor < 0 || rtt < paths[anchor].smoothedRttNanos())) {
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
    }
}
