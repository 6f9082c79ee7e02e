package org.mptunnel.internal.path;

/**
 * How bursty one path's loss is: the mean length of a run of consecutive lost datagrams, so that a
 * planner of forward error correction knows whether a path tends to lose its whole share of a
 * group at once (a burst) or a datagram here and there (independent loss) at the same mean. Fed
 * the counts of the peer's per-path reports ({@link PathLoss}): between two reports, {@code n} of
 * this side's datagrams left on the path, in order, and {@code l} of them were lost.
 *
 * <p>Model: Gilbert's two-state chain stepped once per datagram, as the planner's
 * {@code LossModel}: a share {@code π} of datagrams lost, in runs of mean length {@code B}. The
 * fates of two datagrams {@code d} apart are then correlated as {@code λ^d}, with
 * {@code λ = 1 - 1 / (B (1 - π))} ({@code λ = 0}: independent loss). Over {@code n} consecutive
 * datagrams the expected number of ordered pairs both lost is
 * {@code E[l (l - 1)] = n (n - 1) π² + π (1 - π) S(n, λ)}, where
 * {@code S(n, λ) = 2 Σ_{d=1}^{n-1} (n - d) λ^d} grows with {@code λ}. So the sums over reports of
 * {@code l (l - 1)}, {@code n (n - 1)} and {@code S(n, λ)} at a fixed grid of {@code λ} give
 * {@code λ} by the method of moments: where the two sides balance, linearly between grid points.
 * No sample needs keeping, and reports of any length mix: a burst longer than a report's interval
 * shows as intervals that lose far more than their share. Counts are weighted as
 * {@link DecayedLoss}'s, over about the last {@value #WINDOW_DATAGRAMS} datagrams: bursts are
 * rare events (at 5 % loss in runs of 10, one per 200 datagrams), so this window is longer.
 *
 * <p>What it cannot see: a datagram counted lost by one report and paid back later than the next
 * (a report's loss is clamped to 0 to {@code n}); loss in bursts together with independent loss
 * outside them is described by one chain whose runs are between the two.
 *
 * <p>Cost: a report adds one power per grid point (16); nothing is allocated. Single-threaded (the I/O
 * thread).
 */
public final class LossBursts {

    /** The weight of a datagram decays by {@code 1 / WINDOW_DATAGRAMS} per datagram sent since. */
    public static final int WINDOW_DATAGRAMS = 8192;
    /**
     * Lost datagrams (weighted) that must have been counted before a burst length is estimated;
     * until then loss is taken as independent, as it was before bursts were estimated.
     */
    public static final double MIN_LOSSES = 30;
    /** Mean runs of losses of a clean path ({@code π → 0}) at which {@code S(n, λ)} is summed. */
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
    /** Weighted sum of l (l - 1): ordered pairs of lost datagrams within a report. */
    private double lostPairs;
    /** Weighted sum of n (n - 1): ordered pairs of datagrams within a report. */
    private double pairs;
    /** Per grid point j, the weighted sum of S(n, λ_j). */
    private final double[] correlated = new double[GRID];
    /** The newest report, not counted yet: the next may pay back what it counted lost. */
    private long pendingSent;
    private long pendingLost;

    /**
     * Counts a report: {@code sentDelta} datagrams left on the path in order, {@code lostDelta} of
     * them lost (negative: datagrams an earlier report counted lost arrived after all). A report
     * that pays back, or one that follows a report that did, is merged with its neighbour into one
     * interval, so that datagrams counted lost on one side of a probe and found on the other do
     * not look like a run of losses; the last report waits for the next to be counted.
     */
    public void add(long sentDelta, long lostDelta) {
        if (pendingSent > 0 && (pendingLost < 0 || lostDelta < 0)) {
            pendingSent += sentDelta;
            pendingLost += lostDelta;
            return;
        }
        count(pendingSent, pendingLost);
        pendingSent = sentDelta;
        pendingLost = lostDelta;
    }

    private void count(long sentDelta, long lostDelta) {
        if (sentDelta <= 0) {
            return;
        }
        double n = sentDelta;
        double l = Math.min(Math.max(lostDelta, 0), sentDelta);
        double decay = Math.exp(sentDelta * LOG_KEEP);
        sent = sent * decay + n;
        lost = lost * decay + l;
        lostPairs = lostPairs * decay + l * (l - 1);
        pairs = pairs * decay + n * (n - 1);
        for (int j = 0; j < GRID; j++) {
            correlated[j] = correlated[j] * decay + pairsWithin(sentDelta, GRID_LAMBDA[j]);
        }
    }

    /**
     * {@code S(n, λ) = 2 Σ_{d=1}^{n-1} (n - d) λ^d} in closed form: the expected correlated pairs
     * among {@code n} consecutive datagrams, per unit of {@code π (1 - π)}.
     */
    static double pairsWithin(long n, double lambda) {
        if (lambda <= 0 || n < 2) {
            return 0;
        }
        double rest = 1 - lambda;
        return 2 * (n * lambda / rest - lambda * (1 - Math.pow(lambda, n)) / (rest * rest));
    }

    /**
     * @return the mean length of a run of lost datagrams, at least 1: 1 while fewer than
     *         {@value #MIN_LOSSES} losses have been counted or when the losses are no more
     *         clustered than independent loss would make them (whose runs are 1 / (1 - π) long)
     */
    public double meanBurst() {
        if (lost < MIN_LOSSES || sent <= lost) {
            return 1;
        }
        double loss = lost / sent;
        double excess = (lostPairs - pairs * loss * loss) / (loss * (1 - loss));
        if (!(excess > 0)) {
            return 1;
        }
        double lambda = GRID_LAMBDA[GRID - 1];
        for (int j = 1; j < GRID; j++) {
            if (correlated[j] >= excess) {
                double below = correlated[j - 1];
                double share = (excess - below) / (correlated[j] - below);
                lambda = GRID_LAMBDA[j - 1] + share * (GRID_LAMBDA[j] - GRID_LAMBDA[j - 1]);
                break;
            }
        }
        return 1 / ((1 - lambda) * (1 - loss));
    }
}
