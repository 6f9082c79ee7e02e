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

/** A client's per-path loss estimate, from its keepalives alone, follows what each bridge drops. */
class ProbeLossEstimateTest {

    @Test
    @Timeout(60)
    void estimatesEachPathsLossFromItsProbes() throws Exception {
        try (Loopback net = new Loopback()) {
            MultipathDatagramSocket server = net.server();
            List<UdpBridge> bridges = List.of(
                    net.bridge(Loopback.addressOf(server), Impairment.NONE),
                    net.bridge(Loopback.addressOf(server), Impairment.lossy(0.20, 20_260_201L)),
                    net.bridge(Loopback.addressOf(server), Impairment.lossy(0.05, 20_260_202L)));
            MultipathDatagramSocket client = net.client(Loopback.addressesOf(bridges),
                    b -> b.keepaliveInterval(Duration.ofMillis(10)));

            assertThat(path(server, 0).probeLoss()).as("a server does not probe").isEqualTo(-1);
            // Averaged over 100 snapshots 20 ms apart (past the first 300 probes), so that one
            // noisy moment of the 32-probe average does not decide: the average's error is then
            // about 2 points one-way at 20 %, and the tolerances are over 3 of those (fixed seeds).
            double[] sums = new double[3];
            int[] samples = {0};
            await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(20)).until(() -> {
                List<PathStats> paths = client.stats().sessions().get(0).paths();
                if (paths.get(1).datagramsSent() < 300) {
                    return false;
                }
                for (int i = 0; i < 3; i++) {
                    sums[i] += paths.get(i).estimatedLoss();
                }
                return ++samples[0] == 100;
            });
            double clean = sums[0] / 100;
            double lossy = sums[1] / 100;
            double slight = sums[2] / 100;
            System.out.printf("estimated one-way loss: clean %.3f, 20%% -> %.3f, 5%% -> %.3f%n", clean, lossy, slight);
            assertThat(clean).as("clean path").isBetween(0.0, 0.01);
            assertThat(lossy).as("20 %% path").isBetween(0.13, 0.27);
            assertThat(slight).as("5 %% path").isBetween(0.01, 0.10);
        }
    }

    private static PathStats path(MultipathDatagramSocket socket, int index) {
        return await().atMost(Duration.ofSeconds(5)).until(() -> {
            var sessions = socket.stats().sessions();
            return sessions.isEmpty() || sessions.get(0).paths().size() <= index ? null
                    : sessions.get(0).paths().get(index);
        }, p -> p != null);
    }
}
