package org.mptunnel.internal.schedule;

import java.util.SplittableRandom;

/**
 * A seeded simulation of a {@link FecPlan} over paths that behave as their {@link LossModel}s say,
 * written apart from {@link ErasureOdds} to check it: each path runs its own Gilbert chain,
 * continuously from group to group (started in its stationary state), stepped once per datagram
 * the plan sends on it, data first; a group's lost data datagrams count as residual loss when
 * more than m of the group's k + m datagrams were lost.
 */
final class FecMonteCarlo {

    private static final int BATCHES = 20;

    /** The simulated residual loss and its standard error (from the spread of batch means). */
    record Estimate(double residualLoss, double standardError) {
    }

    private FecMonteCarlo() {
    }

    static Estimate simulate(FecPlan plan, LossModel[] paths, long groups, long seed) {
        int[] data = plan.dataOnPath();
        int[] repair = plan.repairOnPath();
        SplittableRandom random = new SplittableRandom(seed);
        boolean[] bad = new boolean[paths.length];
        for (int i = 0; i < paths.length; i++) {
            bad[i] = random.nextDouble() < paths[i].loss();
        }
        long perBatch = groups / BATCHES;
        double[] batchLoss = new double[BATCHES];
        long unrecoveredAll = 0;
        for (int batch = 0; batch < BATCHES; batch++) {
            long unrecovered = 0;
            for (long g = 0; g < perBatch; g++) {
                int lost = 0;
                int dataLost = 0;
                for (int i = 0; i < paths.length; i++) {
                    double enter = paths[i].enterBad();
                    double leave = paths[i].leaveBad();
                    for (int position = 0; position < data[i] + repair[i]; position++) {
                        if (bad[i]) {
                            lost++;
                            if (position < data[i]) {
                                dataLost++;
                            }
                        }
                        double u = random.nextDouble();
                        bad[i] = bad[i] ? u >= leave : u < enter;
                    }
                }
                if (lost > plan.m()) {
                    unrecovered += dataLost;
                }
            }
            batchLoss[batch] = (double) unrecovered / (perBatch * plan.k());
            unrecoveredAll += unrecovered;
        }
        double mean = (double) unrecoveredAll / (perBatch * BATCHES * plan.k());
        double variance = 0;
        for (double b : batchLoss) {
            variance += (b - mean) * (b - mean);
        }
        variance /= BATCHES - 1;
        return new Estimate(mean, Math.sqrt(variance / BATCHES));
    }
}
