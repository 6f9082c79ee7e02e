package org.mptunnel.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mptunnel.internal.engine.PlainCodecEngineTest.data;
import static org.mptunnel.internal.engine.PlainCodecEngineTest.keepalive;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mptunnel.PathStats;
import org.mptunnel.internal.path.Path;
import org.mptunnel.internal.session.SessionAddress;
import org.mptunnel.internal.wire.Header;
import org.mptunnel.internal.wire.Probe;

/**
 * Per-path reports (docs/PROTOCOL.md, "Per-path reports") through the real read path of both roles,
 * without sockets: each side learns what its data lost on each path, and an older peer is neither
 * sent what it would reject nor mistaken for a newer one.
 */
class PathReportEngineTest {

    private static final long SESSION = 0x0FED_CBA9_8765_4321L;
    private static final byte[] HELLO = "hello".getBytes(StandardCharsets.US_ASCII);
    private static final long INTERVAL = Wire.clientConfig().path(Wire.BRIDGE).build().keepaliveInterval().toNanos();

    /** The ack a server answers {@code keepalive} with; {@code arrivedOnPath} < 0: an older server's, which echoes. */
    private static byte[] ackOf(byte[] keepalive, long arrivedOnPath) {
        ByteBuffer b = Header.allocate(Header.LENGTH + Probe.ACK_LENGTH);
        b.put(0, keepalive);
        Probe.turnIntoAck(b, 42, 0, 0, Math.max(arrivedOnPath, 0));
        if (arrivedOnPath < 0) {
            b.putShort(Probe.REPORT_LAYOUT_OFFSET, (short) 0);
            b.putInt(Probe.PATH_ARRIVED_OFFSET, ByteBuffer.wrap(keepalive).getInt(Probe.SMOOTHED_RTT_OFFSET));
        }
        byte[] bytes = new byte[b.limit()];
        b.get(0, bytes);
        return bytes;
    }

    /**
     * Runs the client's timer at {@code now}: @return the last keepalive it sent (at 0, the
     * session's announcement sends several at once: Probing.ANNOUNCE_AT)
     */
    private static byte[] keepaliveFrom(ClientEngine client, Wire wire, long now) {
        client.onTimer(now);
        List<Wire.Sent> sent = wire.drain();
        assertThat(sent).isNotEmpty();
        byte[] keepalive = sent.get(sent.size() - 1).bytes();
        assertThat(Header.check(ByteBuffer.wrap(keepalive), keepalive.length)).isEqualTo(Header.TYPE_KEEPALIVE);
        return keepalive;
    }

    private static void sendData(ClientEngine client, Wire wire, int count) throws IOException {
        for (int i = 0; i < count; i++) {
            client.send(HELLO, 0, HELLO.length, null, 0);
        }
        wire.drain();
    }

    @Test
    void theClientMeasuresItsDataLossOnAPathFromTheServersCounts() throws Exception {
        Wire wire = new Wire();
        ClientEngine client = wire.client(Wire.clientConfig(), SESSION, 0);
        Path path = client.session().paths()[0];
        byte[] first = keepaliveFrom(client, wire, 0);
        Wire.deliver(client, path, Wire.BRIDGE, ackOf(first, 7), 1); // the baseline: 7 arrived before
        sendData(client, wire, 100);
        byte[] second = keepaliveFrom(client, wire, INTERVAL);
        assertThat(path.dataSent()).as("keepalives are not data").isEqualTo(100);
        Wire.deliver(client, path, Wire.BRIDGE, ackOf(second, 7 + 80), INTERVAL + 1);

        PathStats stats = client.stats().sessions().get(0).paths().get(0);
        assertThat(stats.measuredLoss()).isEqualTo(0.2);
        assertThat(path.dataLoss().sentTotal()).isEqualTo(100);
        assertThat(path.dataLoss().lostTotal()).isEqualTo(20);
    }

    @Test
    void theServersCountIsTakenMod2To32() throws Exception {
        Wire wire = new Wire();
        ClientEngine client = wire.client(Wire.clientConfig(), SESSION, 0);
        Path path = client.session().paths()[0];
        Wire.deliver(client, path, Wire.BRIDGE, ackOf(keepaliveFrom(client, wire, 0), 0xFFFF_FFF0L), 1);
        sendData(client, wire, 40);
        Wire.deliver(client, path, Wire.BRIDGE, ackOf(keepaliveFrom(client, wire, INTERVAL), 0x18L), INTERVAL + 1);

        assertThat(path.dataLoss().sentTotal()).isEqualTo(40);
        assertThat(path.dataLoss().lostTotal()).as("16 before the wrap and 24 after: all 40 arrived").isZero();
    }

    @Test
    void theClientReportsWhatArrivedOnThePathOnceTheServerShowsItReadsReports() throws Exception {
        Wire wire = new Wire();
        ClientEngine client = wire.client(Wire.clientConfig(), SESSION, 0);
        Path path = client.session().paths()[0];
        for (long sequence = 0; sequence < 3; sequence++) {
            Wire.deliver(client, path, Wire.BRIDGE, data(SESSION, sequence, HELLO), 1);
        }
        Wire.deliver(client, path, Wire.BRIDGE, data(SESSION, 2, HELLO), 1); // a duplicate arrived too
        byte[] first = keepaliveFrom(client, wire, 0);
        assertThat(Probe.reportLayout(ByteBuffer.wrap(first))).as("nothing heard of the server yet").isZero();
        Wire.deliver(client, path, Wire.BRIDGE, ackOf(first, 0), 2);

        ByteBuffer second = ByteBuffer.wrap(keepaliveFrom(client, wire, INTERVAL));
        assertThat(Probe.reportLayout(second)).isEqualTo(Probe.PATH_REPORT);
        assertThat(Probe.reportAckNumber(second)).isEqualTo(Header.sequence(ByteBuffer.wrap(first)));
        assertThat(Probe.reportArrived(second)).as("every copy that arrived on the path").isEqualTo(4);
        assertThat(Probe.keepaliveValid(second)).isTrue();
    }

    @Test
    void anOlderServerIsSentPlainKeepalivesAndMeasuresNothing() throws Exception {
        Wire wire = new Wire();
        ClientEngine client = wire.client(Wire.clientConfig(), SESSION, 0);
        Path path = client.session().paths()[0];
        Wire.deliver(client, path, Wire.BRIDGE, data(SESSION, 0, HELLO), 1);
        byte[] first = keepaliveFrom(client, wire, 0);
        Wire.deliver(client, path, Wire.BRIDGE, ackOf(first, -1), 2);
        sendData(client, wire, 10);
        byte[] second = keepaliveFrom(client, wire, INTERVAL);
        Wire.deliver(client, path, Wire.BRIDGE, ackOf(second, -1), INTERVAL + 1);

        ByteBuffer third = ByteBuffer.wrap(keepaliveFrom(client, wire, 2 * INTERVAL));
        assertThat(Probe.reportLayout(third)).isZero();
        assertThat(third.getLong(Probe.EPOCH_OFFSET) | third.getLong(Probe.RECEIVED_OFFSET)
                | third.getLong(Probe.PASSED_OFFSET)).as("what an older server checks is 0").isZero();
        assertThat(client.stats().sessions().get(0).paths().get(0).measuredLoss()).isEqualTo(-1);
    }

    @Test
    void aClientStopsReportingToAServerThatStoppedAnswering() throws Exception {
        Wire wire = new Wire();
        ClientEngine client = wire.client(Wire.clientConfig(), SESSION, 0);
        Path path = client.session().paths()[0];
        Wire.deliver(client, path, Wire.BRIDGE, data(SESSION, 0, HELLO), 1);
        Wire.deliver(client, path, Wire.BRIDGE, ackOf(keepaliveFrom(client, wire, 0), 0), 2);
        // Replaced by an older server, which takes reports for malformed keepalives: no answers.
        assertThat(Probe.reportLayout(ByteBuffer.wrap(keepaliveFrom(client, wire, INTERVAL)))).isOne();
        assertThat(Probe.reportLayout(ByteBuffer.wrap(keepaliveFrom(client, wire, 2 * INTERVAL)))).isOne();
        assertThat(Probe.reportLayout(ByteBuffer.wrap(keepaliveFrom(client, wire, 3 * INTERVAL))))
                .as("two unanswered: plain again").isZero();
    }

    @Test
    void theServerMeasuresItsRepliesLossOnAPathFromTheClientsReports() throws Exception {
        Wire wire = new Wire();
        ServerEngine server = wire.server(Wire.serverConfig());
        Wire.deliver(server, null, Wire.CLIENT, data(SESSION, 0, HELLO), 1);
        PlainCodecEngineTest.validate(server, wire, keepalive(SESSION, 5, 0), 2);
        Wire.deliver(server, null, Wire.CLIENT, data(SESSION, 0, HELLO), 3); // a copy: arrived all the same
        Wire.deliver(server, null, Wire.CLIENT, keepalive(SESSION, 5, 0), 4);
        ByteBuffer ack5 = ByteBuffer.wrap(wire.drain().get(0).bytes());
        assertThat(Probe.reportLayout(ack5)).isEqualTo(Probe.PATH_REPORT);
        assertThat(Probe.pathArrived(ack5)).as("both copies arrived on the path").isEqualTo(2);

        for (int i = 0; i < 10; i++) {
            server.send(HELLO, 0, HELLO.length, SessionAddress.of(SESSION).getAddress(), SessionAddress.PORT);
        }
        Wire.deliver(server, null, Wire.CLIENT, keepaliveWithReport(6, 5, 100), 5); // baseline
        wire.drain();
        Wire.deliver(server, null, Wire.CLIENT, keepaliveWithReport(7, 6, 100 + 7), 6);

        PathStats path = server.stats().sessions().get(0).paths().get(0);
        assertThat(path.measuredLoss()).as("7 of the 10 replies sent between ack 5 and ack 6 arrived")
                .isCloseTo(0.3, org.assertj.core.data.Offset.offset(1e-12));
    }

    @Test
    void aServerRefusesAKeepaliveOfAnUnknownReportLayout() {
        Wire wire = new Wire();
        ServerEngine server = wire.server(Wire.serverConfig());
        byte[] keepalive = keepalive(SESSION, 0, 0);
        ByteBuffer.wrap(keepalive).putShort(Probe.REPORT_LAYOUT_OFFSET, (short) 2);
        Wire.deliver(server, null, Wire.CLIENT, keepalive, 1);
        assertThat(server.stats().malformedDropped()).isEqualTo(1);
        assertThat(server.stats().sessions()).isEmpty();
    }

    private static byte[] keepaliveWithReport(long number, long ackNumber, long arrived) {
        ByteBuffer b = ByteBuffer.wrap(keepalive(SESSION, number, 0));
        Probe.addPathReport(b, ackNumber, arrived);
        return b.array();
    }
}
