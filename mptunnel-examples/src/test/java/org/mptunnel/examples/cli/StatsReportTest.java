package org.mptunnel.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mptunnel.OrderingStats;
import org.mptunnel.PathStats;
import org.mptunnel.RedundancyStats;
import org.mptunnel.SessionStats;
import org.mptunnel.TunnelConfig;
import org.mptunnel.TunnelStats;

class StatsReportTest {

    private static final PathStats PATH = new PathStats(new InetSocketAddress("127.0.0.1", 4000), true, 10, 1000, 0,
            10, 1000, 5, 0, 1_000_000, 0.02);

    private static TunnelStats client(long datagrams, long copies, double estimated, double measured) {
        SessionStats session = new SessionStats(1, null, 0, 0, 0, 0, 0, List.of(PATH), datagrams, copies,
                estimated, measured, OrderingStats.NONE);
        return TunnelStats.builder(TunnelConfig.Role.CLIENT).sessions(List.of(session)).build();
    }

    @Test
    void aClientsLineAndSummaryShowCopiesAndBothLosses() {
        StatsReport report = new StatsReport().add(client(1_000, 1_500, 0.0005, 0.002), true)
                .add(client(3_000, 3_000, 0.0001, 0.0), true);

        assertThat(report.copiesPerDatagram()).isEqualTo(1.125);
        // weighted by datagrams sent: (0.0005 * 1000 + 0.0001 * 3000) / 4000
        assertThat(report.estimatedLoss()).isCloseTo(0.0002, within(1e-12));
        assertThat(report.measuredLoss()).isCloseTo(0.0005, within(1e-12));
        assertThat(report.line()).endsWith(
                "datagrams-sent 4000 copies-sent 4500 copies/datagram 1.13 loss estimated 0.020% measured 0.050%"
                        + " wire/payload 0.000 residual 0.000%");
        assertThat(report.summary()).endsWith(
                "datagrams sent 4000, copies/datagram 1.13, loss estimated 0.020% measured 0.050%,"
                        + " wire/payload 0.000 residual 0.000%");
    }

    @Test
    void unknownLossesShowAsDashesAndAServerShowsCopiesOnly() {
        assertThat(new StatsReport().add(client(10, 30, -1, 0.01), true).line())
                .endsWith("copies/datagram 3.00 loss estimated - measured 1.000% wire/payload 0.000 residual 0.000%");
        assertThat(new StatsReport().add(client(10, 20, -1, -1), true).line()).endsWith("copies/datagram 2.00 wire/payload 0.000 residual 0.000%");
        assertThat(new StatsReport().add(client(0, 0, -1, -1), true).line()).endsWith("malformed-dropped 0 auth-failed 0 handshakes 0");
    }

    @Test
    void fecShowsBytesOnTheWireRepairsRecoveredAndResidualLoss() {
        SessionStats session = new SessionStats(1, null, 0, 0, 0, 0, 0, List.of(PATH), 100, 100, -1, -1,
                OrderingStats.NONE, new RedundancyStats(100_000, 165_000, 50, 40, 7, 0, 1_000, 998));
        StatsReport report = new StatsReport()
                .add(TunnelStats.builder(TunnelConfig.Role.CLIENT).sessions(List.of(session)).build(), true);

        assertThat(report.line()).endsWith("copies/datagram 1.00 wire/payload 1.650 repairs-sent 50"
                + " repairs-received 40 recovered 7 residual 0.200%");
    }

    @Test
    void closedSocketsKeepTheirCopiesButNotTheirLosses() {
        StatsReport closed = new StatsReport().add(client(100, 300, 0.01, 0.01), false);
        StatsReport report = new StatsReport().add(client(100, 100, -1, -1), true).addClosed(closed);

        assertThat(report.copiesPerDatagram()).isEqualTo(2.0);
        assertThat(report.measuredLoss()).isEqualTo(-1);
    }

    private static TunnelStats stats(OrderingStats ordering) {
        return TunnelStats.builder(TunnelConfig.Role.SERVER).delivered(10).duplicatesDropped(20).ordering(ordering).build();
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

    @Test
    void datagramsReleasedForTheByteBudgetShowOnceThereAreAny() {
        StatsReport report = new StatsReport().add(stats(new OrderingStats(9, 0, 0, 2, 0, 1, 5, 176)), true);

        assertThat(report.line()).endsWith(" order-held 9 order-timeouts 0 order-skipped 2 order-late 0"
                + " order-over-budget 5");
        assertThat(report.summary()).endsWith(", released for the byte budget 5");
    }

    @Test
    void aServersLineWithManySessionsStaysShortAndNamesTheBusiest() {
        List<SessionStats> sessions = new java.util.ArrayList<>();
        for (int i = 0; i < 200; i++) {
            List<PathStats> paths = new java.util.ArrayList<>();
            for (int p = 0; p < 3; p++) {
                paths.add(new PathStats(new InetSocketAddress("127.0.0.1", 10_000 + 3 * i + p), p != 2, 10, 1000, 0,
                        10, 1000, 5, 0, 1_000_000, 0.02));
            }
            // session 0x1000 + i delivered i datagrams: the busiest are the last three
            sessions.add(new SessionStats(0x1000 + i, null, i, 0, 0, 0, 0, paths, 0, 0, -1, -1, OrderingStats.NONE));
        }
        TunnelStats server = TunnelStats.builder(TunnelConfig.Role.SERVER).sessions(sessions).build();

        String line = new StatsReport().add(server, true).serverLine();

        assertThat(line).hasSizeLessThan(500);
        assertThat(line).startsWith("sessions 200 delivered ").contains(" paths 600 up 400 path-challenges 0 bytes-withheld 0 ")
                .endsWith(" | session 10c7 delivered 199 sent 0 paths 3 up 2 | session 10c6 delivered 198 sent 0 paths 3 up 2"
                        + " | session 10c5 delivered 197 sent 0 paths 3 up 2");
    }

    @Test
    void aServersLineAndSummaryShowPathValidation() {
        TunnelStats server = TunnelStats.builder(TunnelConfig.Role.SERVER).pathChallenges(12).bytesWithheld(3_400).build();
        StatsReport report = new StatsReport().add(server, true)
                .addClosed(new StatsReport().add(TunnelStats.builder(TunnelConfig.Role.SERVER).pathChallenges(1).build(), false));

        assertThat(report.serverLine()).contains(" path-challenges 13 bytes-withheld 3400");
        assertThat(report.summary()).contains("path validation: challenges 13, bytes withheld from unvalidated addresses 3400");
        assertThat(new StatsReport().add(stats(OrderingStats.NONE), true).summary()).doesNotContain("path validation");
    }

    @Test
    void fecPlansRefusedOrDeferredShowOnceThereAreAny() {
        assertThat(new StatsReport().add(stats(OrderingStats.NONE), true).line()).doesNotContain("plans");
        assertThat(new StatsReport().add(stats(OrderingStats.NONE), true).summary()).doesNotContain("FEC planning");

        TunnelStats.Builder client = TunnelStats.builder(TunnelConfig.Role.CLIENT);
        StatsReport clients = new StatsReport().add(client.fecPlansRefused(2).build(), true)
                .addClosed(new StatsReport().add(client.fecPlansRefused(1).build(), false));
        assertThat(clients.line()).endsWith(" fec-plans-refused 3");
        assertThat(clients.summary()).endsWith("FEC planning: code rate searches refused 3, reply spread plans deferred 0");

        StatsReport server = new StatsReport()
                .add(TunnelStats.builder(TunnelConfig.Role.SERVER).replyPlansDeferred(7).build(), true);
        assertThat(server.serverLine()).contains(" reply-plans-deferred 7 paths 0 up 0 ");
        assertThat(server.summary()).endsWith("FEC planning: code rate searches refused 0, reply spread plans deferred 7");
    }
}
