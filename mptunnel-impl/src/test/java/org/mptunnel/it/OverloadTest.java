package org.mptunnel.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.DatagramPacket;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mptunnel.MultipathDatagramSocket;

/** An application that stops receiving costs a bounded queue; the excess is dropped and counted. */
class OverloadTest {

    @Test
    @Timeout(30)
    void aReceiverThatFallsBehindLosesTheExcessNotTheSocket() throws Exception {
        try (Loopback net = new Loopback()) {
            MultipathDatagramSocket server = net.server(b -> b.receiveQueueCapacity(64));
            MultipathDatagramSocket client = net.client(List.of(Loopback.addressOf(server)));
            for (int n = 0; n < 1_000; n++) {
                byte[] data = Traffic.datagram(n, 100);
                client.send(new DatagramPacket(data, data.length));
                if (n % 50 == 49) {
                    int sent = n + 1;
                    // let the server's I/O thread keep up so that only the queue, not a socket buffer, overflows
                    await().atMost(Duration.ofSeconds(5)).until(() ->
                            server.stats().delivered() + server.stats().queueDropped() == sent);
                }
            }
            // a datagram the full queue refuses is counted delivered, then taken back and counted
            // dropped: the sum awaited above can hold a moment before the two settle
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
                assertThat(server.stats().delivered()).as("queued: the capacity").isEqualTo(64);
                assertThat(server.stats().queueDropped()).isEqualTo(1_000 - 64);
            });

            // The first 64 are there, in order of arrival, and then the socket works as before.
            server.setSoTimeout(2_000);
            DatagramPacket in = new DatagramPacket(new byte[200], 200);
            for (int n = 0; n < 64; n++) {
                server.receive(in);
                assertThat(Traffic.check(in.getData(), in.getOffset(), in.getLength())).isEqualTo(n);
            }
            byte[] late = Traffic.datagram(1_000, 100);
            client.send(new DatagramPacket(late, late.length));
            server.receive(in);
            assertThat(Traffic.check(in.getData(), in.getOffset(), in.getLength())).isEqualTo(1_000);
        }
    }
}
