package org.mptunnel.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class LogLimitTest {

    private static final long SECOND = Duration.ofSeconds(1).toNanos();

    @Test
    void aBurstPerIntervalThenTheNextLineSaysHowManyWereHeldBack() {
        LogLimit limit = new LogLimit(Duration.ofSeconds(1), 2);
        long t = 123_456_789L;
        assertThat(limit.admit(t)).isZero();
        assertThat(limit.admit(t + 1)).isZero();
        for (int i = 0; i < 1_000; i++) {
            assertThat(limit.admit(t + 2 + i)).as("held back within the interval").isEqualTo(-1);
        }
        assertThat(limit.admit(t + SECOND)).as("the next interval's first line").isEqualTo(1_000);
        assertThat(limit.admit(t + SECOND + 1)).isZero();
        assertThat(limit.admit(t + SECOND + 2)).isEqualTo(-1);
    }

    @Test
    void theSuffixNamesOnlyWhatWasHeldBack() {
        assertThat(LogLimit.heldBack(0)).isEmpty();
        assertThat(LogLimit.heldBack(299)).isEqualTo(" (299 more like it not logged)");
    }
}
