package org.mptunnel.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.DatagramPacket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
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
    /**
     * Probes each path answers or misses before traffic starts: past the planner's warm-up, and
     * enough that the start-up's outcomes weigh little (5 %) in the 256-probe average the planner
     * also plans with. A loaded machine can start slowly: acks later than the slot that remembers
     * their probe, or withheld until the server has validated the path, count as lost, and a few
     * of them among the average's first 256 outcomes held the 1 % path at the 3 % target for the
     * whole of a run that started after 300 probes, so that a second path was used throughout.
     */
    private static final int WARM_PROBES = 256 + 3 * 256;

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
                RedundancyTest.awaitQuiet(server);
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
     * Paths losing 1, 20 and 30 % one way, target 3 %: the 1 % path alone meets it. Expected loss
     * 1 % (sigma over 20,000: 0.07 points). The target is not 2 %: on a loaded machine late acks
     * make the 1 % path's estimate read up to 2 %, and it is then joined by another. A few bursts
     * may send every copy for a while, hence the 1.5 bound rather than 1.
     */
    @Test
    @Timeout(120)
    void oneGoodPathCarriesAloneWhenItMeetsTheTarget() throws Exception {
        Run run = run(new double[] {0.01, 0.20, 0.30}, 20_260_301L, Redundancy.adaptive(0.03));
        assertThat(run.copies()).as("copies per datagram").isLessThanOrEqualTo(1.5);
        assertThat(run.loss()).as("one-way loss").isLessThanOrEqualTo(0.03);
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

    /**
     * Paths losing 0, 5 and 10 %: the clean one alone meets the 0.1 % target. Two seconds into a
     * run at 5,000 datagrams a second it starts losing half of them each way. The server reports
     * what it received in every keepalive-ack (every path is probed every 2.5 ms, so a report
     * arrives about every millisecond); once the reports show a handful of datagrams missing, far
     * more than the clean path should lose, every path is used again. Only the datagrams sent in
     * the meantime (a few milliseconds' worth, half of them lost) plus the three paths' joint loss
     * (0.25 %) are lost: 0.24 to 0.50 % over the next second measured with a load average of 4 to
     * 7 on two cores, against 1.2 to 2.2 % (up to 4 %) when only overdue probes gave the signal.
     * The bound is 2 %, above the 1 %: the I/O thread of a loaded machine can be held up
     * for tens of milliseconds, and each 10 ms cost 0.25 %. The run also writes its buckets to
     * {@code target/adaptive-turning-lossy.csv} for BENCHMARKS.md's plot. Copies while the path is
     * clean stay under 2 (all paths would be 3) unless the machine stalls at the start: every
     * path's probes then go unanswered at once, their estimates rise, and the 256-probe average
     * keeps all three in use for seconds (seen once in eight runs at a load average of 4 to 7).
     */
    @Test
    @Timeout(120)
    void aCleanPathTurningLossyIsLeftWithinMilliseconds() throws Exception {
        int rate = 5_000;
        int before = 2 * rate;
        int after = rate;
        try (Loopback net = new Loopback()) {
            MultipathDatagramSocket server = net.server(b -> b.deadTimeout(Duration.ofMillis(500)));
            List<UdpBridge> bridges = List.of(
                    net.bridge(Loopback.addressOf(server), Impairment.NONE),
                    net.bridge(Loopback.addressOf(server), Impairment.lossy(0.05, 20_260_341L)),
                    net.bridge(Loopback.addressOf(server), Impairment.lossy(0.10, 20_260_342L)));
            MultipathDatagramSocket client = net.client(Loopback.addressesOf(bridges), b -> b
                    .keepaliveInterval(Duration.ofMillis(10)).deadTimeout(Duration.ofMillis(500))
                    .redundancy(Redundancy.adaptive()));
            await().atMost(Duration.ofSeconds(30)).until(() -> client.stats().sessions().get(0).paths().stream()
                    .allMatch(p -> p.datagramsSent() >= WARM_PROBES));

            try (Traffic.Receiver receiver = new Traffic.Receiver(server)) {
                int total = before + after;
                int bucket = rate / 10;
                long[] copiesAt = new long[total / bucket + 1];
                double[] estimatedAt = new double[total / bucket + 1];
                double[] measuredAt = new double[total / bucket + 1];
                long start = System.nanoTime();
                long interval = TimeUnit.SECONDS.toNanos(1) / rate;
                for (int n = 0; n < total; n++) {
                    long due = start + n * interval;
                    while (System.nanoTime() - due < 0) {
                        LockSupport.parkNanos(50_000);
                    }
                    if (n % bucket == 0) {
                        SessionStats now = client.stats().sessions().get(0);
                        copiesAt[n / bucket] = now.copiesSent();
                        estimatedAt[n / bucket] = now.estimatedLoss();
                        measuredAt[n / bucket] = now.measuredLoss();
                    }
                    if (n == before) {
                        bridges.get(0).impairment(Impairment.lossy(0.5, 20_260_343L));
                    }
                    byte[] data = Traffic.datagram(n, 64);
                    client.send(new DatagramPacket(data, data.length));
                }
                SessionStats end = client.stats().sessions().get(0);
                copiesAt[total / bucket] = end.copiesSent();
                estimatedAt[total / bucket] = end.estimatedLoss();
                measuredAt[total / bucket] = end.measuredLoss();
                RedundancyTest.awaitQuiet(server);

                int lostBefore = 0;
                int lostAfter = 0;
                // Also as CSV, for BENCHMARKS.md's plot (benchmarks' TimelinePlot draws it).
                StringBuilder csv = new StringBuilder("t_ms,loss,copies_per_datagram,estimated_loss,measured_loss\n");
                System.out.println("turning lossy: t(ms) loss(%) copies/datagram estimated(%) measured(%), per 100 ms");
                for (int b = 0; b < total / bucket; b++) {
                    int lost = 0;
                    for (int n = b * bucket; n < (b + 1) * bucket; n++) {
                        if (!receiver.has(n)) {
                            lost++;
                        }
                    }
                    if (b * bucket < before) {
                        lostBefore += lost;
                    } else {
                        lostAfter += lost;
                    }
                    double copies = (double) (copiesAt[b + 1] - copiesAt[b]) / bucket;
                    System.out.printf("turning lossy: %5d %6.2f %5.2f %7.3f %7.3f%n", b * 100, 100.0 * lost / bucket,
                            copies, 100 * estimatedAt[b + 1], 100 * measuredAt[b + 1]);
                    csv.append(String.format(java.util.Locale.ROOT, "%d,%.4f,%.3f,%.5f,%.5f%n", b * 100,
                            (double) lost / bucket, copies, estimatedAt[b + 1], measuredAt[b + 1]));
                }
                Path csvFile = Path.of("target", "adaptive-turning-lossy.csv");
                Files.writeString(csvFile, csv);
                double lossAfter = (double) lostAfter / after;
                System.out.printf("turning lossy: before %.3f %%, copies %.2f; next second %.3f %%, copies %.2f%n",
                        100.0 * lostBefore / before, (double) copiesAt[before / bucket] / before,
                        lossAfter * 100, (double) (copiesAt[total / bucket] - copiesAt[before / bucket]) / after);
                assertThat((double) copiesAt[before / bucket] / before).as("copies while the path is clean")
                        .isLessThan(2.0);
                assertThat(lossAfter).as("loss over the second after the clean path turned lossy").isLessThan(0.02);
            }
        }
    }
}
