package org.mptunnel.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mptunnel.MultipathDatagramSocket;
import org.mptunnel.PathStats;
import org.mptunnel.internal.bridge.Impairment;
import org.mptunnel.internal.bridge.UdpBridge;

/** Keepalives keep each path's state true: a silent path goes down, stops carrying data, and comes back. */
class PathLivenessTest {

    @Test
    @Timeout(30)
    void aCutPathGoesDownCarriesNoDataAndComesBackWhenHealed() throws Exception {
        try (Loopback net = new Loopback()) {
            MultipathDatagramSocket server = net.server();
            UdpBridge healthy = net.bridge(Loopback.addressOf(server), Impairment.NONE);
            UdpBridge flaky = net.bridge(Loopback.addressOf(server), Impairment.NONE);
            MultipathDatagramSocket client = net.client(Loopback.addressesOf(List.of(healthy, flaky)));

            await().atMost(Duration.ofSeconds(5)).until(() -> path(client, 1).smoothedRttNanos() >= 0);
            assertThat(path(server, 0).smoothedRtt()).as("the server learns RTT from the client").isPresent();

            flaky.blackhole(true);
            await().atMost(Duration.ofSeconds(5)).until(() -> !path(client, 1).up());
            assertThat(path(client, 0).up()).isTrue();

            try (Traffic.Receiver receiver = new Traffic.Receiver(server)) {
                long droppedBefore = flaky.dropped();
                Traffic.sendPaced(client, 0, 500, 100, 32, receiver);
                await().atMost(Duration.ofSeconds(5)).until(() -> receiver.received.get() == 500);
                // Only keepalives (a few per interval) may have gone into the cut path, no data.
                assertThat(flaky.dropped() - droppedBefore).as("datagrams sent into the cut path").isLessThan(50);

                flaky.blackhole(false);
                long healedAt = System.nanoTime();
                await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(1)).until(() -> path(client, 1).up());
                System.out.printf("path back up %d ms after healing (keepalive %d ms)%n",
                        (System.nanoTime() - healedAt) / 1_000_000, Loopback.KEEPALIVE.toMillis());
                long forwardedBefore = flaky.forwarded();
                Traffic.sendPaced(client, 500, 1_000, 100, 32, receiver);
                await().atMost(Duration.ofSeconds(5)).until(() -> receiver.received.get() == 1_000);
                // the bridge counts a datagram once its send returns, which may be after it arrived
                await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                        assertThat(flaky.forwarded() - forwardedBefore).as("data through the healed path").isGreaterThanOrEqualTo(500));
            }
        }
    }

    @Test
    @Timeout(30)
    void withEveryPathDownSendsAreDroppedAndCountedThenTrafficResumes() throws Exception {
        try (Loopback net = new Loopback()) {
            MultipathDatagramSocket server = net.server();
            UdpBridge only = net.bridge(Loopback.addressOf(server), Impairment.NONE);
            MultipathDatagramSocket client = net.client(List.of(only.localAddress()));
            try (Traffic.Receiver receiver = new Traffic.Receiver(server)) {
                Traffic.sendPaced(client, 0, 10, 100, 32, receiver);
                await().atMost(Duration.ofSeconds(5)).until(() -> receiver.received.get() == 10);

                only.blackhole(true);
                await().atMost(Duration.ofSeconds(5)).until(() -> !path(client, 0).up());
                for (int n = 10; n < 110; n++) {
                    byte[] data = Traffic.datagram(n, 100);
                    client.send(new java.net.DatagramPacket(data, data.length));
                }
                assertThat(client.stats().sendDropped()).isEqualTo(100);

                only.blackhole(false);
                await().atMost(Duration.ofSeconds(5)).until(() -> path(client, 0).up());
                Traffic.sendPaced(client, 110, 120, 100, 32, receiver);
                await().atMost(Duration.ofSeconds(5)).until(() -> receiver.received.get() == 20);
            }
        }
    }

    @Test
    @Timeout(30)
    void aBridgeRestartedOnTheSamePortIsRelearnedAndItsOldUpstreamForgotten() throws Exception {
        try (Loopback net = new Loopback()) {
            MultipathDatagramSocket server = net.server();
            UdpBridge steady = net.bridge(Loopback.addressOf(server), Impairment.NONE);
            UdpBridge restarting = net.bridge(Loopback.addressOf(server), Impairment.NONE);
            MultipathDatagramSocket client = net.client(Loopback.addressesOf(List.of(steady, restarting)));
            await().atMost(Duration.ofSeconds(5)).until(() -> server.stats().sessions().size() == 1
                    && server.stats().sessions().get(0).paths().size() == 2);

            java.net.InetSocketAddress port = restarting.localAddress();
            restarting.close();
            await().atMost(Duration.ofSeconds(5)).until(() -> !path(client, 1).up());
            UdpBridge restarted = net.bridge(Loopback.addressOf(server), Impairment.NONE, port);
            long restartedAt = System.nanoTime();
            await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(1)).until(() -> path(client, 1).up());
            System.out.printf("restarted bridge back up %d ms after it returned (keepalive %d ms)%n",
                    (System.nanoTime() - restartedAt) / 1_000_000, Loopback.KEEPALIVE.toMillis());
            // The server sees the restarted bridge from a new source port: a new path, and the old
            // one forgotten once silent for ten dead timeouts.
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(server.stats().sessions().get(0).paths())
                    .hasSize(2).allSatisfy(p -> assertThat(p.up()).isTrue()));
            assertThat(restarted.forwarded()).isPositive();
        }
    }

    private static PathStats path(MultipathDatagramSocket socket, int index) {
        return socket.stats().sessions().get(0).paths().get(index);
    }

}
