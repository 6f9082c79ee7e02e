package org.mptunnel.internal.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class CodeRatePlannerTest {

    /** Every spread of k + m over the paths, within a cap per path: @return the lowest residual */
    private static double lowestResidualOfAnySpread(int k, int m, LossModel[] paths, int cap) {
        return search(new int[paths.length], new int[paths.length], 0, k, m, paths, cap);
    }

    private static double search(int[] data, int[] repair, int path, int k, int m, LossModel[] paths, int cap) {
        if (path == paths.length - 1) {
            data[path] = k;
            repair[path] = m;
            return data[path] + repair[path] > cap ? 1 : ErasureOdds.residualLoss(data, repair, paths);
        }
        double best = 1;
        for (int d = 0; d <= k; d++) {
            for (int r = 0; r <= m && d + r <= cap; r++) {
                data[path] = d;
                repair[path] = r;
                best = Math.min(best, search(data, repair, path + 1, k - d, m - r, paths, cap));
            }
        }
        return best;
    }

    @Test
    void choosesTheCheapestRateThatMeetsTheTargetAsAnExhaustiveSearchDoes() {
        SplittableRandom random = new SplittableRandom(17);
        for (int trial = 0; trial < 40; trial++) {
            int count = 2 + random.nextInt(2);
            LossModel[] paths = new LossModel[count];
            for (int i = 0; i < count; i++) {
                paths[i] = new LossModel(random.nextDouble() * 0.3, random.nextBoolean() ? 1 : 4);
            }
            boolean survives = random.nextBoolean();
            CodeRatePlanner.Limits limits = new CodeRatePlanner.Limits(5, 4, 0.001 + random.nextDouble() * 0.02,
                    survives);
            double cheapest = Double.MAX_VALUE;
            for (int k = 1; k <= 5; k++) {
                for (int m = 0; m <= 4; m++) {
                    double cost = (double) (k + m) / k;
                    int cap = limits.onOnePath(m, count);
                    if (cost <= Math.max(2, count) && (long) cap * count >= k + m
                            && lowestResidualOfAnySpread(k, m, paths, cap) <= limits.targetLoss()) {
                        cheapest = Math.min(cheapest, cost);
                    }
                }
            }
            FecPlan plan = CodeRatePlanner.plan(paths, limits);
            String what = "trial " + trial + ": " + Arrays.toString(paths) + " " + limits + " -> " + plan;
            if (cheapest == Double.MAX_VALUE) {
                assertThat(plan.residualLoss()).as(what).isGreaterThan(limits.targetLoss());
            } else {
                assertThat(plan.residualLoss()).as(what).isLessThanOrEqualTo(limits.targetLoss());
                assertThat(plan.cost()).as(what).isCloseTo(cheapest, within(1e-9));
            }
            assertThat(plan.residualLoss()).as(what)
                    .isCloseTo(CodeRatePlanner.residualLoss(plan, paths), within(1e-15));
        }
    }

    @Test
    void isNeverDearerThanTheCheapestDuplicationThatMeetsTheTarget() {
        SplittableRandom random = new SplittableRandom(4);
        for (int trial = 0; trial < 30; trial++) {
            LossModel[] paths = new LossModel[3];
            double[] losses = new double[3];
            for (int i = 0; i < 3; i++) {
                losses[i] = random.nextDouble() * 0.4;
                paths[i] = LossModel.independent(losses[i]);
            }
            Arrays.sort(losses);
            double target = 0.0005 + random.nextDouble() * 0.01;
            int copies = 0;
            double residual = 1;
            while (copies < 3 && residual > target) {
                residual *= losses[copies++];
            }
            FecPlan plan = CodeRatePlanner.plan(paths, new CodeRatePlanner.Limits(16, 8, target, false));
            if (residual <= target) {
                assertThat(plan.cost()).as("%s at %s", Arrays.toString(losses), target).isLessThanOrEqualTo(copies);
                assertThat(plan.residualLoss()).isLessThanOrEqualTo(target);
            }
        }
    }

    @Test
    void aDeadPathCarriesNothing() {
        LossModel[] paths = PlannerTable.independent(0.05, 1, 0.05);
        FecPlan plan = CodeRatePlanner.plan(paths, new CodeRatePlanner.Limits(16, 8, 0.001, false));
        assertThat(plan.dataOnPath()[1] + plan.repairOnPath()[1]).isZero();
        assertThat(plan.residualLoss()).isLessThanOrEqualTo(0.001);
    }

    @Test
    void aPlanThatSurvivesOnePathPutsAtMostMOfAGroupOnEach() {
        LossModel[] paths = PlannerTable.independent(0.01, 0.2, 0.3);
        FecPlan free = CodeRatePlanner.plan(paths, new CodeRatePlanner.Limits(16, 8, 0.001, false));
        assertThat(free.dataOnPath()[0] + free.repairOnPath()[0]).as("unbound: the good path takes all")
                .isGreaterThan(free.m());
        FecPlan spread = CodeRatePlanner.plan(paths, new CodeRatePlanner.Limits(16, 8, 0.001, true));
        for (int i = 0; i < 3; i++) {
            assertThat(spread.dataOnPath()[i] + spread.repairOnPath()[i]).isLessThanOrEqualTo(spread.m());
        }
        assertThat(spread.residualLoss()).isLessThanOrEqualTo(0.001);
        assertThat(spread.cost()).as("issue 17's goal for these paths").isLessThanOrEqualTo(1.6);
    }

    @Test
    void whenNothingMeetsTheTargetItComesClosestWithinTheCostOfDuplicationOnEveryPath() {
        LossModel[] paths = {new LossModel(0.05, 10), new LossModel(0.05, 10)};
        FecPlan plan = CodeRatePlanner.plan(paths, new CodeRatePlanner.Limits(16, 8, 0.001, false));
        assertThat(plan.residualLoss()).isGreaterThan(0.001);
        assertThat(plan.cost()).isLessThanOrEqualTo(2);
        assertThat(plan.residualLoss()).isCloseTo(0.05 * 0.05, within(1e-12));
    }

    @Test
    void aGroupGathersNoMoreDataThanArriveWithinTheDeadline() {
        assertThat(CodeRatePlanner.Limits.forRate(16, 8, 0.001, true, Duration.ofMillis(5), 1_000).maxK())
                .as("5 arrive within the deadline; k leaves a margin so that a group fills").isEqualTo(4);
        assertThat(CodeRatePlanner.Limits.forRate(24, 12, 0.001, true, Duration.ofMillis(12), 2_000).maxK())
                .isEqualTo(19);
        assertThat(CodeRatePlanner.Limits.forRate(16, 8, 0.001, true, Duration.ofMillis(5), 100).maxK())
                .as("at least one").isEqualTo(1);
        assertThat(CodeRatePlanner.Limits.forRate(16, 8, 0.001, true, Duration.ofMillis(5), 1e6).maxK())
                .isEqualTo(16);
    }
}
