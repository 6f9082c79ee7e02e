package org.mptunnel.internal.path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ProbeLossTest {

    private static final long TIMEOUT = 1_000;

    /** Probes lost with probability {@code p} (seeded), each resolved before the next is sent. */
    private static ProbeLoss run(ProbeLoss loss, double p, int probes, long seed, long[] clock, long[] number) {
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < probes; i++) {
            long n = number[0]++;
            loss.sent(n, clock[0]);
            clock[0] += 10;
            if (random.nextDouble() >= p) {
                loss.acked(n);
            }
            clock[0] += TIMEOUT + 1;
            loss.expire(clock[0], TIMEOUT);
        }
        return loss;
    }

    @Test
    void unknownUntilAProbeIsResolved() {
        ProbeLoss loss = new ProbeLoss();
        assertThat(loss.roundTripLoss()).isEqualTo(-1);
        loss.sent(7, 0);
        loss.expire(TIMEOUT, TIMEOUT);
        assertThat(loss.roundTripLoss()).as("not yet overdue").isEqualTo(-1);
        loss.expire(TIMEOUT + 1, TIMEOUT);
        assertThat(loss.roundTripLoss()).isEqualTo(1.0);
        assertThat(loss.outcomes()).isEqualTo(1);
    }

    @Test
    void aRepeatedOrUnknownAckChangesNothing() {
        ProbeLoss loss = new ProbeLoss();
        loss.sent(1, 0);
        loss.acked(1);
        loss.acked(1);
        loss.acked(99);
        assertThat(loss.outcomes()).isEqualTo(1);
        assertThat(loss.roundTripLoss()).isZero();
    }

    @Test
    void aProbeStillPendingWhenItsSlotIsReusedCountsAsLost() {
        ProbeLoss loss = new ProbeLoss();
        for (int i = 0; i <= ProbeLoss.SLOTS; i++) {
            loss.sent(i, 0);
        }
        assertThat(loss.outcomes()).isEqualTo(1);
        assertThat(loss.roundTripLoss()).isEqualTo(1.0);
        loss.acked(0);
        assertThat(loss.roundTripLoss()).as("too late: the slot holds another probe").isEqualTo(1.0);
    }

    @Test
    void anAckAfterItsProbeWasCountedLostTakesTheLossBack() {
        ProbeLoss loss = new ProbeLoss();
        loss.sent(7, 0);
        loss.expire(TIMEOUT + 1, TIMEOUT);
        assertThat(loss.roundTripLoss()).isEqualTo(1.0);
        loss.acked(7);
        assertThat(loss.roundTripLoss()).isZero();
        assertThat(loss.planningOneWayLoss()).isZero();
        assertThat(loss.outcomes()).isEqualTo(1);
        assertThat(loss.newestAnsweredSentAt(-1)).isZero();
    }

    /** A server withholds acks from an address until it is validated; its challenge says so. */
    @Test
    void aChallengeBeforeAnyAnswerStartsTheEstimateOver() {
        ProbeLoss loss = new ProbeLoss();
        loss.sent(1, 0);
        loss.sent(2, 10);
        loss.expire(TIMEOUT + 11, TIMEOUT);
        loss.sent(3, TIMEOUT + 20);
        assertThat(loss.roundTripLoss()).isEqualTo(1.0);
        loss.forgetPending();
        assertThat(loss.outcomes()).isZero();
        assertThat(loss.roundTripLoss()).isEqualTo(-1);
        assertThat(loss.planningOneWayLoss()).isEqualTo(-1);
        loss.acked(1);
        loss.acked(3);
        assertThat(loss.outcomes()).as("forgotten probes' acks count for nothing").isZero();
        loss.sent(4, 2 * TIMEOUT);
        loss.acked(4);
        assertThat(loss.outcomes()).isEqualTo(1);
        assertThat(loss.roundTripLoss()).isZero();
    }

    @Test
    void aChallengeAfterAnAnswerForgetsOnlyWhatIsPending() {
        ProbeLoss loss = new ProbeLoss();
        loss.sent(1, 0);
        loss.acked(1);
        loss.sent(2, 10);
        loss.expire(TIMEOUT + 11, TIMEOUT);
        loss.sent(3, TIMEOUT + 20);
        loss.forgetPending();
        assertThat(loss.outcomes()).isEqualTo(2);
        assertThat(loss.roundTripLoss()).isEqualTo(0.5);
        loss.expire(3 * TIMEOUT, TIMEOUT);
        assertThat(loss.outcomes()).as("probe 3 was forgotten, not lost").isEqualTo(2);
    }

    /**
     * Probes lost (10 %), answered in time, or answered late (a fifth of the answered ones, up to
     * ten probes later, after being counted lost), against the same probes all answered in time:
     * once every late ack is in, each average is the same, before the windows fill and after.
     */
    @Test
    void lateAcksLeaveTheAveragesAsAcksInTimeWould() {
        ProbeLoss late = new ProbeLoss();
        ProbeLoss inTime = new ProbeLoss();
        SplittableRandom random = new SplittableRandom(20_260_405L);
        java.util.Map<Long, Long> dueAt = new java.util.TreeMap<>(); // probe -> number of the probe after which its ack arrives
        long now = 0;
        int lateAcks = 0;
        for (long n = 0; n < 1_000; n++) {
            late.sent(n, now);
            inTime.sent(n, now);
            double fate = random.nextDouble();
            if (fate >= 0.1 + 0.18) {
                late.acked(n);
                inTime.acked(n);
            } else if (fate >= 0.1) {
                inTime.acked(n);
                dueAt.put(n, n + 1 + random.nextInt(10));
            }
            now += TIMEOUT + 1;
            late.expire(now, TIMEOUT);
            inTime.expire(now, TIMEOUT);
            for (var due = dueAt.entrySet().iterator(); due.hasNext(); ) {
                var ack = due.next();
                if (ack.getValue() == n) {
                    late.acked(ack.getKey());
                    lateAcks++;
                    due.remove();
                }
            }
            if (dueAt.isEmpty()) {
                assertThat(late.roundTripLoss()).as("32-probe average after probe %d", n)
                        .isCloseTo(inTime.roundTripLoss(), within(1e-9));
                assertThat(late.planningOneWayLoss()).as("planning loss after probe %d", n)
                        .isCloseTo(inTime.planningOneWayLoss(), within(1e-9));
                assertThat(late.burst()).as("burst after probe %d", n).isEqualTo(inTime.burst());
            }
        }
        assertThat(lateAcks).as("late acks").isGreaterThan(100);
        assertThat(late.outcomes()).isEqualTo(inTime.outcomes());
    }

    /**
     * Over 2,000 probes at 30 % the slow average's standard error is sqrt(0.3 * 0.7 / 63) = 5.8
     * points; the tolerance at each of the last 1,000 probes, 0.2, is 3.4 sigma (the checks are
     * correlated, about 30 independent ones; fixed seeds), and their mean is held to 0.03.
     */
    @Test
    void convergesNearTheTrueLossAndTracksAChange() {
        ProbeLoss loss = new ProbeLoss();
        long[] clock = {0};
        long[] number = {0};
        run(loss, 0.30, 1_000, 20_260_101L, clock, number);
        double sum = 0;
        for (int i = 0; i < 1_000; i++) {
            run(loss, 0.30, 1, 20_260_102L + i, clock, number);
            assertThat(loss.roundTripLoss()).isCloseTo(0.30, within(0.20));
            sum += loss.roundTripLoss();
        }
        assertThat(sum / 1_000).isCloseTo(0.30, within(0.03));

        run(loss, 0.0, 200, 1, clock, number);
        assertThat(loss.roundTripLoss()).as("200 clean probes later").isLessThan(0.01);
    }

    @Test
    void twoLossesInARowOnACleanPathAreABurst() {
        ProbeLoss loss = new ProbeLoss();
        long[] clock = {0};
        long[] number = {0};
        run(loss, 0.0, 100, 1, clock, number);
        assertThat(loss.burst()).isFalse();
        run(loss, 1.0, 1, 1, clock, number);
        assertThat(loss.burst()).as("one loss").isFalse();
        run(loss, 1.0, 1, 1, clock, number);
        assertThat(loss.burst()).as("two in a row").isTrue();
        run(loss, 0.0, 8, 1, clock, number);
        assertThat(loss.burst()).as("answered again").isFalse();
    }

    @Test
    void overdueProbesInARowAreAnOutageOnlyWhenUnlikelyAtThePathsLoss() {
        ProbeLoss clean = new ProbeLoss();
        long[] clock = {0};
        long[] number = {0};
        run(clean, 0.0, 100, 1, clock, number);
        long t = clock[0];
        clean.sent(number[0]++, t);
        assertThat(clean.outage(t + 11, 10, t)).as("one overdue on a clean path").isFalse();
        clean.sent(number[0]++, t);
        assertThat(clean.outage(t + 5, 10, t + 5)).as("too recent to judge").isFalse();
        assertThat(clean.outage(t + 11, 10, t - 1)).as("no later answer elsewhere: a stall?").isFalse();
        assertThat(clean.outage(t + 11, 10, t)).as("two overdue on a clean path").isTrue();
        clean.acked(number[0] - 1);
        assertThat(clean.outage(t + 11, 10, t)).as("the newest answered after all").isFalse();

        ProbeLoss lossy = new ProbeLoss();
        clock[0] = 0;
        run(lossy, 0.36, 300, 20_260_111L, clock, number);
        t = clock[0];
        for (int i = 0; i < 4; i++) {
            lossy.sent(number[0]++, t);
        }
        // At about 36 % round-trip loss, four unanswered in a row happen 1.7 % of the time: not yet.
        assertThat(lossy.outage(t + 11, 10, t)).as("four overdue at 36 %%").isFalse();
        for (int i = 0; i < 4; i++) {
            lossy.sent(number[0]++, t);
        }
        assertThat(lossy.outage(t + 11, 10, t)).as("eight overdue at 36 %%").isTrue();
    }

    @Test
    void oneWayLossAssumesSymmetricIndependentDirections() {
        assertThat(ProbeLoss.oneWay(-1)).isEqualTo(-1);
        assertThat(ProbeLoss.oneWay(0)).isZero();
        assertThat(ProbeLoss.oneWay(1 - 0.8 * 0.8)).isCloseTo(0.2, within(1e-12));
        assertThat(ProbeLoss.oneWay(1)).isEqualTo(1.0);
    }
}
