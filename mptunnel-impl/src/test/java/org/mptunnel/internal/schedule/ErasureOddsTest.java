package org.mptunnel.internal.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link ErasureOdds} against two independent computations: every loss pattern of a small group
 * enumerated with its probability under each path's chain, and {@link FecMonteCarlo}.
 */
class ErasureOddsTest {

    /** The residual by brute force: all 2^n patterns of n datagrams, weighted by each path's chain. */
    private static double enumerated(int[] data, int[] repair, LossModel[] paths) {
        int k = 0;
        int m = 0;
        int n = 0;
        for (int i = 0; i < paths.length; i++) {
            k += data[i];
            m += repair[i];
            n += data[i] + repair[i];
        }
        double expectedLostData = 0;
        for (int pattern = 0; pattern < 1 << n; pattern++) {
            double chance = 1;
            int bit = 0;
            int lost = 0;
            int dataLost = 0;
            for (int i = 0; i < paths.length; i++) {
                double enter = paths[i].enterBad();
                double leave = paths[i].leaveBad();
                double bad = paths[i].loss(); // stationary start
                for (int position = 0; position < data[i] + repair[i]; position++, bit++) {
                    boolean isLost = (pattern >> bit & 1) == 1;
                    // Gilbert: lost exactly when bad; then the chain steps
                    chance *= isLost ? bad : 1 - bad;
                    bad = isLost ? 1 - leave : enter;
                    if (isLost) {
                        lost++;
                        dataLost += position < data[i] ? 1 : 0;
                    }
                }
            }
            if (lost > m) {
                expectedLostData += chance * dataLost;
            }
        }
        return expectedLostData / k;
    }

    @Test
    void matchesEveryPatternEnumeratedForRandomSmallSpreads() {
        SplittableRandom random = new SplittableRandom(20261204);
        for (int trial = 0; trial < 200; trial++) {
            int count = 1 + random.nextInt(3);
            LossModel[] paths = new LossModel[count];
            int[] data = new int[count];
            int[] repair = new int[count];
            int total = 0;
            for (int i = 0; i < count; i++) {
                double loss = random.nextInt(8) == 0 ? 1 : random.nextDouble() * 0.5;
                paths[i] = new LossModel(loss, random.nextBoolean() ? 1 : 1 + random.nextDouble() * 9);
                data[i] = random.nextInt(4);
                repair[i] = random.nextInt(3);
                total += data[i];
            }
            if (total == 0) {
                data[0] = 1;
            }
            assertThat(ErasureOdds.residualLoss(data, repair, paths))
                    .as("trial %d", trial).isCloseTo(enumerated(data, repair, paths), within(1e-12));
        }
    }

    @Test
    void independentLossHasTheTextbookValues() {
        LossModel[] three = PlannerTable.independent(0.01, 0.2, 0.3);
        assertThat(ErasureOdds.residualLoss(new int[] {1, 0, 0}, new int[] {0, 1, 1}, three))
                .as("duplication: every copy lost").isCloseTo(0.01 * 0.2 * 0.3, within(1e-15));
        LossModel[] one = PlannerTable.independent(0.1);
        // 2 data + 1 repair on one path: a data datagram is lost for good if it and another are lost
        assertThat(ErasureOdds.residualLoss(new int[] {2}, new int[] {1}, one))
                .isCloseTo(0.1 * (1 - 0.9 * 0.9), within(1e-15));
    }

    @Test
    void agreesWithASeededMonteCarloForTheTablesPlans() {
        for (PlannerTable.Case c : PlannerTable.CASES) {
            CodeRatePlanner.Limits limits = new CodeRatePlanner.Limits(16, 8, c.target(), c.survivesOnePath());
            FecPlan plan = CodeRatePlanner.plan(c.paths(), limits);
            FecMonteCarlo.Estimate mc = FecMonteCarlo.simulate(plan, c.paths(), 400_000, 99);
            assertThat(plan.residualLoss()).as(c.name())
                    .isCloseTo(mc.residualLoss(), within(4 * mc.standardError() + 1e-6));
        }
    }

    @Test
    void burstsOnAPathTakeNeighboursTogether() {
        LossModel[] independent = {LossModel.independent(0.05), LossModel.independent(0.05)};
        LossModel[] bursty = {new LossModel(0.05, 10), new LossModel(0.05, 10)};
        int[] data = {4, 4};
        int[] repair = {2, 2};
        assertThat(ErasureOdds.residualLoss(data, repair, bursty))
                .as("the same mean loss in bursts defeats a group far more often")
                .isGreaterThan(10 * ErasureOdds.residualLoss(data, repair, independent));
    }
}
