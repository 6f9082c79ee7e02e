package org.mptunnel.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LogLimitTest {

    @Test
    void aBurstPerKeyAndIntervalThenSilenceCountedForTheNextLine() {
        LogLimit limit = new LogLimit(1_000, 2);
        assertThat(limit.allow("a", 0)).isTrue();
        assertThat(limit.allow("a", 10)).isTrue();
        assertThat(limit.allow("a", 20)).isFalse();
        assertThat(limit.allow("a", 999)).isFalse();
        assertThat(limit.takeSuppressed()).isEqualTo(" (2 similar line(s) suppressed)");
        assertThat(limit.takeSuppressed()).isEmpty();
        assertThat(limit.allow("a", 1_000)).as("a new interval").isTrue();
    }
}
