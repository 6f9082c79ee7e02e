package org.mptunnel.internal.schedule;

import java.time.Duration;
import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * Chooses the code rate of forward error correction over several paths: from each path's
 * {@link LossModel}, the fewest datagrams on the wire per data datagram ({@code (k + m) / k}) whose
 * exact residual loss ({@link ErasureOdds}) meets a target, within limits on {@code k} and
 * {@code m}. Duplication is the case {@code k = 1} (the datagram on {@code 1 + m} paths), so it is
 * chosen whenever it is the cheapest way to the target. For each {@code (k, m)} the spread of data
 * and repair over the paths is found by a local search (from a few starting spreads, moving one
 * datagram at a time from one path to another while the residual falls): a dead path gets nothing,
 * data goes where it is least likely to be lost, repair where it best covers the rest. Among equally
 * cheap rates the smallest {@code k} wins (a group closes sooner). If nothing within the limits
 * meets the target, the plan with the lowest residual is chosen.
 *
 * <p>Two rules bound the choice whatever the estimates: if asked ({@link Limits#survivesOnePath}),
 * no path carries more than {@code m} of a group, so that a path that dies between two plans costs
 * erasures the code absorbs rather than a gap (a plan may otherwise put everything on the one good
 * path); and no plan sends more datagrams per data datagram than there are paths (at least 2),
 * which is what duplication on every path costs: when bursts defeat groups this short, a repair
 * datagram buys less than a copy.
 *
 * <p>Pure: no state, no I/O, no clock. The search evaluates a few thousand spreads of at most
 * {@code maxK + maxM} datagrams (each path's share computed once per spread it takes); it is meant
 * to run when the estimates change, at most a few times a second, not per datagram. {@link CodeRateChoice} adds the hysteresis that keeps a plan from flapping.
 */
public final class CodeRatePlanner {

    /** The share of a group deadline's worth of datagrams that a group's k may be. */
    static final double FILL = 0.8;

    /** A residual this much smaller counts as an improvement in the local search. */
    private static final double IMPROVEMENT = 1e-12;

    private CodeRatePlanner() {
    }

    /**
     * What the planner may choose.
     *
     * @param maxK            the most data datagrams per group
     * @param maxM            the most repair datagrams per group
     * @param targetLoss      the residual loss to meet, above 0
     * @param survivesOnePath with two paths or more: no path carries more than m of a group, so
     *                        that a path that dies between two plans costs erasures the code
     *                        rebuilds (while the others lose nothing) instead of a gap; with two
     *                        paths this costs as much as duplication
     */
    public record Limits(int maxK, int maxM, double targetLoss, boolean survivesOnePath) {

        public Limits {
            if (maxK < 1 || maxM < 0 || maxK + maxM > 255 || !(targetLoss > 0 && targetLoss < 1)) {
                throw new IllegalArgumentException("limits out of range: k <= " + maxK + ", m <= " + maxM
                        + ", target " + targetLoss);
            }
        }

        /**
         * Limits for a sender of {@code datagramsPerSecond}, whose groups close at the latest
         * {@code deadline} after their first datagram: a group cannot gather more data than arrive
         * within the deadline, so {@code k} is at most {@value #FILL} of that (at least 1), and at
         * most {@code maxK}. The margin lets a group fill despite the jitter of the sender's pace: one
         * that its deadline closes short is coded with its share of the repairs, a shorter code that
         * protects less than the plan assumed (2 × 10 % at 2,000/s with groups planned at the whole
         * 12 ms deadline lost several times the target).
         */
        public static Limits forRate(int maxK, int maxM, double targetLoss, boolean survivesOnePath,
                                     Duration deadline, double datagramsPerSecond) {
            double perGroup = Math.floor(FILL * datagramsPerSecond * deadline.toNanos() / 1e9);
            return new Limits((int) Math.max(1, Math.min(maxK, perGroup)), maxM, targetLoss, survivesOnePath);
        }

        Limits withTarget(double target) {
            return new Limits(maxK, maxM, target, survivesOnePath);
        }

        /** @return the most datagrams of a group with {@code m} repair one of {@code paths} paths may carry */
        int onOnePath(int m, int paths) {
            return survivesOnePath && paths > 1 ? m : Integer.MAX_VALUE;
        }
    }

    /** @return the cheapest plan that meets the target, or if none does, the one that comes closest */
    public static FecPlan plan(LossModel[] paths, Limits limits) {
        if (paths.length == 0) {
            throw new IllegalArgumentException("no path to plan for");
        }
        ErasureOdds odds = new ErasureOdds(paths);
        double maxCost = Math.max(2, paths.length);
        FecPlan cheapest = null;
        FecPlan closest = null;
        for (int k = 1; k <= limits.maxK(); k++) {
            for (int m = 0; m <= limits.maxM(); m++) {
                double cost = (double) (k + m) / k;
                if (cost > maxCost || cheapest != null && cost >= cheapest.cost() - IMPROVEMENT) {
                    break; // more repair only costs more; an equal cost keeps the smaller k
                }
                int cap = limits.onOnePath(m, paths.length);
                if ((long) cap * paths.length < k + m) {
                    continue; // cannot be spread within the cap
                }
                FecPlan spread = bestSpread(k, m, paths, cap, odds);
                if (spread.residualLoss() <= limits.targetLoss()) {
                    cheapest = spread;
                    break;
                }
                if (closest == null || spread.residualLoss() < closest.residualLoss() - IMPROVEMENT) {
                    closest = spread;
                }
            }
        }
        return cheapest != null ? cheapest : closest;
    }

    /** @return the predicted residual loss of {@code plan}'s spread over paths that behave as {@code paths} */
    public static double residualLoss(FecPlan plan, LossModel[] paths) {
        return ErasureOdds.residualLoss(plan.dataOnPath(), plan.repairOnPath(), paths);
    }

    /** The spread of k data and m repair datagrams over the paths with the lowest residual the search finds. */
    static FecPlan bestSpread(int k, int m, LossModel[] paths, int cap, ErasureOdds odds) {
        int[] byLoss = IntStream.range(0, paths.length).boxed()
                .sorted(Comparator.comparingDouble(i -> paths[i].loss())).mapToInt(Integer::intValue).toArray();
        FecPlan best = null;
        for (int[][] start : starts(k, m, byLoss)) {
            fit(start[0], start[1], byLoss, cap);
            FecPlan found = descend(start[0], start[1], cap, odds);
            if (best == null || found.residualLoss() < best.residualLoss() - IMPROVEMENT) {
                best = found;
            }
        }
        return best;
    }

    /**
     * Starting spreads: everything dealt round-robin from the best path down, data first; all data
     * on the best path and the repair dealt over the others; and everything dealt round-robin over
     * the better half of the paths (at least one).
     */
    private static int[][][] starts(int k, int m, int[] byLoss) {
        int count = byLoss.length;
        int[][] dealt = {new int[count], new int[count]};
        deal(dealt[0], byLoss, 0, count, 0, k);
        deal(dealt[1], byLoss, 0, count, k % count, m);
        int[][] dataOnBest = {new int[count], new int[count]};
        dataOnBest[0][byLoss[0]] = k;
        deal(dataOnBest[1], byLoss, count > 1 ? 1 : 0, count, 0, m);
        int half = Math.max(1, count / 2);
        int[][] better = {new int[count], new int[count]};
        deal(better[0], byLoss, 0, half, 0, k);
        deal(better[1], byLoss, 0, half, k % half, m);
        return new int[][][] {dealt, dataOnBest, better};
    }

    /** Deals {@code howMany} round-robin over {@code byLoss[from..to)}, starting {@code offset} places in. */
    private static void deal(int[] counts, int[] byLoss, int from, int to, int offset, int howMany) {
        int span = to - from;
        for (int d = 0; d < howMany; d++) {
            counts[byLoss[from + (offset + d) % span]]++;
        }
    }

    /** Moves datagrams off paths over {@code cap} to the best paths with room (the caller checked there is room). */
    private static void fit(int[] data, int[] repair, int[] byLoss, int cap) {
        for (int over = 0; over < data.length; over++) {
            while (data[over] + repair[over] > cap) {
                int[] from = repair[over] > 0 ? repair : data;
                for (int to : byLoss) {
                    if (data[to] + repair[to] < cap) {
                        from[over]--;
                        from[to]++;
                        break;
                    }
                }
            }
        }
    }

    /**
     * Steepest descent: moves one data or one repair datagram from one path to another within
     * {@code cap} per path, or swaps a data datagram on one path for a repair datagram on another
     * (which a full path allows), while that lowers the residual.
     */
    private static FecPlan descend(int[] data, int[] repair, int cap, ErasureOdds odds) {
        int k = Arrays.stream(data).sum();
        int m = Arrays.stream(repair).sum();
        double residual = odds.residualLoss(data, repair);
        int count = data.length;
        for (int step = 0; step < 4 * (k + m) * count; step++) {
            double bestResidual = residual;
            int[] bestMove = null;
            for (int kind = 0; kind < 3; kind++) {
                for (int from = 0; from < count; from++) {
                    for (int to = 0; to < count; to++) {
                        if (to == from || !apply(kind, from, to, data, repair, cap)) {
                            continue;
                        }
                        double tried = odds.residualLoss(data, repair);
                        apply(kind, to, from, data, repair, Integer.MAX_VALUE); // undo
                        if (tried < bestResidual - IMPROVEMENT * Math.max(bestResidual, 1e-300)) {
                            bestResidual = tried;
                            bestMove = new int[] {kind, from, to};
                        }
                    }
                }
            }
            if (bestMove == null) {
                break;
            }
            apply(bestMove[0], bestMove[1], bestMove[2], data, repair, cap);
            residual = bestResidual;
        }
        return new FecPlan(k, m, data, repair, residual);
    }

    /**
     * One move of {@link #descend}, if it is possible: kind 0 moves a data datagram from
     * {@code from} to {@code to}, kind 1 a repair datagram, kind 2 moves a data datagram there and a
     * repair datagram back (its own inverse with the paths exchanged).
     *
     * @return whether the move was made
     */
    private static boolean apply(int kind, int from, int to, int[] data, int[] repair, int cap) {
        switch (kind) {
            case 0, 1 -> {
                int[] counts = kind == 0 ? data : repair;
                if (counts[from] == 0 || data[to] + repair[to] >= cap) {
                    return false;
                }
                counts[from]--;
                counts[to]++;
            }
            default -> {
                if (data[from] == 0 || repair[to] == 0) {
                    return false;
                }
                data[from]--;
                data[to]++;
                repair[to]--;
                repair[from]++;
            }
        }
        return true;
    }
}
