package org.mptunnel.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mptunnel.MultipathDatagramSocket;
import org.mptunnel.internal.wire.Header;

/**
 * Issue 14 item 8: per-source budgets are per IP address, not per IP:port. One host with hundreds
 * of ports used to fill the v1 session table (1,023 sessions in 1.6 s) and have every v2 initiation
 * examined; now it gets one source's budget, and a client from another address is served.
 */
class PerSourceBudgetTest {

    private static final int PORTS = 200;

    @Test
    @Timeout(60)
    void oneHostWithManyPortsCannotFillTheSessionTable() throws Exception {
        try (Loopback net = new Loopback()) {
            // a long dead timeout: the attacker's sessions stay live without being fed
            MultipathDatagramSocket server = net.server(b -> b.deadTimeout(Duration.ofSeconds(30))
                    .sessionIdleTimeout(Duration.ofSeconds(30)));
            RequestReply.echo(server);
            List<DatagramChannel> ports = open(PORTS);
            SplittableRandom random = new SplittableRandom(14);
            ByteBuffer datagram = ByteBuffer.allocate(Header.LENGTH + 8);
            long started = System.nanoTime();
            int sent = 0;
            for (int round = 0; round < 8; round++) { // 1,600 new sessions asked for: more than the table's 1,024
                for (DatagramChannel port : ports) {
                    Header.write(datagram, Header.TYPE_DATA, random.nextLong(), 0, 8);
                    port.send(datagram.clear(), Loopback.addressOf(server));
                    sent++;
                }
            }
            int total = sent;
            await().atMost(Duration.ofSeconds(10)).until(() ->
                    server.stats().sessions().size() + server.stats().sessionsRefused() >= total);
            double seconds = (System.nanoTime() - started) / 1e9;
            int held = server.stats().sessions().size();
            assertThat(held).as("one host's live sessions: at most maxSessionsPerSource").isLessThanOrEqualTo(256);
            assertThat(server.stats().sessionsRefused()).isEqualTo(total - held);

            InetAddress elsewhere = InetAddress.getByName("127.0.0.2");
            MultipathDatagramSocket newcomer = net.client(List.of(Loopback.addressOf(server)), b -> b.localAddress(elsewhere));
            assertThat(RequestReply.answered(newcomer, 0, 10, 5_000)).as("a client from another address").isEqualTo(10);
            System.out.printf("one host, %d ports: %d new sessions asked for in %.2f s, %d held, %d refused;"
                    + " a client from 127.0.0.2 served%n", PORTS, total, seconds, held, server.stats().sessionsRefused());
            close(ports);
        }
    }

    @Test
    @Timeout(60)
    void handshakeMessagesFromManyPortsOfOneHostAreExaminedAtOneSourcesRate() throws Exception {
        try (Loopback net = new Loopback()) {
            MultipathDatagramSocket server = net.server(b -> b.preSharedKey(SecureTunnelTest.KEY));
            List<DatagramChannel> ports = open(PORTS);
            SplittableRandom random = new SplittableRandom(15);
            byte[] junk = new byte[84];
            long started = System.nanoTime();
            int sent = 0;
            for (int round = 0; round < 10; round++) { // 10 per port: each port alone is within any budget
                for (DatagramChannel port : ports) {
                    random.nextBytes(junk);
                    junk[Header.TYPE_OFFSET] = Header.TYPE_INITIATION;
                    port.send(ByteBuffer.wrap(junk), Loopback.addressOf(server));
                    sent++;
                }
            }
            int total = sent;
            await().atMost(Duration.ofSeconds(10)).until(() -> server.stats().handshakesRefused()
                    + server.stats().malformedDropped() + server.stats().authFailed() >= total);
            double seconds = (System.nanoTime() - started) / 1e9;
            long examined = total - server.stats().handshakesRefused();
            assertThat(examined).as("examined: a burst of 256, then 64 a second, for the whole host")
                    .isLessThanOrEqualTo((long) (256 + 64 * Math.ceil(seconds)));
            System.out.printf("one host, %d ports: %d initiations in %.2f s, %d examined%n", PORTS, total, seconds, examined);
            close(ports);
        }
    }

    private static List<DatagramChannel> open(int count) throws Exception {
        List<DatagramChannel> ports = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            ports.add(DatagramChannel.open().bind(new InetSocketAddress(Loopback.LOOPBACK, 0)));
        }
        return ports;
    }

    private static void close(List<DatagramChannel> ports) throws Exception {
        for (DatagramChannel port : ports) {
            port.close();
        }
    }
}
