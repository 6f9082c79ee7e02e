package org.mptunnel.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mptunnel.MultipathDatagramSocket;
import org.mptunnel.PathStats;
import org.mptunnel.Redundancy;
import org.mptunnel.SessionStats;
import org.mptunnel.internal.bridge.Impairment;
import org.mptunnel.internal.bridge.UdpBridge;

/**
 * Adaptive redundancy on three lossy loopback bridges: copies go where they buy reliability.
 * Keepalives every 10 ms make the estimates converge within seconds; the dead timeout is long
 * enough that a path losing 30 % each way is never marked down for a few lost probes.
 */
class AdaptiveRedundancyTest {

    private static final int COUNT = 20_000;
    /** Probes each path answers or misses before traffic starts: past the planner's warm-up. */
    private static final int WARM_PROBES = 300;

    record Run(double loss, double copies, SessionStats client) {
    }

    private static Run run(double[] losses, long seed, Redundancy redundancy) throws Exception {
        try (Loopback net = new Loopback()) {
            MultipathDatagramSocket server = net.server(b -> b.deadTimeout(Duration.ofMillis(500)));
            List<UdpBridge> bridges = List.of(
                    net.bridge(Loopback.addressOf(server), Impairment.lossy(losses[0], seed)),
                    net.bridge(Loopback.addressOf(server), Impairment.lossy(losses[1], seed + 1)),
                    net.bridge(Loopback.addressOf(server), Impairment.lossy(losses[2], seed + 2)));
            MultipathDatagramSocket client = net.client(Loopback.addressesOf(bridges), b -> b
                    .keepaliveInterval(Duration.ofMillis(10)).deadTimeout(Duration.ofMillis(500))
                    .redundancy(redundancy));
            await().atMost(Duration.ofSeconds(30)).until(() -> client.stats().sessions().get(0).paths().stream()
                    .allMatch(p -> p.datagramsSent() >= WARM_PROBES));

            try (Traffic.Receiver receiver = new Traffic.Receiver(server)) {
                Traffic.sendPaced(client, 0, COUNT, 200, 64, receiver);
                await().atMost(Duration.ofSeconds(10)).until(() -> receiver.received.get() == server.stats().delivered());
                awaitQuiet(server);
                assertThat(receiver.duplicates).hasValue(0);
                assertThat(receiver.damaged).hasValue(0);
                SessionStats stats = client.stats().sessions().get(0);
                double loss = 1.0 - (double) receiver.received.get() / COUNT;
                System.out.printf("%s over %.0f/%.0f/%.0f %%: loss %.3f %%, %.3f copies per datagram, estimated %s%n",
                        redundancy, losses[0] * 100, losses[1] * 100, losses[2] * 100, loss * 100,
                        stats.copiesPerDatagram(),
                        stats.paths().stream().map(p -> String.format("%.3f", p.estimatedLoss())).toList());
                assertThat(stats.datagramsSent()).as("datagrams sent").isEqualTo(COUNT);
                return new Run(loss, stats.copiesPerDatagram(), stats);
            }
        }
    }

    /**
     * Paths losing 1, 20 and 30 % one way, target 2 %: the 1 % path alone meets it. Expected loss
     * 1 % (sigma over 20,000: 0.07 points); a few bursts may send every copy for a while, hence the
     * 1.5 bound rather than 1.
     */
    @Test
    @Timeout(120)
    void oneGoodPathCarriesAloneWhenItMeetsTheTarget() throws Exception {
        Run run = run(new double[] {0.01, 0.20, 0.30}, 20_260_301L, Redundancy.adaptive(0.02));
        assertThat(run.copies()).as("copies per datagram").isLessThanOrEqualTo(1.5);
        assertThat(run.loss()).as("one-way loss").isLessThanOrEqualTo(0.02);
        List<PathStats> paths = run.client().paths();
        assertThat(paths.get(0).datagramsSent()).as("the good path carries every datagram")
                .isGreaterThanOrEqualTo(COUNT);
    }

    /**
     * Same paths, default target 0.1 %: 1 % alone (1 %) and with the 20 % path (0.2 %) miss it, so
     * all three are used (0.06 %, sigma 0.017 points). The bound is the target plus 3 sigma of
     * the target's own sampling error (0.022 points).
     */
    @Test
    @Timeout(120)
    void aTightTargetUsesEveryPathItNeeds() throws Exception {
        Run run = run(new double[] {0.01, 0.20, 0.30}, 20_260_311L, Redundancy.adaptive());
        assertThat(run.loss()).as("one-way loss").isLessThanOrEqualTo(0.001 + 3 * 0.00022);
        assertThat(run.copies()).as("copies per datagram").isGreaterThan(2.5);
    }

    /** Three paths losing 20 % each: none is healthy enough to skip, so all three are used. */
    @Test
    @Timeout(120)
    void threeEquallyLossyPathsAreAllUsed() throws Exception {
        Run run = run(new double[] {0.20, 0.20, 0.20}, 20_260_321L, Redundancy.adaptive());
        double expected = 0.008;
        double sigma = Math.sqrt(expected * (1 - expected) / COUNT);
        assertThat(run.copies()).as("copies per datagram").isGreaterThan(2.95);
        assertThat(run.loss()).as("one-way loss").isBetween(expected - 4 * sigma, expected + 4 * sigma);
    }

    /** The baseline: the default sends every datagram on every path. */
    @Test
    @Timeout(120)
    void allPathsStillSendsEveryCopy() throws Exception {
        Run run = run(new double[] {0.01, 0.20, 0.30}, 20_260_331L, Redundancy.ALL_PATHS);
        assertThat(run.copies()).as("copies per datagram").isEqualTo(3.0);
    }

    private static void awaitQuiet(MultipathDatagramSocket socket) {
        long[] last = {-1};
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200)).until(() -> {
            long now = socket.stats().delivered() + socket.stats().duplicatesDropped();
            boolean quiet = now == last[0];
            last[0] = now;
            return quiet;
        });
    }
}
