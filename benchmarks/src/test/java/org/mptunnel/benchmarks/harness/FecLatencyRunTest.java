package org.mptunnel.benchmarks.harness;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class FecLatencyRunTest {

    @Test
    void aRowsDeadlineIsTheOneItsRedundancySetsElseTheDefault() {
        assertThat(FecLatencyRun.deadlineOf("fec-adaptive:0.1%:12ms")).isEqualTo(Duration.ofMillis(12));
        assertThat(FecLatencyRun.deadlineOf("fec-adaptive:0.1%")).isEqualTo(FecLatencyRun.GROUP_DEADLINE);
        assertThat(FecLatencyRun.deadlineOf("fec:8:4")).isEqualTo(FecLatencyRun.GROUP_DEADLINE);
        assertThat(FecLatencyRun.deadlineOf("all")).isEqualTo(FecLatencyRun.GROUP_DEADLINE);
    }
}
