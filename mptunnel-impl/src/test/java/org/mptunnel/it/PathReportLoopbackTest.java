package org.mptunnel.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mptunnel.MultipathDatagramSocket;
import org.mptunnel.PathStats;
import org.mptunnel.SessionStats;
import org.mptunnel.internal.bridge.Impairment;
import org.mptunnel.internal.bridge.UdpBridge;

/**
 * Per-path reports end to end over three loopback bridges, one of which loses 20 % of what
 * crosses it each way (seeded): each side's estimate of its own data's loss finds that path, and
 * only that one. Every datagram goes on every path, so each path carries all of it.
 */
class PathReportLoopbackTest {

    private static final int COUNT = 4_000;
    private static final double LOSS = 0.20;
    /**
     * The estimate weighs about the last 1,024 datagrams of the path: a standard error of 1.3
     * points at 20 %; four of them, and the lag of datagrams in flight at a report.
     */
    private static final double TOLERANCE = 0.06;

    @Test
    @Timeout(120)
    void eachSideFindsThePathThatLosesItsData() throws Exception {
        try (Loopback net = new Loopback()) {
            // Keepalives every 10 ms for frequent reports, and a dead timeout long enough that a
            // loaded machine's pauses do not take every path down at once
            MultipathDatagramSocket server = net.server(b -> b.deadTimeout(Duration.ofMillis(500)));
            List<UdpBridge> bridges = List.of(
                    net.bridge(Loopback.addressOf(server), Impairment.NONE),
                    net.bridge(Loopback.addressOf(server), Impairment.lossy(LOSS, 20_261_204L)),
                    net.bridge(Loopback.addressOf(server), Impairment.NONE));
            MultipathDatagramSocket client = net.client(Loopback.addressesOf(bridges),
                    b -> b.keepaliveInterval(Duration.ofMillis(10)).deadTimeout(Duration.ofMillis(500)));
            // Every path answered, and validated at the server, before the traffic starts
            await().atMost(Duration.ofSeconds(20)).until(() -> session(client).paths().stream()
                    .allMatch(p -> p.smoothedRttNanos() >= 0) && !server.stats().sessions().isEmpty()
                    && session(server).paths().stream().filter(PathStats::validated).count() == 3);

            try (Traffic.Receiver atServer = new Traffic.Receiver(server);
                 Traffic.Receiver atClient = new Traffic.Receiver(client)) {
                Traffic.sendPaced(client, 0, COUNT, 200, 64, atServer);
                await().atMost(Duration.ofSeconds(20)).until(() -> atServer.received.get() == COUNT);
                await().atMost(Duration.ofSeconds(20)).until(() -> session(client).paths().stream()
                        .allMatch(p -> p.measuredLoss() >= 0));
                List<PathStats> clientPaths = session(client).paths();
                System.out.printf("per-path loss measured by the client: %s%n",
                        clientPaths.stream().map(p -> String.format("%.4f", p.measuredLoss())).toList());
                assertThat(clientPaths.get(1).measuredLoss()).as("the lossy path, client to server")
                        .isCloseTo(LOSS, within(TOLERANCE));
                assertThat(clientPaths.get(0).measuredLoss()).as("a clean path").isLessThan(0.02);
                assertThat(clientPaths.get(2).measuredLoss()).as("a clean path").isLessThan(0.02);

                InetSocketAddress session = session(server).address();
                Traffic.sendPaced(server, session, 0, COUNT, 200, 64, atClient);
                await().atMost(Duration.ofSeconds(20)).until(() -> atClient.received.get() == COUNT);
            }
            await().atMost(Duration.ofSeconds(20)).until(() -> session(server).paths().stream()
                    .filter(p -> p.validated()).allMatch(p -> p.measuredLoss() >= 0));
            List<Double> serverLosses = session(server).paths().stream().filter(PathStats::validated)
                    .map(PathStats::measuredLoss).sorted().toList();
            System.out.printf("per-path loss measured by the server: %s%n", serverLosses);
            assertThat(serverLosses).as("server to client, one estimate per path").hasSize(3);
            assertThat(serverLosses.get(2)).as("the lossy path").isCloseTo(LOSS, within(TOLERANCE));
            assertThat(serverLosses.get(1)).as("the clean paths").isLessThan(0.02);
        }
    }

    private static SessionStats session(MultipathDatagramSocket socket) {
        return socket.stats().sessions().get(0);
    }
}
