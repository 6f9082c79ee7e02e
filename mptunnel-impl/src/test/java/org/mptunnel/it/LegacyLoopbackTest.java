package org.mptunnel.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.mptunnel.MultipathDatagramSocket;
import org.mptunnel.PathStats;
import org.mptunnel.SessionStats;
import org.mptunnel.TunnelConfig.WireFormat;
import org.mptunnel.TunnelStats;
import org.mptunnel.internal.bridge.UdpBridge;

/**
 * Our client and server both in the C mptunnel's wire format, over three bridges that each lose
 * 20 % in each direction: every datagram goes over every path, the far side keeps the first copy,
 * and both directions lose about 0.8 %.
 */
class LegacyLoopbackTest {

    private static final int COUNT = 3_000;
    private static final double PATH_LOSS = 0.20;

    @ParameterizedTest
    @EnumSource(value = WireFormat.class, names = {"LEGACY", "LEGACY_PLAIN"})
    @Timeout(120)
    void threeLossyPathsBothWays(WireFormat format) throws Exception {
        try (Loopback net = new Loopback()) {
            MultipathDatagramSocket server = net.server(b -> b.wireFormat(format));
            List<UdpBridge> bridges = net.lossyBridges(3, Loopback.addressOf(server), PATH_LOSS, 20_260_117L);
            MultipathDatagramSocket client = net.client(Loopback.addressesOf(bridges), b -> b.wireFormat(format));

            try (Traffic.Receiver atServer = new Traffic.Receiver(server);
                 Traffic.Receiver atClient = new Traffic.Receiver(client)) {
                Traffic.sendPaced(client, 0, COUNT, 200, 64, atServer);
                awaitSettled(server, atServer);
                checkLoss("client to server", format, atServer);

                // The server learned each bridge as a path from the client's copies; it replies on all.
                SessionStats session = server.stats().sessions().get(0);
                assertThat(session.paths()).as("paths learned").hasSize(3);
                InetSocketAddress peer = session.address();
                Traffic.sendPaced(server, peer, 0, COUNT, 200, 64, atClient);
                awaitSettled(client, atClient);
                checkLoss("server to client", format, atClient);

                for (MultipathDatagramSocket socket : List.of(server, client)) {
                    TunnelStats stats = socket.stats();
                    assertThat(stats.malformedDropped()).as("malformed at %s", stats.role()).isZero();
                    assertThat(stats.tooOldDropped()).as("too old at %s", stats.role()).isZero();
                    assertThat(stats.duplicatesDropped()).as("copies dropped at %s", stats.role()).isPositive();
                    List<PathStats> paths = stats.sessions().get(0).paths();
                    assertThat(paths).as("every path delivered first copies at %s", stats.role())
                            .allSatisfy(p -> assertThat(p.firstDeliveries()).isPositive());
                    assertThat(paths.stream().mapToLong(PathStats::firstDeliveries).sum())
                            .isEqualTo(stats.delivered());
                }
            }
        }
    }

    private static void checkLoss(String direction, WireFormat format, Traffic.Receiver receiver) {
        int delivered = receiver.received.get();
        double loss = 1.0 - (double) delivered / COUNT;
        double expected = Math.pow(PATH_LOSS, 3);
        double sigma = Math.sqrt(expected * (1 - expected) / COUNT);
        System.out.printf("%s %s, 3 x 20%% loss over %d datagrams: delivered %d, loss %.3f%% (theory %.3f%%, sigma %.3f%%)%n",
                format, direction, COUNT, delivered, loss * 100, expected * 100, sigma * 100);
        assertThat(loss).as("%s loss", direction).isBetween(expected - 4 * sigma, expected + 4 * sigma);
        assertThat(receiver.duplicates).as("%s duplicates delivered", direction).hasValue(0);
        assertThat(receiver.damaged).as("%s damaged payloads", direction).hasValue(0);
    }

    /** Waits until the receiver has taken everything delivered and no more copies arrive. */
    private static void awaitSettled(MultipathDatagramSocket socket, Traffic.Receiver receiver) {
        await().atMost(Duration.ofSeconds(10)).until(() -> receiver.received.get() == socket.stats().delivered());
        long[] last = {-1};
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200)).until(() -> {
            TunnelStats stats = socket.stats();
            long now = stats.delivered() + stats.duplicatesDropped();
            boolean quiet = now == last[0];
            last[0] = now;
            return quiet;
        });
    }
}
