package org.mptunnel.internal.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.RejectedExecutionException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mptunnel.internal.path.Counter;
import org.mptunnel.internal.path.Path;
import org.mptunnel.internal.session.Session;
import org.mptunnel.internal.session.TunnelCounters;

/**
 * Adaptive FEC's rate, without sockets: three paths whose data the "server" reports lost at a
 * known rate (seeded), a sender counting 4,000 datagrams a second, the I/O thread's timer driven
 * by hand.
 */
class AdaptiveFecRatesTest {

    private static final long MS = 1_000_000L;
    private static final double TARGET = 0.001;
    /** Datagrams each path carries, and the session sends, per second of the test's clock. */
    private static final int PER_SECOND = 4_000;

    private final Random random = new Random(17);
    private double[] loss;
    private long[] sent;
    private long[] arrived;
    private Path[] paths;
    private Session session;
    private AdaptiveFecRates rates;
    /** Searches waiting to run; run by hand where a test says so, else at once. */
    private final java.util.ArrayDeque<Runnable> searches = new java.util.ArrayDeque<>();
    private boolean holdSearches;
    /** The planning executor refuses searches, as the planning thread does with its queue full. */
    private boolean refuseSearches;
    private Counter refused;
    private long now;
    private long probe;

    @BeforeEach
    void threeLossyPaths() {
        start(TARGET, Duration.ofMillis(5), 0.01, 0.20, 0.30);
    }

    /** A session of paths losing {@code losses}, its rate aiming at {@code target} with groups closed by {@code deadline}. */
    private void start(double target, Duration deadline, double... losses) {
        loss = losses;
        sent = new long[losses.length];
        arrived = new long[losses.length];
        paths = new Path[losses.length];
        for (int i = 0; i < paths.length; i++) {
            paths[i] = new Path(i, new InetSocketAddress("127.0.0.1", 1 + i), null, true, 0);
        }
        session = new Session(1, null, 64, paths, null, paths.length, new TunnelCounters(), 0);
        refused = new Counter();
        rates = new AdaptiveFecRates(session, target, deadline, search -> {
            if (refuseSearches) {
                throw new RejectedExecutionException("the planning thread's queue is full");
            } else if (holdSearches) {
                searches.add(search);
            } else {
                search.run();
            }
        }, refused);
    }

    /** One second: each live path carries and reports its datagrams, lost at its rate; then the timer runs. */
    private void second() {
        for (int report = 0; report < 10; report++) {
            for (int i = 0; i < paths.length; i++) {
                if (!paths[i].isUp()) {
                    continue;
                }
                for (int d = 0; d < PER_SECOND / 10; d++) {
                    sent[i]++;
                    if (random.nextDouble() >= loss[i]) {
                        arrived[i]++;
                    }
                }
                paths[i].dataLoss().noteProbe(++probe, sent[i]);
                paths[i].dataLoss().report(probe, arrived[i]);
                paths[i].heard(now, 64);
            }
            for (int d = 0; d < PER_SECOND / 10; d++) {
                session.countSent(1);
            }
            now += 100 * MS;
        }
        rates.onTimer(now, now + 10 * MS);
    }

    /**
     * One second as the rate in use sends: each path carries its share of the session's datagrams
     * (its data and repair per data datagram; every datagram on every path at the start rate), so
     * a path the rate gives nothing carries none and its reports cover none; every live path's
     * keepalives, 100 a second, cross it at its loss both ways, and those unanswered after 50 ms
     * count as lost.
     */
    private void secondAsPlanned(int perSecond) {
        for (int report = 0; report < 10; report++) {
            FecRate rate = rates.rateFor(session);
            for (int i = 0; i < paths.length; i++) {
                if (!paths[i].isUp()) {
                    continue;
                }
                for (int d = 0, carried = carried(rate, i, perSecond / 10); d < carried; d++) {
                    sent[i]++;
                    if (random.nextDouble() >= loss[i]) {
                        arrived[i]++;
                    }
                }
                for (int k = 0; k < 10; k++) {
                    paths[i].probeLoss().sent(++probe, now + k * 10 * MS);
                    if (random.nextDouble() >= loss[i] && random.nextDouble() >= loss[i]) {
                        paths[i].probeLoss().acked(probe);
                    }
                }
                paths[i].dataLoss().noteProbe(probe, sent[i]);
                paths[i].dataLoss().report(probe, arrived[i]);
                paths[i].heard(now, 64);
            }
            for (int d = 0; d < perSecond / 10; d++) {
                session.countSent(1);
            }
            now += 100 * MS;
            for (Path path : paths) {
                path.probeLoss().expire(now, 50 * MS);
            }
        }
        rates.onTimer(now, now + 10 * MS);
    }

    /** @return how many of {@code sessionDatagrams} data datagrams' datagrams {@code rate} puts on {@code path} */
    private static int carried(FecRate rate, int path, int sessionDatagrams) {
        if (rate.dataPath() == null) {
            return sessionDatagrams; // the start rate: each datagram on every path
        }
        long onPath = Arrays.stream(rate.dataPath()).filter(p -> p == path).count()
                + Arrays.stream(rate.repairPath()).filter(p -> p == path).count();
        return (int) (sessionDatagrams * onPath / rate.k());
    }

    private LossModel[] truth(boolean... dead) {
        LossModel[] models = new LossModel[loss.length];
        for (int i = 0; i < loss.length; i++) {
            models[i] = LossModel.independent(i < dead.length && dead[i] ? 1 : loss[i]);
        }
        return models;
    }

    /** @return the most datagrams of a group {@code plan} puts on one path */
    private static int mostOnOnePath(FecPlan plan) {
        int most = 0;
        for (int i = 0; i < plan.dataOnPath().length; i++) {
            most = Math.max(most, plan.dataOnPath()[i] + plan.repairOnPath()[i]);
        }
        return most;
    }

    @Test
    void measuredLossMovesTheRateFromEveryPathToAPlanThatMeetsTheTargetForLessThanDuplication() {
        FecRate start = rates.rateFor(session);
        assertThat(start).isEqualTo(new FecRate(1, 2, false)).as("each datagram on all three paths");
        rates.onTimer(now, now + 10 * MS);
        assertThat(rates.rateFor(session)).as("no estimate yet: unchanged").isEqualTo(start);
        assertThat(rates.plan()).isNull();

        for (int s = 0; s < 5; s++) {
            second();
        }

        FecPlan plan = rates.plan();
        assertThat(plan).isNotNull();
        assertThat(plan.k()).isGreaterThan(1);
        assertThat(CodeRatePlanner.residualLoss(plan, truth())).as("predicted at the true losses").isLessThanOrEqualTo(TARGET);
        assertThat(plan.cost()).as("duplication on every path costs 3").isLessThan(2);
        assertThat(plan.dataOnPath()[0]).as("most data on the 1 % path").isGreaterThan(plan.dataOnPath()[2]);
        assertThat(mostOnOnePath(plan)).as("three live paths: any one may die").isLessThanOrEqualTo(plan.m());
        FecRate rate = rates.rateFor(session);
        assertThat(rate).isEqualTo(FecRate.spread(plan.dataOnPath(), plan.repairOnPath(), false));
        assertThat(rates.rateFor(session)).as("one kept instance, not one per group").isSameAs(rate);
    }

    @Test
    void aPathThatDiesGetsNothingInTheNextPlan() {
        for (int s = 0; s < 5; s++) {
            second();
        }
        assertThat(rates.rateFor(session).dataPath()).contains(1);

        paths[1].checkAlive(now + 1, 0); // silent since its last report: down
        long before = rates.plans();
        now += AdaptiveFecRates.MIN_PLAN_MILLIS * MS;
        rates.onTimer(now, now + 10 * MS);

        assertThat(rates.plans()).as("a path dying makes a plan due at once").isEqualTo(before + 1);
        FecPlan plan = rates.plan();
        assertThat(plan.dataOnPath()[1]).isZero();
        assertThat(plan.repairOnPath()[1]).isZero();
        FecRate rate = rates.rateFor(session);
        assertThat(rate.dataPath()).doesNotContain(1);
        assertThat(rate.repairPath()).doesNotContain(1);
        assertThat(CodeRatePlanner.residualLoss(plan, truth(false, true, false))).isLessThanOrEqualTo(TARGET);
        // A session of three paths keeps the rule with one down (here: duplication over the other
        // two), so that the server's replies, still spread over the dead path until it notices,
        // and a second failure cost erasures only.
        assertThat(mostOnOnePath(plan)).as("no live path more than m of a group").isLessThanOrEqualTo(plan.m());
    }

    /**
     * Slow enough that a path's share of it takes seconds to wash a stale estimate out of the
     * smoothing of about 1,024 datagrams: were a path planned back in judged by what was measured
     * before it was planned out, it would be planned out again at the next plan.
     */
    private static final int RECOVERY_RATE = 400;

    @Test
    void aPathPlannedOutForItsLossIsUsedAgainOnceItsKeepalivesSayItRecovered() {
        start(TARGET, Duration.ofMillis(5), 0.01, 0.20, 1.0);
        for (int s = 0; s < 5; s++) {
            secondAsPlanned(RECOVERY_RATE);
        }
        FecPlan without = rates.plan();
        assertThat(without.dataOnPath()[2] + without.repairOnPath()[2]).as("a path losing everything: %s", without)
                .isZero();

        loss[2] = 0.01; // it recovers, while carrying nothing: only its keepalives can tell
        for (int s = 0; s < 10; s++) {
            secondAsPlanned(RECOVERY_RATE);
        }
        FecPlan after = rates.plan();
        assertThat(after.dataOnPath()[2] + after.repairOnPath()[2]).as("the recovered path in the plan: %s", after)
                .isPositive();
        assertThat(CodeRatePlanner.residualLoss(after, truth())).isLessThanOrEqualTo(TARGET);
        // And it stays in: judged by its keepalives until its data is measured anew, not by what
        // was measured before it was planned out (which would take it out again at the next plan).
        for (int s = 0; s < 10; s++) {
            secondAsPlanned(RECOVERY_RATE);
            FecPlan plan = rates.plan();
            assertThat(plan.dataOnPath()[2] + plan.repairOnPath()[2]).as("second %d: %s", s, plan).isPositive();
        }
    }

    @Test
    void plansAreMadeAtMostEveryMinimumIntervalAndOtherwiseEverySecond() {
        for (int s = 0; s < 3; s++) {
            second();
        }
        long plans = rates.plans();
        long next = rates.onTimer(now + 10 * MS, Long.MAX_VALUE);
        paths[1].checkAlive(now + 20 * MS, 0);
        rates.onTimer(now + 20 * MS, Long.MAX_VALUE);
        assertThat(rates.plans()).as("within the minimum interval, even for a dead path").isEqualTo(plans);
        assertThat(next).isEqualTo(now + AdaptiveFecRates.MIN_PLAN_MILLIS * MS);
        rates.onTimer(now + AdaptiveFecRates.MIN_PLAN_MILLIS * MS, Long.MAX_VALUE);
        assertThat(rates.plans()).isEqualTo(plans + 1);
    }

    /**
     * Two paths losing 10 % each, 0.01 %: a plan that survives either path dying costs what
     * duplication does (2), so with two paths the rule is dropped and a larger group does it for
     * about 1.5.
     */
    @Test
    void twoLivePathsArePlannedWithoutTheRuleThatEitherMayDieForLessThanDuplication() {
        start(0.0001, Duration.ofMillis(5), 0.10, 0.10);
        for (int s = 0; s < 5; s++) {
            second();
        }
        FecPlan plan = rates.plan();
        assertThat(plan).isNotNull();
        // Planned from estimates (each path's smoothed reports, about 0.2 points off 10 %), and at
        // 0.01 % the residual moves by half for a point of loss: at the true losses within twice the target.
        assertThat(CodeRatePlanner.residualLoss(plan, truth())).as("predicted at the true losses")
                .isLessThanOrEqualTo(0.0002);
        assertThat(plan.cost()).isLessThan(1.6);
        assertThat(mostOnOnePath(plan)).isGreaterThan(plan.m());
    }

    /**
     * A deadline that lets 24 datagrams gather (4,000/s, 6 ms): the larger groups bring 2 × 10 % at
     * 0.01 % under 1.5 datagrams per data datagram, which no group within 16 + 8 does.
     */
    @Test
    void aDeadlineThatLetsLargerGroupsGatherBuysTheSameLossForLess() {
        start(0.0001, Duration.ofMillis(6), 0.10, 0.10);
        for (int s = 0; s < 5; s++) {
            second();
        }
        FecPlan plan = rates.plan();
        assertThat(CodeRatePlanner.residualLoss(plan, truth())).as("as above").isLessThanOrEqualTo(0.0002);
        assertThat(plan.cost()).isLessThan(1.5);
        assertThat(plan.k()).as("no more than arrive within the deadline").isLessThanOrEqualTo(24);
    }

    @Test
    void aPlanWithoutRepairStillGivesARateWithOne() {
        FecPlan plan = new FecPlan(4, 0, new int[] {4, 0}, new int[] {0, 0}, 0);
        FecRate rate = AdaptiveFecRates.toRate(plan);
        assertThat(rate.k()).isEqualTo(4);
        assertThat(rate.m()).isEqualTo(1);
        assertThat(Arrays.stream(rate.repairPath()).distinct().toArray()).containsExactly(0);
    }

    @Test
    void theSearchRunsOnThePlanningExecutorOneAtATimeAndPublishesWhenItEnds() {
        holdSearches = true;
        for (int s = 0; s < 5; s++) {
            second();
        }
        assertThat(searches).as("the I/O thread's timer handed over one search, and no second while it waits")
                .hasSize(1);
        assertThat(rates.plan()).as("nothing planned on the I/O thread").isNull();
        assertThat(rates.rateFor(session)).isEqualTo(new FecRate(1, 2, false));

        searches.poll().run();

        assertThat(rates.plan()).isNotNull();
        assertThat(rates.plans()).isEqualTo(1);
        assertThat(rates.rateFor(session)).isNotEqualTo(new FecRate(1, 2, false));
        second();
        assertThat(searches).as("the next revision may search again").hasSize(1);
    }

    @Test
    void whileItsSearchWaitsPastTheNextPlanTheTimerComesAtItsNextTickNotAtOnce() {
        holdSearches = true;
        second();
        assertThat(searches).as("the first plan's search, waiting").hasSize(1);
        second();
        assertThat(rates.onTimer(now + MS, Long.MAX_VALUE)).as("a plan is due but the search still waits")
                .isEqualTo(Long.MAX_VALUE);
        assertThat(searches).hasSize(1);
    }

    @Test
    void aSearchThePlanningThreadRefusesIsCountedAndTriedAgainAtTheNextTimer() {
        refuseSearches = true;
        second();
        assertThat(refused.get()).as("a plan was due: its search refused").isEqualTo(1);
        assertThat(rates.plans()).isZero();
        assertThat(rates.rateFor(session)).as("the rate in use stays").isEqualTo(new FecRate(1, 2, false));
        assertThat(rates.onTimer(now + 10 * MS, Long.MAX_VALUE)).as("not a plan: due again, at the next tick")
                .isEqualTo(Long.MAX_VALUE);
        assertThat(refused.get()).as("tried again at that timer").isEqualTo(2);

        refuseSearches = false;
        rates.onTimer(now + 20 * MS, Long.MAX_VALUE);
        assertThat(rates.plans()).as("the planning thread had room again").isEqualTo(1);
        assertThat(rates.plan()).isNotNull();
        assertThat(rates.rateFor(session)).isNotEqualTo(new FecRate(1, 2, false));
        assertThat(rates.onTimer(now + 30 * MS, Long.MAX_VALUE)).as("a plan made: the next within its interval")
                .isEqualTo(now + 20 * MS + AdaptiveFecRates.MIN_PLAN_MILLIS * MS);
        assertThat(refused.get()).isEqualTo(2);
    }

    @Test
    void aSearchBegunBeforeTheRateFellBackToEveryPathPublishesNothing() {
        holdSearches = true;
        for (int s = 0; s < 5; s++) {
            second();
        }
        Runnable begun = searches.poll();
        assertThat(begun).isNotNull();
        LossModel[] unknown = truth();
        unknown[2] = null; // a path without an estimate (as one just added): back to every path
        rates.revise(unknown, now);
        // The fallback does not wait for the search: it is the I/O thread's own, and at once.
        begun.run();

        assertThat(rates.plan()).as("the stale search's plan is dropped").isNull();
        assertThat(rates.rateFor(session)).isEqualTo(new FecRate(1, 2, false));
    }
}
