package org.mptunnel.benchmarks.harness;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

/** The sweep's bisection and how the report brackets the sustained rate with it. */
class RefineTest {

    @Test
    void bisectHalvesTheGapUntilItIsWithinThePrecision() {
        assertThat(Harness.bisect(40_000, 50_000, 0.02)).isEqualTo(45_000);
        assertThat(Harness.bisect(40_000, 45_000, 0.02)).isEqualTo(42_500);
        assertThat(Harness.bisect(40_000, 42_500, 0.02)).isEqualTo(41_300); // rounded to 100/s
        assertThat(Harness.bisect(40_000, 41_300, 0.02)).isEqualTo(40_700);
        assertThat(Harness.bisect(40_000, 40_700, 0.02)).isZero(); // within 2 % of 40,000: known closely enough
    }

    @Test
    void bisectStopsWithNothingToBisect() {
        assertThat(Harness.bisect(0, 2_000, 0.02)).as("nothing passed").isZero();
        assertThat(Harness.bisect(40_000, Integer.MAX_VALUE, 0.02)).as("nothing failed").isZero();
        assertThat(Harness.bisect(40_000, 40_100, 0)).as("no grain left between them").isZero();
    }

    @Test
    void reportBracketsTheSustainedRateWithTheLowestFailureAboveIt() throws Exception {
        Report report = new Report(HarnessOptions.parse("--jar", "pom.xml"));
        report.sweep("tunnel", List.of(step(30_000, true, 1), step(40_000, true, 1), step(50_000, false, 1),
                step(50_000, false, 2), step(45_000, false, 1), step(45_000, true, 2), step(47_500, false, 1),
                step(47_500, false, 2)));
        report.sweep("bare", List.of(step(100_000, true, 1), step(120_000, false, 1), step(120_000, false, 2)));

        assertThat(report.sustained("tunnel").result().offeredRate()).isEqualTo(45_000);
        assertThat(report.failedAbove("tunnel")).as("45,000 passed on its second attempt").isEqualTo(47_500);
        assertThat(report.failedAbove("bare")).isEqualTo(120_000);
        assertThat(report.markdown()).contains("| lowest offered rate above it that failed (datagrams/s) | 47,500 | 120,000 "
                + "| 0.38–0.48 |");
    }

    @Test
    void noFailureAboveLeavesTheBracketOpen() throws Exception {
        Report report = new Report(HarnessOptions.parse("--jar", "pom.xml"));
        report.sweep("tunnel", List.of(step(2_000, true, 1), step(5_000, true, 1)));
        report.sweep("bare", List.of(step(2_000, true, 1), step(5_000, true, 1), step(10_000, false, 1)));
        assertThat(report.failedAbove("tunnel")).isNaN();
        assertThat(report.markdown()).contains("| lowest offered rate above it that failed (datagrams/s) | – | 10,000 "
                + "| 0.50–? |");
    }

    private static Measured step(int rate, boolean passed, int attempt) {
        Histogram rtt = new Histogram(3);
        rtt.recordValue(100_000);
        int sent = rate * 3;
        StepResult r = new StepResult(rate, rate, sent, passed ? sent : sent * 9 / 10, 0, passed ? rate : rate * 0.9, rtt);
        return new Measured("sweep", "tunnel", r, Map.of(), passed, attempt, 1, 0.1);
    }
}
