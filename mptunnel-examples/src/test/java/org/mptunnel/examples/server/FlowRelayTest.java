package org.mptunnel.examples.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mptunnel.MultipathDatagramSocket;
import org.mptunnel.TunnelConfig;
import org.mptunnel.examples.flow.FlowFrame;
import org.mptunnel.examples.flow.FlowTimeouts;
import org.mptunnel.examples.socks.AllowList;
import org.mptunnel.examples.socks.SocksUdp;

/**
 * mpserver's flow side in one JVM, fed raw tunnel payloads by a library client: each flow of a
 * session gets its own target socket and its replies carry its id; payloads without a valid prefix
 * are counted, never forwarded; flows past the budget are refused and counted; a single exchange
 * is forgotten after the short timeout while a conversation stays.
 */
@Timeout(30)
class FlowRelayTest {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    /** Short enough to watch, long enough for a round trip on a loaded machine. */
    private static final FlowTimeouts SHORT = new FlowTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(30));

    private DatagramSocket echo;
    private final Set<SocketAddress> echoPeers = ConcurrentHashMap.newKeySet();
    private TargetForwarder forwarder;

    @BeforeEach
    void start() throws IOException {
        echo = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0));
        Thread echoThread = new Thread(() -> {
            byte[] buffer = new byte[2048];
            DatagramPacket p = new DatagramPacket(buffer, buffer.length);
            while (!echo.isClosed()) {
                try {
                    p.setData(buffer);
                    echo.receive(p);
                    echoPeers.add(p.getSocketAddress());
                    echo.send(p);
                } catch (IOException e) {
                    return;
                }
            }
        }, "echo");
        echoThread.setDaemon(true);
        echoThread.start();
        startWith(FlowBudget.DEFAULT);
    }

    private void startWith(FlowBudget budget) throws IOException {
        if (forwarder != null) {
            forwarder.close();
        }
        InetSocketAddress target = new InetSocketAddress(LOOPBACK, echo.getLocalPort());
        forwarder = TargetForwarder.start(TunnelConfig.server(new InetSocketAddress(LOOPBACK, 0)).build(), target,
                new TargetForwarder.SocksSettings(AllowList.of(List.of(), target), Duration.ofSeconds(5)),
                new TargetForwarder.FlowSettings(budget, SHORT));
    }

    @AfterEach
    void stop() {
        forwarder.close();
        echo.close();
    }

    private MultipathDatagramSocket client() throws IOException {
        MultipathDatagramSocket socket = MultipathDatagramSocket.open(
                TunnelConfig.client().path(forwarder.localAddress()).build());
        socket.setSoTimeout(2_000);
        return socket;
    }

    private static byte[] flow(int kind, int id, byte... data) {
        byte[] b = new byte[FlowFrame.LENGTH + data.length];
        FlowFrame.write(b, 0, kind, id);
        System.arraycopy(data, 0, b, FlowFrame.LENGTH, data.length);
        return b;
    }

    private static void send(DatagramSocket socket, byte[] payload) throws IOException {
        socket.send(new DatagramPacket(payload, payload.length));
    }

    private static byte[] receive(DatagramSocket socket) throws IOException {
        DatagramPacket p = new DatagramPacket(new byte[2048], 2048);
        socket.receive(p);
        return Arrays.copyOf(p.getData(), p.getLength());
    }

    private static int idOf(byte[] reply) {
        assertThat(FlowFrame.kind(ByteBuffer.wrap(reply))).isNotNegative();
        return FlowFrame.flowId(ByteBuffer.wrap(reply));
    }

    @Test
    void eachFlowHasItsOwnTargetSocketAndItsRepliesCarryItsId() throws Exception {
        try (MultipathDatagramSocket client = client()) {
            send(client, flow(FlowFrame.CLASSIC, 7, (byte) 'a'));
            byte[] first = receive(client);
            send(client, flow(FlowFrame.CLASSIC, 0x7FFF_0001, (byte) 'b'));
            byte[] second = receive(client);
            assertThat(idOf(first)).isEqualTo(7);
            assertThat(first[FlowFrame.LENGTH]).isEqualTo((byte) 'a');
            assertThat(idOf(second)).isEqualTo(0x7FFF_0001);
            assertThat(second[FlowFrame.LENGTH]).isEqualTo((byte) 'b');
            send(client, flow(FlowFrame.CLASSIC, 7, (byte) 'c'));
            assertThat(idOf(receive(client))).isEqualTo(7);
            assertThat(echoPeers).as("one target socket per flow").hasSize(2);
            // counted once the send returns, which may be after the reply came back
            await().atMost(Duration.ofSeconds(5)).until(() -> forwarder.flowsLine()
                    .contains("flow-sessions 1 flows 2 flows-opened 2 flows-sent 3 "));
            assertThat(forwarder.targetSockets()).as("no classic session socket").isZero();
        }
    }

    @Test
    void aFlowSessionsPayloadWithoutAValidPrefixIsCountedAndNeverForwarded() throws Exception {
        try (MultipathDatagramSocket client = client()) {
            send(client, flow(FlowFrame.CLASSIC, 1, (byte) 'a'));
            receive(client);
            send(client, new byte[] {'p', 'l', 'a', 'i', 'n'});
            byte[] newerVersion = flow(FlowFrame.CLASSIC, 1, (byte) 'v');
            newerVersion[3] = 2;
            send(client, newerVersion);
            send(client, flow(5, 1, (byte) 'k')); // an unknown kind
            send(client, flow(FlowFrame.SOCKS, 1, (byte) 's')); // flow 1 is classic
            byte[] socksMarked = new byte[SocksUdp.MARK_LENGTH + 12];
            SocksUdp.writeMark(socksMarked, 0);
            send(client, socksMarked);
            await().atMost(Duration.ofSeconds(5)).until(() -> forwarder.flowsLine().contains("flows-malformed 5"));
            assertThatThrownBy(() -> receive(client)).isInstanceOf(SocketTimeoutException.class);
            assertThat(forwarder.flowsLine()).contains("flows-sent 1 ");
            assertThat(forwarder.socksCounters().sessions()).isZero();
        }
    }

    @Test
    void aFlowPastTheSessionsBudgetIsRefusedAndCountedWhileTheOthersAreServed() throws Exception {
        startWith(new FlowBudget(100, 2, 100));
        try (MultipathDatagramSocket client = client()) {
            send(client, flow(FlowFrame.CLASSIC, 1, (byte) 'a'));
            receive(client);
            send(client, flow(FlowFrame.CLASSIC, 2, (byte) 'b'));
            receive(client);
            send(client, flow(FlowFrame.CLASSIC, 3, (byte) 'c'));
            await().atMost(Duration.ofSeconds(5)).until(() -> forwarder.flowsLine().contains("flows-refused 1 "));
            send(client, flow(FlowFrame.CLASSIC, 1, (byte) 'd'));
            assertThat(receive(client)[FlowFrame.LENGTH]).isEqualTo((byte) 'd');
            assertThat(echoPeers).hasSize(2);
        }
    }

    @Test
    void aFlowPastTheServersBudgetIsRefusedWhateverItsSession() throws Exception {
        startWith(new FlowBudget(2, 10, 10));
        try (MultipathDatagramSocket a = client(); MultipathDatagramSocket b = client()) {
            send(a, flow(FlowFrame.CLASSIC, 1, (byte) 'a'));
            receive(a);
            send(b, flow(FlowFrame.CLASSIC, 1, (byte) 'b'));
            receive(b);
            send(b, flow(FlowFrame.CLASSIC, 2, (byte) 'c'));
            await().atMost(Duration.ofSeconds(5)).until(() -> forwarder.flowsLine().contains("flows-refused 1 "));
            assertThat(forwarder.flowsLine()).contains("flow-sessions 2 flows 2 ");
        }
    }

    @Test
    void aSingleExchangeIsForgottenAfterTheShortTimeoutAndAConversationStays() throws Exception {
        try (MultipathDatagramSocket client = client()) {
            send(client, flow(FlowFrame.CLASSIC, 1, (byte) 'q'));
            receive(client);
            send(client, flow(FlowFrame.CLASSIC, 2, (byte) 'x'));
            receive(client);
            send(client, flow(FlowFrame.CLASSIC, 2, (byte) 'y')); // after a reply: a conversation
            receive(client);
            await().atMost(Duration.ofSeconds(5)).until(() -> forwarder.flowsLine().contains(" flows 1 "));
            // The conversation's socket is the same one: the target sees no new client.
            send(client, flow(FlowFrame.CLASSIC, 2, (byte) 'z'));
            receive(client);
            assertThat(echoPeers).hasSize(2);
        }
    }

    @Test
    void aSocksFlowReachesItsDestinationAndItsReplyCarriesThePrefixAndTheSocksHeader() throws Exception {
        int port = echo.getLocalPort();
        byte[] header = {0, 0, 0, SocksUdp.ATYP_IPV4, 127, 0, 0, 1, (byte) (port >>> 8), (byte) port};
        byte[] request = new byte[header.length + 2];
        System.arraycopy(header, 0, request, 0, header.length);
        request[header.length] = 'h';
        request[header.length + 1] = 'i';
        byte[] oldStyle = new byte[SocksUdp.MARK_LENGTH + request.length];
        SocksUdp.writeMark(oldStyle, 0);
        System.arraycopy(request, 0, oldStyle, SocksUdp.MARK_LENGTH, request.length);
        try (MultipathDatagramSocket flows = client(); MultipathDatagramSocket socks = client()) {
            send(flows, flow(FlowFrame.SOCKS, 42, request));
            byte[] reply = receive(flows);
            assertThat(FlowFrame.kind(ByteBuffer.wrap(reply))).isEqualTo(FlowFrame.SOCKS);
            assertThat(idOf(reply)).isEqualTo(42);
            assertThat(Arrays.copyOfRange(reply, FlowFrame.LENGTH, reply.length)).isEqualTo(request);

            // A SOCKS-mark session of an older mpclient, alongside: served as before, replies unmarked.
            send(socks, oldStyle);
            assertThat(receive(socks)).isEqualTo(request);
            assertThat(forwarder.socksCounters().sessions()).as("the SOCKS flow and the SOCKS session").isEqualTo(2);
        }
    }
}
