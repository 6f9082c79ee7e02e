package org.mptunnel.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.mptunnel.OrderingStats;
import org.mptunnel.TunnelConfig;
import org.mptunnel.TunnelStats;

class StatsReportTest {

    private static TunnelStats stats(OrderingStats ordering) {
        return new TunnelStats(TunnelConfig.Role.SERVER, 10, 20, 0, 0, 0, 0, 0, 0, List.of(), ordering);
    }

    @Test
    void orderedDeliveryCountersShowOnlyOnceItHasDoneSomething() {
        assertThat(new StatsReport().add(stats(OrderingStats.NONE), true).line()).doesNotContain("order");

        StatsReport report = new StatsReport().add(stats(new OrderingStats(7, 3, 0, 1, 2, 0)), true)
                .addClosed(new StatsReport().add(stats(new OrderingStats(1, 0, 0, 0, 0, 0)), false));

        assertThat(report.line()).endsWith(" order-held 8 order-timeouts 3 order-skipped 1 order-late 2");
        assertThat(report.summary()).contains("ordered delivery: held 8, released on timeout 3,"
                + " sequence numbers skipped 1, late dropped 2");
    }
}
