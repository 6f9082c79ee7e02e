package org.mptunnel.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mptunnel.MultipathDatagramSocket;
import org.mptunnel.internal.wire.Header;

/**
 * The fallback for a restarted server whose numbering does not move forward (its clock stepped
 * back): a new epoch in a keepalive-ack clears the client's window, so numbers it has seen from
 * the old server are taken again from the new one.
 */
class ServerEpochTest {

    @Test
    @Timeout(30)
    void aNewServerEpochLetsTheClientAcceptNumbersItSawBefore() throws Exception {
        try (Loopback net = new Loopback(); DatagramChannel server = DatagramChannel.open()) {
            server.bind(new InetSocketAddress(Loopback.LOOPBACK, 0));
            MultipathDatagramSocket client = net.client(List.of((InetSocketAddress) server.getLocalAddress()));
            ByteBuffer keepalive = ByteBuffer.allocate(2048);
            SocketAddress clientAddress = server.receive(keepalive);
            long sessionId = Header.sessionId(keepalive);

            ack(server, keepalive, 0xAAAAL, clientAddress);
            sendData(server, sessionId, clientAddress);
            await().atMost(Duration.ofSeconds(5)).until(() -> client.stats().delivered() == 10);

            sendData(server, sessionId, clientAddress); // the same numbers from the same server: duplicates
            await().atMost(Duration.ofSeconds(5)).until(() -> client.stats().duplicatesDropped() == 10);

            ack(server, keepalive, 0xBBBBL, clientAddress); // the server restarted
            await().atMost(Duration.ofSeconds(5)).until(() -> client.stats().sessions().get(0).paths().get(0)
                    .datagramsReceived() == 22);
            sendData(server, sessionId, clientAddress);
            await().atMost(Duration.ofSeconds(5)).until(() -> client.stats().delivered() == 20);
            assertThat(client.stats().duplicatesDropped()).isEqualTo(10);
        }
    }

    /** Answers the client's keepalive (kept in {@code keepalive}) with an ack carrying {@code epoch}. */
    private static void ack(DatagramChannel server, ByteBuffer keepalive, long epoch, SocketAddress to) throws Exception {
        ReceiverReportTest.ack(server, keepalive, epoch, 0, 0, to);
    }

    /** Sends data numbered 0 to 9. */
    private static void sendData(DatagramChannel server, long sessionId, SocketAddress to) throws Exception {
        for (int n = 0; n < 10; n++) {
            ByteBuffer data = ByteBuffer.allocate(Header.LENGTH + 4);
            Header.write(data, Header.TYPE_DATA, sessionId, n, 4);
            data.putInt(Header.LENGTH, n);
            server.send(data.clear(), to);
        }
    }
}
