package org.mptunnel.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.DatagramPacket;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mptunnel.MultipathDatagramSocket;

/** A server's sessions: opened by a client's first datagram, bounded in number, forgotten when idle. */
class SessionLifecycleTest {

    @Test
    @Timeout(30)
    void sessionsBeyondTheLimitAreRefusedAndCounted() throws Exception {
        try (Loopback net = new Loopback()) {
            MultipathDatagramSocket server = net.server(b -> b.maxSessions(2));
            MultipathDatagramSocket first = net.client(List.of(Loopback.addressOf(server)));
            MultipathDatagramSocket second = net.client(List.of(Loopback.addressOf(server)));
            await().atMost(Duration.ofSeconds(5)).until(() -> server.stats().sessions().size() == 2);

            MultipathDatagramSocket third = net.client(List.of(Loopback.addressOf(server)));
            await().atMost(Duration.ofSeconds(5)).until(() -> server.stats().sessionsRefused() > 0);
            assertThat(server.stats().sessions()).extracting(s -> s.sessionId())
                    .containsExactlyInAnyOrder(sessionId(first), sessionId(second));

            byte[] data = {1, 2, 3};
            third.send(new DatagramPacket(data, data.length));
            first.send(new DatagramPacket(data, data.length));
            server.setSoTimeout(5_000);
            DatagramPacket in = new DatagramPacket(new byte[16], 16);
            server.receive(in);
            assertThat(server.stats().sessions()).filteredOn(s -> s.address().equals(in.getSocketAddress()))
                    .extracting(s -> s.sessionId()).containsExactly(sessionId(first));
            assertThat(server.stats().delivered()).as("the refused client's datagram was not delivered").isEqualTo(1);
        }
    }

    @Test
    @Timeout(30)
    void anIdleSessionExpiresAndItsAddressNoLongerReachesAnyone() throws Exception {
        try (Loopback net = new Loopback()) {
            MultipathDatagramSocket server = net.server(b -> b.sessionIdleTimeout(Duration.ofMillis(300)));
            MultipathDatagramSocket client = net.client(List.of(Loopback.addressOf(server)));
            byte[] data = {42};
            client.send(new DatagramPacket(data, data.length));
            server.setSoTimeout(5_000);
            DatagramPacket in = new DatagramPacket(new byte[16], 16);
            server.receive(in);

            client.close(); // no more keepalives: the session falls silent
            await().atMost(Duration.ofSeconds(5)).until(() -> server.stats().sessions().isEmpty());
            server.send(new DatagramPacket(data, data.length, in.getSocketAddress()));
            assertThat(server.stats().sendDropped()).isEqualTo(1);
            assertThat(server.stats().delivered()).as("totals outlive the session").isEqualTo(1);
        }
    }

    private static long sessionId(MultipathDatagramSocket client) {
        return client.stats().sessions().get(0).sessionId();
    }
}
