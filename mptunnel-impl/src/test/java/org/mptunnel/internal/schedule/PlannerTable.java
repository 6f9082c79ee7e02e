package org.mptunnel.internal.schedule;

import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;

/**
 * Prints BENCHMARKS.md's table of the planner's predictions for issue 17's cases, with a seeded
 * Monte Carlo beside each: {@code java -cp mptunnel-impl/target/classes:mptunnel-impl/target/test-classes
 * org.mptunnel.internal.schedule.PlannerTable}.
 */
public final class PlannerTable {

    /** Groups of at most 16 + 8, closed within 5 ms, at 4,000 datagrams/s: k is at most 16 (20 arrive in 5 ms). */
    static final int MAX_K = 16;
    static final int MAX_M = 8;
    static final Duration DEADLINE = Duration.ofMillis(5);
    static final double RATE = 4_000;
    static final long GROUPS = 2_000_000;

    record Case(String name, LossModel[] paths, double target, boolean survivesOnePath) {
    }

    static final Case[] CASES = {
            new Case("1 %, 20 %, 30 %", independent(0.01, 0.20, 0.30), 0.001, true),
            new Case("1 %, 20 %, 30 %", independent(0.01, 0.20, 0.30), 0.001, false),
            new Case("3 × 20 %", independent(0.20, 0.20, 0.20), 0.005, true),
            new Case("2 × 10 %", independent(0.10, 0.10), 0.0001, true),
            new Case("2 × 10 %", independent(0.10, 0.10), 0.0001, false),
            new Case("3 × 5 %, bursts of 10", bursty(3, 0.05, 10), 0.001, true),
            new Case("2 × 5 %, bursts of 10", bursty(2, 0.05, 10), 0.001, false),
    };

    private PlannerTable() {
    }

    static LossModel[] independent(double... losses) {
        return Arrays.stream(losses).mapToObj(LossModel::independent).toArray(LossModel[]::new);
    }

    static LossModel[] bursty(int count, double loss, double burst) {
        LossModel[] paths = new LossModel[count];
        Arrays.fill(paths, new LossModel(loss, burst));
        return paths;
    }

    public static void main(String[] args) {
        System.out.println("| paths | target | survives one path | choice: k + m, data / repair per path | predicted residual | Monte Carlo"
                + " (± s.e.) | datagrams per data datagram | duplication on every path: residual, cost |");
        System.out.println("|---|---:|---|---|---:|---:|---:|---:|");
        for (Case c : CASES) {
            CodeRatePlanner.Limits limits = CodeRatePlanner.Limits.forRate(MAX_K, MAX_M, c.target(), c.survivesOnePath(),
                    DEADLINE, RATE);
            FecPlan plan = CodeRatePlanner.plan(c.paths(), limits);
            long[] micros = new long[21]; // after the first (cold) search: the median of 21
            for (int i = 0; i < micros.length; i++) {
                long started = System.nanoTime();
                CodeRatePlanner.plan(c.paths(), limits);
                micros[i] = (System.nanoTime() - started) / 1000;
            }
            Arrays.sort(micros);
            FecMonteCarlo.Estimate mc = FecMonteCarlo.simulate(plan, c.paths(), GROUPS, 17);
            int[] copies = new int[c.paths().length];
            Arrays.fill(copies, 1);
            copies[0] = 0;
            FecPlan all = new FecPlan(1, c.paths().length - 1, onlyFirst(c.paths().length), copies, 0);
            double duplication = CodeRatePlanner.residualLoss(all, c.paths());
            System.out.printf(Locale.ROOT, "| %s | %s %% | %s | %d + %d, %s / %s | %.3g %% | %.3g %% (± %.2g) | %.3f | %.3g %%, %d.0 |%n",
                    c.name(), pct(c.target()), c.survivesOnePath() ? "yes" : "no", plan.k(), plan.m(), Arrays.toString(plan.dataOnPath()),
                    Arrays.toString(plan.repairOnPath()), 100 * plan.residualLoss(), 100 * mc.residualLoss(),
                    100 * mc.standardError(), plan.cost(), 100 * duplication, c.paths().length);
            System.err.println(c.name() + ": planned in " + micros[micros.length / 2] + " µs (median)");
        }
    }

    private static int[] onlyFirst(int count) {
        int[] counts = new int[count];
        counts[0] = 1;
        return counts;
    }

    private static String pct(double share) {
        return String.format(Locale.ROOT, "%.3g", 100 * share).replaceAll("\\.?0+$", "");
    }
}
