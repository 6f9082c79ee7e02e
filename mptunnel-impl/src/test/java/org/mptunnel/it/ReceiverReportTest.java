package org.mptunnel.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
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
import org.mptunnel.SessionStats;
import org.mptunnel.internal.wire.Header;
import org.mptunnel.internal.wire.Probe;

/**
 * The receiver's report in every keepalive-ack, end to end with one real side each time: a real
 * server counts what it received, and a real client turns the counts into its measured loss.
 */
@Timeout(30)
class ReceiverReportTest {

    private static final long SESSION = 0x5EED_0001L;

    @Test
    void theServerReportsDatagramsReceivedAndSequenceNumbersPassed() throws Exception {
        try (Loopback net = new Loopback(); DatagramChannel client = DatagramChannel.open()) {
            MultipathDatagramSocket server = net.server();
            client.connect(Loopback.addressOf(server));
            ByteBuffer ack = keepaliveAndAck(client, 1);
            assertThat(Probe.received(ack)).isZero();
            assertThat(Probe.passed(ack)).isZero();

            for (long sequence : new long[] {0, 1, 2, 4, 5, 6, 8, 9, 9, 2}) { // 3 and 7 lost, two duplicates
                ByteBuffer data = Header.allocate(Header.LENGTH + 4);
                Header.write(data, Header.TYPE_DATA, SESSION, sequence, 4);
                client.write(data.clear());
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> server.stats().delivered() == 8
                    && server.stats().duplicatesDropped() == 2);

            ack = keepaliveAndAck(client, 2);
            assertThat(Probe.ackValid(ack)).isTrue();
            assertThat(Probe.received(ack)).isEqualTo(8);
            assertThat(Probe.passed(ack)).isEqualTo(10);
        }
    }

    @Test
    void aKeepaliveWithReservedBytesSetIsMalformedAndUnanswered() throws Exception {
        try (Loopback net = new Loopback(); DatagramChannel client = DatagramChannel.open()) {
            MultipathDatagramSocket server = net.server();
            client.connect(Loopback.addressOf(server));
            ByteBuffer keepalive = Header.allocate(Header.LENGTH + Probe.KEEPALIVE_LENGTH);
            Probe.writeKeepalive(keepalive, SESSION, 1, System.nanoTime(), 0, 0);
            keepalive.put(Probe.PASSED_OFFSET + 7, (byte) 1);
            client.write(keepalive);
            await().atMost(Duration.ofSeconds(5)).until(() -> server.stats().malformedDropped() == 1);
            assertThat(server.stats().sessions()).as("no session made").isEmpty();
        }
    }

    @Test
    void theClientTurnsReportsIntoItsMeasuredLossAndRefusesImpossibleOnes() throws Exception {
        try (Loopback net = new Loopback(); DatagramChannel fakeServer = DatagramChannel.open()) {
            fakeServer.bind(new InetSocketAddress(Loopback.LOOPBACK, 0));
            MultipathDatagramSocket client = net.client(List.of((InetSocketAddress) fakeServer.getLocalAddress()));
            ByteBuffer keepalive = ByteBuffer.allocate(2048);
            SocketAddress clientAddress = fakeServer.receive(keepalive);
            assertThat(session(client).measuredLoss()).as("before any report").isEqualTo(-1);

            ack(fakeServer, keepalive, 1, 0, 0, clientAddress);
            ack(fakeServer, keepalive, 1, 950, 1_000, clientAddress);
            await().atMost(Duration.ofSeconds(5)).until(() -> session(client).measuredLoss() >= 0);
            assertThat(session(client).measuredLoss()).isCloseTo(0.05, within(1e-9));

            ack(fakeServer, keepalive, 1, 2_000, 1_000, clientAddress); // more received than passed
            await().atMost(Duration.ofSeconds(5)).until(() -> client.stats().malformedDropped() == 1);
            assertThat(session(client).measuredLoss()).isCloseTo(0.05, within(1e-9));
        }
    }

    private static SessionStats session(MultipathDatagramSocket client) {
        return client.stats().sessions().get(0);
    }

    /** Sends a keepalive numbered {@code probe} and returns the server's ack. */
    private static ByteBuffer keepaliveAndAck(DatagramChannel client, long probe) throws Exception {
        ByteBuffer keepalive = Header.allocate(Header.LENGTH + Probe.KEEPALIVE_LENGTH);
        Probe.writeKeepalive(keepalive, SESSION, probe, System.nanoTime(), 0, 0);
        client.write(keepalive);
        ByteBuffer ack = Header.allocate(2048);
        client.receive(ack); // blocking: the server answers at once
        if (Header.type(ack) == Header.TYPE_PATH_CHALLENGE) {
            // A new address: answered as a client does, then the keepalive is acked
            ack.put(Header.TYPE_OFFSET, Header.TYPE_PATH_RESPONSE).flip();
            client.write(ack);
            client.write(keepalive.position(0));
            client.receive(ack.clear());
        }
        assertThat(Header.check(ack, ack.position())).isEqualTo(Header.TYPE_KEEPALIVE_ACK);
        assertThat(Header.sequence(ack)).isEqualTo(probe);
        return ack;
    }

    /** Answers the client's keepalive (kept in {@code keepalive}) as a server would, with a report. */
    static void ack(DatagramChannel server, ByteBuffer keepalive, long epoch, long received, long passed,
                    SocketAddress to) throws Exception {
        ByteBuffer ack = ByteBuffer.allocate(Header.LENGTH + Probe.ACK_LENGTH);
        ack.put(keepalive.duplicate().flip().limit(Header.LENGTH + Probe.KEEPALIVE_LENGTH));
        Probe.turnIntoAck(ack, epoch, received, passed, 0);
        server.send(ack, to);
    }
}
