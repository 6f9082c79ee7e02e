package org.mptunnel.internal.path;

import java.util.Arrays;

/**
 * How bursty one path's loss is: the mean length of a run of consecutive lost datagrams, so that a
 * planner of forward error correction knows whether a path tends to lose its whole share of a
 * group at once (a burst) or a datagram here and there (independent loss) at the same mean. Fed
 * the counts of the peer's per-path reports ({@link PathLoss}): between two reports, {@code n} of
 * this side's datagrams left on the path, in order, and {@code l} of them were lost.
 *
 * <p>Model: Gilbert's two-state chain stepped once per datagram, as the planner's
 * {@code LossModel}: a share {@code π} of datagrams lost, in runs of mean length {@code B}; the
 * chain moves from good to bad with {@code p = π (1 - λ)} and back with {@code r = (1 - π)(1 - λ)},
 * where {@code λ = 1 - 1 / (B (1 - π))} is the correlation of neighbours' fates ({@code λ = 0}:
 * independent loss). The statistic is the share of reports that lost nothing: at 5 % loss and 20
 * datagrams a report, about 36 % of them if loss is independent, about 94 % in runs of 10.
 *
 * <p>Which reports: a report exists only if its probe arrived, and the probe crossed the path
 * just after the report's datagrams, stepping the same chain; so a report's interval is bounded by
 * two probes known to have arrived. Bursts that straddle a probe are therefore never split across
 * two reports, and a method that takes report boundaries as random (pairs of losses within a
 * report, say) takes them for runs several times too long. Hence only reports that follow the
 * previous probe on the path directly ({@code consecutive}) count, and each is expected to lose
 * nothing with the chance given both its bounding probes arrived:
 * {@code (1 - p)^(n + 1) / ((1 - π) + π λ^(n + 1))}, which grows with {@code λ}. The sums over
 * reports of that chance at a fixed grid of {@code λ}, against the reports that lost nothing,
 * give {@code λ} (linearly between grid points). The mean loss {@code π} counts every report.
 * Counts are weighted as {@link DecayedLoss}'s, over about the last {@value #WINDOW_DATAGRAMS}
 * datagrams: bursts are rare events (at 5 % loss in runs of 10, one per 200 datagrams), so this
 * window is longer.
 *
 * <p>What it cannot see: a datagram counted lost by one report and paid back later than the next
 * (a report's loss is clamped to 0 to {@code n}); loss in bursts together with independent loss
 * outside them is described by one chain whose runs are between the two. Its resolution needs
 * reports that span a fair part of a burst and fewer datagrams than lie between bursts: reports
 * of a few datagrams cannot tell long bursts from longer ones (it errs long), and reports of
 * thousands (a fast sender, 1 s keepalives) seldom lose nothing whatever the bursts (it errs
 * towards independent loss, as planning did before).
 *
 * <p>Cost: a report adds two powers per grid point (16); nothing is allocated. Single-threaded
 * (the I/O thread).
 */
public final class LossBursts {

    /** The weight of a datagram decays by {@code 1 / WINDOW_DATAGRAMS} per datagram sent since. */
    public static final int WINDOW_DATAGRAMS = 8192;
    /**
     * Lost datagrams (weighted) that must have been counted before a burst length is estimated;
     * until then loss is taken as independent, as it was before bursts were estimated.
     */
    public static final double MIN_LOSSES = 30;
    /** Mean runs of losses of a clean path ({@code π → 0}) at which the expected share is summed. */
    private static final double[] GRID_BURSTS = {1, 1.25, 1.5, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 128, 256};
    private static final int GRID = GRID_BURSTS.length;
    private static final double[] GRID_LAMBDA = new double[GRID];
    private static final double LOG_KEEP = Math.log1p(-1.0 / WINDOW_DATAGRAMS);

    static {
        for (int j = 0; j < GRID; j++) {
            GRID_LAMBDA[j] = 1 - 1 / GRID_BURSTS[j];
        }
    }

    private double sent;
    private double lost;
    /** Weighted count of consecutive reports that lost nothing. */
    private double clean;
    /** Per grid point j, the weighted sum of the chance of each consecutive report losing nothing at λ_j. */
    private final double[] expectedClean = new double[GRID];
    /** The newest report, not counted yet: the next may pay back what it counted lost. */
    private long pendingSent;
    private long pendingLost;
    private boolean pendingConsecutive;

    /**
     * Counts a report: {@code sentDelta} datagrams left on the path in order, {@code lostDelta} of
     * them lost (negative: datagrams an earlier report counted lost arrived after all);
     * {@code consecutive} if the previous probe on the path was answered, so that this report's
     * interval is bounded by two probes that arrived. A report that pays back, or one that follows
     * a report that did, is merged with its neighbour into one interval (not consecutive), so that
     * datagrams counted lost on one side of a probe and found on the other do not look like loss;
     * the last report waits for the next to be counted.
     */
    public void add(long sentDelta, long lostDelta, boolean consecutive) {
        if (pendingSent > 0 && (pendingLost < 0 || lostDelta < 0)) {
            pendingSent += sentDelta;
            pendingLost += lostDelta;
            pendingConsecutive = false;
            return;
        }
        count(pendingSent, pendingLost, pendingConsecutive);
        pendingSent = sentDelta;
        pendingLost = lostDelta;
        pendingConsecutive = consecutive;
    }

    private void count(long sentDelta, long lostDelta, boolean consecutive) {
        if (sentDelta <= 0) {
            return;
        }
        double l = Math.min(Math.max(lostDelta, 0), sentDelta);
        double loss = sent > 0 ? lost / sent : l / sentDelta;
        double decay = Math.exp(sentDelta * LOG_KEEP);
        sent = sent * decay + sentDelta;
        lost = lost * decay + l;
        clean *= decay;
        for (int j = 0; j < GRID; j++) {
            expectedClean[j] *= decay;
        }
        if (consecutive) {
            clean += l == 0 ? 1 : 0;
            for (int j = 0; j < GRID; j++) {
                expectedClean[j] += cleanBetweenArrivals(sentDelta, loss, GRID_LAMBDA[j]);
            }
        }
    }

    /**
     * @return the chance that {@code n} consecutive datagrams all arrive given that the one before
     *         them and the one after them arrived, on a chain losing {@code loss} with correlation
     *         {@code lambda} per datagram
     */
    static double cleanBetweenArrivals(long n, double loss, double lambda) {
        if (loss >= 1) {
            return 0;
        }
        double enterBad = loss * (1 - lambda);
        return Math.pow(1 - enterBad, n + 1) / ((1 - loss) + loss * Math.pow(lambda, n + 1));
    }

    /** Forgets every report counted: the estimate starts again from nothing (independent loss). */
    public void reset() {
        sent = 0;
        lost = 0;
        clean = 0;
        Arrays.fill(expectedClean, 0);
        pendingSent = 0;
        pendingLost = 0;
        pendingConsecutive = false;
    }

    /**
     * @return the mean length of a run of lost datagrams, at least 1: 1 while fewer than
     *         {@value #MIN_LOSSES} losses have been counted or when the losses are no more
     *         clustered than independent loss would make them (whose runs are 1 / (1 - π) long)
     */
    public double meanBurst() {
        if (lost < MIN_LOSSES || sent <= lost || !(clean > expectedClean[0])) {
            return 1;
        }
        double lambda = GRID_LAMBDA[GRID - 1];
        for (int j = 1; j < GRID; j++) {
            if (expectedClean[j] >= clean) {
                double below = expectedClean[j - 1];
                double share = (clean - below) / (expectedClean[j] - below);
                lambda = GRID_LAMBDA[j - 1] + share * (GRID_LAMBDA[j] - GRID_LAMBDA[j - 1]);
                break;
            }
        }
        return 1 / ((1 - lambda) * (1 - lost / sent));
    }
}
