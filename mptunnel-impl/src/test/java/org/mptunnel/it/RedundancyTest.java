package org.mptunnel.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mptunnel.MultipathDatagramSocket;
import org.mptunnel.PathStats;
import org.mptunnel.SessionStats;
import org.mptunnel.TunnelStats;
import org.mptunnel.internal.bridge.Impairment;
import org.mptunnel.internal.bridge.UdpBridge;

/** The product's promise: copies over independent lossy paths make a much less lossy link. */
class RedundancyTest {

    private static final int COUNT = 20_000;
    private static final double PATH_LOSS = 0.20;

    @Test
    @Timeout(120)
    void threePathsLosingTwentyPercentEachLoseAboutPointEightPercent() throws Exception {
        try (Loopback net = new Loopback()) {
            MultipathDatagramSocket server = net.server();
            List<UdpBridge> bridges = net.lossyBridges(3, Loopback.addressOf(server), PATH_LOSS, 20_260_001L);
            MultipathDatagramSocket client = net.client(Loopback.addressesOf(bridges));

            try (Traffic.Receiver receiver = new Traffic.Receiver(server)) {
                Traffic.sendPaced(client, 0, COUNT, 200, 64, receiver);
                // Everything sent is either delivered or lost for good once the server has seen the
                // last datagram's copies; wait for the receiver to drain the inbox.
                await().atMost(Duration.ofSeconds(10)).until(() ->
                        receiver.received.get() == server.stats().delivered());
                awaitQuiet(server);

                int delivered = receiver.received.get();
                double loss = 1.0 - (double) delivered / COUNT;
                double expected = Math.pow(PATH_LOSS, 3); // 0.8 %
                double sigma = Math.sqrt(expected * (1 - expected) / COUNT);
                System.out.printf("3 x 20%% loss over %d datagrams: delivered %d, loss %.3f%% (theory %.3f%%, sigma %.3f%%)%n",
                        COUNT, delivered, loss * 100, expected * 100, sigma * 100);

                assertThat(loss).as("one-way loss").isBetween(expected - 4 * sigma, expected + 4 * sigma);
                assertThat(receiver.duplicates).as("duplicates delivered").hasValue(0);
                assertThat(receiver.damaged).as("damaged payloads").hasValue(0);

                TunnelStats stats = server.stats();
                SessionStats session = stats.sessions().get(0);
                long firsts = session.paths().stream().mapToLong(PathStats::firstDeliveries).sum();
                assertThat(firsts).as("first deliveries over all paths").isEqualTo(stats.delivered());
                assertThat(session.paths()).as("every path delivered some first copies")
                        .allSatisfy(p -> assertThat(p.firstDeliveries()).isPositive());
                assertThat(stats.duplicatesDropped()).as("copies dropped as duplicates").isPositive();
                assertThat(stats.malformedDropped()).isZero();
            }
        }
    }

    @Test
    @Timeout(60)
    void losingOneOfThreeCleanPathsMidStreamLosesNothing() throws Exception {
        try (Loopback net = new Loopback()) {
            MultipathDatagramSocket server = net.server();
            List<UdpBridge> bridges = List.of(
                    net.bridge(Loopback.addressOf(server), Impairment.NONE),
                    net.bridge(Loopback.addressOf(server), Impairment.NONE),
                    net.bridge(Loopback.addressOf(server), Impairment.NONE));
            MultipathDatagramSocket client = net.client(Loopback.addressesOf(bridges));

            try (Traffic.Receiver receiver = new Traffic.Receiver(server)) {
                Traffic.sendPaced(client, 0, 3_000, 200, 32, receiver);
                bridges.get(1).close();
                Traffic.sendPaced(client, 3_000, 6_000, 200, 32, receiver);
                await().atMost(Duration.ofSeconds(10)).until(() -> receiver.received.get() == 6_000);

                assertThat(receiver.duplicates).hasValue(0);
                assertThat(receiver.damaged).hasValue(0);
                await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
                    List<PathStats> paths = client.stats().sessions().get(0).paths();
                    assertThat(paths.get(1).up()).as("the killed path is marked down").isFalse();
                    assertThat(paths.get(0).up()).isTrue();
                    assertThat(paths.get(2).up()).isTrue();
                });
            }
        }
    }

    /** Waits until the socket's delivered and duplicate counts stop moving (also used by the v2 tests). */
    static void awaitQuiet(MultipathDatagramSocket socket) {
        Settled.value(() -> socket.stats().delivered() + socket.stats().duplicatesDropped());
    }
}
