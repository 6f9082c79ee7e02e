package org.mptunnel.internal.schedule;

/**
 * The code rate a sender uses, revised as the per-path estimates change, with hysteresis so that
 * estimates wobbling around a boundary do not make it flap: a new plan is chosen to meet the
 * target with room to spare ({@link #HEADROOM}), and the current one is kept while it still meets
 * the target itself. It is left at once when it no longer does (for a plan that does, or failing
 * that, one that comes closer), and for a cheaper one only when a plan at least {@link #SAVING}
 * cheaper has been the planner's choice {@link #CALM} times in a row. One instance per sender;
 * not thread-safe. A revision runs the whole search (milliseconds: BENCHMARKS.md), so a caller
 * revises on a timer of its own, a few times a second at most, not at every report.
 */
public final class CodeRateChoice {

    /** New plans are chosen to meet this share of the target. */
    static final double HEADROOM = 0.8;
    /** A cheaper plan must save at least this share of the current cost. */
    static final double SAVING = 0.1;
    /** Revisions in a row that must find the cheaper plan before it is taken. */
    static final int CALM = 3;

    private final CodeRatePlanner.Limits limits;
    private final CodeRatePlanner.Limits planning;
    private FecPlan current;
    private int calm;

    public CodeRateChoice(CodeRatePlanner.Limits limits) {
        this.limits = limits;
        this.planning = limits.withTarget(limits.targetLoss() * HEADROOM);
    }

    /**
     * Revises the plan for the paths' current estimates.
     *
     * @return the plan to use now, its residual predicted at these estimates
     */
    public FecPlan revise(LossModel[] paths) {
        FecPlan fresh = CodeRatePlanner.plan(paths, planning);
        if (current == null || current.paths() != paths.length) {
            calm = 0;
            return current = fresh;
        }
        FecPlan kept = current.withResidualLoss(CodeRatePlanner.residualLoss(current, paths));
        if (kept.residualLoss() > limits.targetLoss()) {
            calm = 0;
            return current = fresh.residualLoss() < kept.residualLoss() ? fresh : kept;
        }
        boolean cheaper = fresh.residualLoss() <= planning.targetLoss()
                && fresh.cost() <= kept.cost() * (1 - SAVING);
        calm = cheaper ? calm + 1 : 0;
        if (calm >= CALM) {
            calm = 0;
            return current = fresh;
        }
        return current = kept;
    }

    /** @return the plan in use, or null before the first revision */
    public FecPlan current() {
        return current;
    }
}
