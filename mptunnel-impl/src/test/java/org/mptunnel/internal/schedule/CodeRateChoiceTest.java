package org.mptunnel.internal.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CodeRateChoiceTest {

    private static final CodeRatePlanner.Limits LIMITS = new CodeRatePlanner.Limits(16, 8, 0.005, true);

    @Test
    void estimatesWobblingAroundABoundaryDoNotChangeThePlan() {
        CodeRateChoice choice = new CodeRateChoice(LIMITS);
        FecPlan first = choice.revise(PlannerTable.independent(0.20, 0.20, 0.20));
        for (int i = 0; i < 20; i++) {
            double loss = i % 2 == 0 ? 0.19 : 0.205;
            FecPlan plan = choice.revise(PlannerTable.independent(loss, loss, loss));
            assertThat(plan.sameShape(first)).as("revision %d at %s: %s", i, loss, plan).isTrue();
            assertThat(plan.residualLoss()).isLessThanOrEqualTo(LIMITS.targetLoss());
        }
        assertThat(CodeRatePlanner.plan(PlannerTable.independent(0.19, 0.19, 0.19), LIMITS).sameShape(first))
                .as("without hysteresis the plan would have changed").isFalse();
    }

    @Test
    void aPlanThatNoLongerMeetsTheTargetIsLeftAtOnce() {
        CodeRateChoice choice = new CodeRateChoice(LIMITS);
        FecPlan calm = choice.revise(PlannerTable.independent(0.05, 0.05, 0.05));
        LossModel[] worse = PlannerTable.independent(0.25, 0.25, 0.25);
        assertThat(CodeRatePlanner.residualLoss(calm, worse)).isGreaterThan(LIMITS.targetLoss());
        FecPlan revised = choice.revise(worse);
        assertThat(revised.residualLoss()).isLessThanOrEqualTo(LIMITS.targetLoss());
        assertThat(revised.cost()).isGreaterThan(calm.cost());
    }

    @Test
    void aCheaperPlanIsTakenOnlyOnceItHasBeenTheChoiceSeveralTimesInARow() {
        CodeRateChoice choice = new CodeRateChoice(LIMITS);
        FecPlan dear = choice.revise(PlannerTable.independent(0.25, 0.25, 0.25));
        LossModel[] better = PlannerTable.independent(0.05, 0.05, 0.05);
        for (int i = 1; i < CodeRateChoice.CALM; i++) {
            assertThat(choice.revise(better).sameShape(dear)).as("revision %d", i).isTrue();
        }
        FecPlan cheaper = choice.revise(better);
        assertThat(cheaper.cost()).isLessThan(dear.cost() * (1 - CodeRateChoice.SAVING));
        assertThat(choice.current()).isSameAs(cheaper);
    }
}
