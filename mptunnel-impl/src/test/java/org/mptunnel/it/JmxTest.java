package org.mptunnel.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.lang.management.ManagementFactory;
import java.net.DatagramPacket;
import java.time.Duration;
import java.util.List;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mptunnel.MultipathDatagramSocket;

/** With {@code jmx(true)} a socket's figures are readable over JMX while it is open, and only then. */
class JmxTest {

    private final MBeanServer mbeans = ManagementFactory.getPlatformMBeanServer();

    @Test
    @Timeout(30)
    void statisticsArePublishedWhileOpenAndWithdrawnAtClose() throws Exception {
        try (Loopback net = new Loopback()) {
            MultipathDatagramSocket server = net.server(b -> b.jmx(true));
            MultipathDatagramSocket client = net.client(List.of(Loopback.addressOf(server)), b -> b.jmx(true));
            ObjectName serverName = new ObjectName("org.mptunnel:type=MultipathDatagramSocket,role=server,port="
                    + server.getLocalPort());
            ObjectName clientName = new ObjectName("org.mptunnel:type=MultipathDatagramSocket,role=client,port="
                    + client.getLocalPort());

            for (int i = 0; i < 5; i++) {
                client.send(new DatagramPacket(new byte[] {(byte) i}, 1));
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> (Long) mbeans.getAttribute(serverName, "Delivered") == 5L);
            assertThat(mbeans.getAttribute(serverName, "Sessions")).isEqualTo(1);
            assertThat(mbeans.getAttribute(serverName, "Role")).isEqualTo("server");
            assertThat(mbeans.getAttribute(serverName, "AuthFailed")).isEqualTo(0L);
            assertThat(mbeans.getAttribute(serverName, "Handshakes")).isEqualTo(0L);
            assertThat(mbeans.getAttribute(serverName, "HandshakesRefused")).isEqualTo(0L);
            // The client's path is challenged at its first keepalive.
            await().atMost(Duration.ofSeconds(5)).until(() -> (Long) mbeans.getAttribute(serverName, "PathChallenges") > 0);
            assertThat((Long) mbeans.getAttribute(serverName, "BytesWithheld")).isNotNegative();
            assertThat(mbeans.getAttribute(serverName, "ReplyPlansDeferred")).as("no coded replies").isEqualTo(0L);
            assertThat(mbeans.getAttribute(clientName, "FecPlansRefused")).as("no adaptive FEC").isEqualTo(0L);
            assertThat(mbeans.getAttribute(serverName, "OrderHeld")).as("ordered delivery is off").isEqualTo(0L);
            assertThat(mbeans.getAttribute(clientName, "PathsUp")).isEqualTo(1);
            assertThat((Long) mbeans.getAttribute(clientName, "DatagramsSent")).isGreaterThanOrEqualTo(5L);
            assertThat(mbeans.getAttribute(clientName, "CopiesPerDatagram")).isEqualTo(1.0);
            assertThat(mbeans.getAttribute(serverName, "MeasuredLoss")).isEqualTo(-1.0);
            // The measured loss needs a keepalive-ack reporting datagrams that the previous one did not.
            await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(20)).until(() -> {
                client.send(new DatagramPacket(new byte[] {9}, 1));
                return (Double) mbeans.getAttribute(clientName, "MeasuredLoss") == 0.0;
            });
            await().atMost(Duration.ofSeconds(5)).until(() -> (Double) mbeans.getAttribute(clientName, "EstimatedLoss") == 0.0);

            client.close();
            assertThat(mbeans.isRegistered(clientName)).isFalse();
            assertThat(mbeans.isRegistered(serverName)).isTrue();
        }
    }

    @Test
    @Timeout(30)
    void offByDefault() throws Exception {
        try (Loopback net = new Loopback()) {
            MultipathDatagramSocket server = net.server();
            assertThat(mbeans.queryNames(new ObjectName("org.mptunnel:port=" + server.getLocalPort() + ",*"), null)).isEmpty();
        }
    }
}
