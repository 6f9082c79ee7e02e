package org.mptunnel.internal.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ReportedLossTest {

    @Test
    void unknownUntilASecondReport() {
        ReportedLoss loss = new ReportedLoss();
        assertThat(loss.report(0, 0)).as("the first report is the baseline").isFalse();
        assertThat(loss.measuredLoss()).isEqualTo(-1);
        assertThat(loss.report(90, 100)).isTrue();
        assertThat(loss.measuredLoss()).isCloseTo(0.10, within(1e-9));
        assertThat(loss.passedTotal()).isEqualTo(100);
        assertThat(loss.lostTotal()).isEqualTo(10);
    }

    @Test
    void theBaselineNeedNotBeZero() {
        ReportedLoss loss = new ReportedLoss();
        loss.report(5_000, 6_000);
        loss.report(5_099, 6_100);
        assertThat(loss.measuredLoss()).isCloseTo(0.01, within(1e-9));
    }

    @Test
    void anOlderReportOvertakenByANewerOneIsIgnored() {
        ReportedLoss loss = new ReportedLoss();
        loss.report(0, 0);
        loss.report(100, 100);
        assertThat(loss.report(50, 60)).isFalse();
        assertThat(loss.report(100, 100)).as("nothing new").isFalse();
        assertThat(loss.measuredLoss()).isZero();
        assertThat(loss.report(150, 150)).isTrue();
        assertThat(loss.measuredLoss()).isZero();
        assertThat(loss.lostTotal()).isZero();
    }

    @Test
    void aDatagramLateOnASlowerPathIsPaidBack() {
        ReportedLoss loss = new ReportedLoss();
        loss.report(0, 0);
        loss.report(8, 10); // two still in flight below the newest
        loss.report(10, 10); // they arrived
        assertThat(loss.lostTotal()).isZero();
        assertThat(loss.measuredLoss()).isCloseTo(0, within(1e-9));
    }

    @Test
    void countsThatStartOverOnTheServerStartANewBaseline() {
        ReportedLoss loss = new ReportedLoss();
        loss.report(0, 0);
        loss.report(1_000, 1_000);
        // the server forgot the session and made a new one at sequence 1,500: received starts over
        assertThat(loss.report(1, 1_501)).isFalse();
        assertThat(loss.report(101, 1_601)).isTrue();
        assertThat(loss.lostTotal()).isZero();
        assertThat(loss.measuredLoss()).isZero();
    }

    @Test
    void aRestartedServersFirstReportIsTheNewBaseline() {
        ReportedLoss loss = new ReportedLoss();
        loss.report(0, 0);
        loss.report(1_000, 1_000);
        loss.restart();
        assertThat(loss.report(2_000, 5_000)).isFalse();
        assertThat(loss.report(2_010, 5_010)).isTrue();
        assertThat(loss.lostTotal()).isZero();
    }

    @Test
    void theSmoothedLossFollowsAboutTheLast1024Datagrams() {
        ReportedLoss loss = new ReportedLoss();
        SplittableRandom random = new SplittableRandom(20_261_125L);
        long received = 0;
        long passed = 0;
        loss.report(0, 0);
        for (int i = 0; i < 20_000; i++) { // 2 % loss, reported every 5 datagrams
            passed++;
            if (random.nextDouble() >= 0.02) {
                received++;
            }
            if (passed % 5 == 0) {
                loss.report(received, passed);
            }
        }
        // sigma of a 1/1024 average of Bernoulli(0.02): sqrt(0.02 * 0.98 / 2047) ~ 0.003
        assertThat(loss.measuredLoss()).isCloseTo(0.02, within(0.012));
        for (int i = 0; i < 3 * org.mptunnel.internal.path.DecayedLoss.SMOOTHING_DATAGRAMS; i += 5) { // then none
            passed += 5;
            received += 5;
            loss.report(received, passed);
        }
        // three time constants later: e^-3 of the old level is left
        assertThat(loss.measuredLoss()).isLessThan(0.002);
    }

    @Test
    void twoLossesInAFewDatagramsAreABurstForACleanPathButNotForALossyOne() {
        ReportedLoss loss = new ReportedLoss();
        loss.report(0, 0);
        loss.report(4, 4);
        loss.report(7, 9);
        assertThat(loss.burst(0.001)).isTrue();
        assertThat(loss.burst(0.2)).isFalse();
    }

    @Test
    void oneLossIsNeverABurst() {
        ReportedLoss loss = new ReportedLoss();
        loss.report(0, 0);
        loss.report(0, 1);
        assertThat(loss.burst(1e-9)).isFalse();
    }

    @Test
    void lossesSpreadOverTheLastReportsAddUp() {
        ReportedLoss loss = new ReportedLoss();
        loss.report(0, 0);
        long passed = 0;
        long received = 0;
        for (int i = 0; i < 3; i++) { // one loss in each of three reports of five
            passed += 5;
            received += 4;
            loss.report(received, passed);
        }
        assertThat(loss.burst(0.001)).isTrue();
        loss.clearRecent();
        assertThat(loss.burst(0.001)).as("forgotten").isFalse();
    }

    @Test
    void lossesPaidBackAreNoBurst() {
        ReportedLoss loss = new ReportedLoss();
        loss.report(0, 0);
        loss.report(2, 5);
        loss.report(5, 5);
        assertThat(loss.burst(0.001)).isFalse();
    }

    @Test
    void theChernoffBoundIsNeverBelowTheExactChance() {
        // P(X >= 2) for X ~ Binomial(10, 0.001): 1 - 0.999^10 - 10 * 0.001 * 0.999^9
        double exact = 1 - Math.pow(0.999, 10) - 10 * 0.001 * Math.pow(0.999, 9);
        double bound = ReportedLoss.chanceOfAtLeast(10, 2, 0.001);
        assertThat(bound).isGreaterThanOrEqualTo(exact).isLessThan(10 * exact);
        assertThat(ReportedLoss.chanceOfAtLeast(10, 1, 0.2)).as("no more than expected").isEqualTo(1);
        assertThat(ReportedLoss.chanceOfAtLeast(4, 4, 0.5)).isCloseTo(0.0625, within(1e-12));
    }
}
