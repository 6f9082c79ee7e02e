package org.mptunnel.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mptunnel.MultipathDatagramSocket;
import org.mptunnel.internal.bridge.Impairment;
import org.mptunnel.internal.bridge.UdpBridge;

/** Paths that duplicate, reorder, delay and jitter: still each datagram once, intact. */
class ImpairedPathsTest {

    private static final int COUNT = 5_000;

    @Test
    @Timeout(120)
    void duplicationReorderingAndJitterDeliverEachDatagramExactlyOnce() throws Exception {
        try (Loopback net = new Loopback()) {
            MultipathDatagramSocket server = net.server();
            List<UdpBridge> bridges = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                bridges.add(net.bridge(Loopback.addressOf(server),
                        new Impairment(0, Duration.ofMillis(1), Duration.ofMillis(3), 0.3, 0.2, 4_242 + i)));
            }
            MultipathDatagramSocket client = net.client(Loopback.addressesOf(bridges));

            try (Traffic.Receiver atServer = new Traffic.Receiver(server)) {
                Traffic.sendPaced(client, 0, COUNT, 300, 64, atServer);
                await().atMost(Duration.ofSeconds(60)).until(() -> atServer.received.get() == COUNT);
                assertThat(atServer.duplicates).hasValue(0);
                assertThat(atServer.damaged).hasValue(0);
                assertThat(server.stats().duplicatesDropped()).as("copies and bridge duplicates dropped")
                        .isGreaterThan(2L * COUNT);
            }
        }
    }
}
