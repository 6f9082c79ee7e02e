package org.mptunnel.examples.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mptunnel.MultipathDatagramSocket;
import org.mptunnel.TunnelConfig;
import org.mptunnel.examples.socks.AllowList;
import org.mptunnel.examples.socks.AllowRule;
import org.mptunnel.examples.socks.SocksUdp;

/**
 * mpserver's SOCKS side in one JVM, fed raw tunnel payloads by a library client: what mpclient
 * would never send (no mark, FRAG, bad ATYP, odd names) is dropped and counted, never forwarded.
 */
@Timeout(30)
class SocksRelayTest {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    private DatagramSocket echo;
    private Thread echoThread;
    private DatagramSocket forbidden;
    private TargetForwarder forwarder;

    @BeforeEach
    void start() throws IOException {
        echo = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0));
        echoThread = new Thread(() -> {
            byte[] buffer = new byte[2048];
            DatagramPacket p = new DatagramPacket(buffer, buffer.length);
            while (!echo.isClosed()) {
                try {
                    p.setData(buffer);
                    echo.receive(p);
                    echo.send(p);
                } catch (IOException e) {
                    return;
                }
            }
        }, "echo");
        echoThread.setDaemon(true);
        echoThread.start();
        forbidden = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0));
        InetSocketAddress target = new InetSocketAddress(LOOPBACK, echo.getLocalPort());
        forwarder = TargetForwarder.start(TunnelConfig.server(new InetSocketAddress(LOOPBACK, 0)).build(), target,
                new TargetForwarder.SocksSettings(
                        AllowList.of(List.of(AllowRule.parse("127.0.0.1:" + echo.getLocalPort())), target),
                        Duration.ofSeconds(5)));
    }

    @AfterEach
    void stop() {
        forwarder.close();
        echo.close();
        forbidden.close();
    }

    private MultipathDatagramSocket client() throws IOException {
        MultipathDatagramSocket socket = MultipathDatagramSocket.open(
                TunnelConfig.client().path(forwarder.localAddress()).build());
        socket.setSoTimeout(2_000);
        return socket;
    }

    private static byte[] marked(int... header) {
        byte[] b = new byte[SocksUdp.MARK_LENGTH + header.length + 2];
        SocksUdp.writeMark(b, 0);
        for (int i = 0; i < header.length; i++) {
            b[SocksUdp.MARK_LENGTH + i] = (byte) header[i];
        }
        b[b.length - 2] = 'h';
        b[b.length - 1] = 'i';
        return b;
    }

    private static int[] byName(String host, int port) {
        byte[] name = host.getBytes(StandardCharsets.US_ASCII);
        int[] header = new int[5 + name.length + 2];
        header[3] = SocksUdp.ATYP_DOMAIN;
        header[4] = name.length;
        for (int i = 0; i < name.length; i++) {
            header[5 + i] = name[i];
        }
        header[header.length - 2] = port >>> 8;
        header[header.length - 1] = port & 0xFF;
        return header;
    }

    private int[] ipv4(int port) {
        return new int[] {0, 0, 0, 1, 127, 0, 0, 1, port >>> 8, port & 0xFF};
    }

    private static void send(DatagramSocket socket, byte[] payload) throws IOException {
        socket.send(new DatagramPacket(payload, payload.length));
    }

    private static byte[] receive(DatagramSocket socket) throws IOException {
        DatagramPacket p = new DatagramPacket(new byte[2048], 2048);
        socket.receive(p);
        return Arrays.copyOf(p.getData(), p.getLength());
    }

    @Test
    void repliesCarryTheSourceAndEveryBadPayloadIsCounted() throws Exception {
        int port = echo.getLocalPort();
        try (MultipathDatagramSocket socks = client()) {
            send(socks, marked(ipv4(port)));
            byte[] reply = receive(socks);
            byte[] expected = ByteBuffer.allocate(12).put(new byte[] {0, 0, 0, 1, 127, 0, 0, 1})
                    .putShort((short) port).put((byte) 'h').put((byte) 'i').array();
            assertThat(reply).as("SOCKS header of the reply, then the data; no mark").containsExactly(expected);

            // By name, resolved at the server: the reply names the address.
            send(socks, marked(byName("localhost", port)));
            assertThat(receive(socks)).containsExactly(expected);

            int[] fragment = ipv4(port);
            fragment[2] = 1;
            send(socks, marked(fragment));
            send(socks, marked(0, 0, 0, 9, 1, 2, 3, 4));                       // unknown ATYP
            send(socks, marked(0, 7, 0, 1, 127, 0, 0, 1, port >>> 8, port & 0xFF)); // RSV not 0
            send(socks, marked(0, 0, 0, 3, 3, 'a', ' ', 'b', 0, 53));           // not a host name
            send(socks, marked(0, 0, 0, 1, 127, 0, 0, 1, 0, 0));                // port 0
            send(socks, new byte[] {0, 0, 0, 1, 127, 0, 0, 1, (byte) (port >>> 8), (byte) port, 'x'}); // no mark
            send(socks, marked(ipv4(forbidden.getLocalPort())));
            // toDestinations: the datagram named by host name is sent, and counted once its send
            // returns, by the resolver thread, possibly after its reply came back
            await().atMost(Duration.ofSeconds(5)).until(() -> forwarder.socksCounters().malformed() == 5
                    && forwarder.socksCounters().fragmented() == 1 && forwarder.socksCounters().denied() == 1
                    && forwarder.socksCounters().toDestinations() == 2);
            TargetForwarder.SocksCounters c = forwarder.socksCounters();
            assertThat(c.sessions()).isEqualTo(1);
            assertThat(c.sockets()).as("127.0.0.1:port and localhost:port: one address, one socket").isEqualTo(1);
            assertThat(forwarder.toTarget()).as("nothing of a SOCKS session reaches the target as classic").isZero();
        }
        forbidden.setSoTimeout(300);
        try {
            forbidden.receive(new DatagramPacket(new byte[64], 64));
            throw new AssertionError("a denied destination received a datagram");
        } catch (SocketTimeoutException expected) {
            // nothing came
        }
    }

    @Test
    void aClassicSessionStaysClassicEvenIfALaterPayloadLooksMarked() throws Exception {
        int port = echo.getLocalPort();
        try (MultipathDatagramSocket classic = client()) {
            send(classic, "plain".getBytes(StandardCharsets.US_ASCII));
            assertThat(new String(receive(classic), StandardCharsets.US_ASCII)).isEqualTo("plain");
            byte[] looksMarked = marked(ipv4(port));
            send(classic, looksMarked);
            assertThat(receive(classic)).as("sent to the target unchanged, mark and all").containsExactly(looksMarked);
        }
        assertThat(forwarder.socksCounters().sessions()).isZero();
        // counted once the send returns, which may be after the reply came back
        await().atMost(Duration.ofSeconds(5)).until(() -> forwarder.toTarget() == 2);
    }

    @Test
    void anEmptyDatagramReachesItsDestinationAndItsEmptyReplyComesBack() throws Exception {
        int port = echo.getLocalPort();
        byte[] header = {0, 0, 0, 1, 127, 0, 0, 1, (byte) (port >>> 8), (byte) port};
        byte[] request = new byte[SocksUdp.MARK_LENGTH + header.length];
        SocksUdp.writeMark(request, 0);
        System.arraycopy(header, 0, request, SocksUdp.MARK_LENGTH, header.length);
        try (MultipathDatagramSocket socks = client()) {
            send(socks, request);
            assertThat(receive(socks)).as("the reply's SOCKS header and no data").containsExactly(header);
        }
        // counted once the send returns, which may be after the reply came back
        await().atMost(Duration.ofSeconds(5)).until(() -> forwarder.socksCounters().toDestinations() == 1);
        assertThat(forwarder.socksCounters().dropped()).isZero();
    }

    @Test
    void everySpellingOfADestinationSharesOneSocket() throws Exception {
        int port = echo.getLocalPort();
        try (MultipathDatagramSocket socks = client()) {
            send(socks, marked(ipv4(port)));
            receive(socks);
            for (String spelling : List.of("localhost", "LOCALHOST", "LocalHost", "lOcAlHoSt", "localHOST")) {
                send(socks, marked(byName(spelling, port)));
                assertThat(receive(socks)).as(spelling).endsWith('h', 'i');
            }
        }
        assertThat(forwarder.socksCounters().sockets()).as("one address, one socket").isEqualTo(1);
        // counted once the send returns, which may be after the reply came back
        await().atMost(Duration.ofSeconds(5)).until(() -> forwarder.socksCounters().toDestinations() == 6);
    }

    @Test
    void aSessionPastItsSocketBudgetIsRefusedAndCounted() throws Exception {
        restartWith(new SocketBudget(3, 2, 100));
        int port = echo.getLocalPort();
        try (MultipathDatagramSocket first = client(); MultipathDatagramSocket second = client()) {
            send(first, marked(ipv4(port)));
            receive(first);
            send(first, toHost(2, port));
            send(first, toHost(3, port)); // a third: past 2 per session
            await().atMost(Duration.ofSeconds(5)).until(() -> forwarder.socksCounters().refused() == 1);
            assertThat(forwarder.socksCounters().sockets()).isEqualTo(2);

            send(second, marked(ipv4(port)));
            receive(second);
            send(second, toHost(2, port)); // past 3 in all
            await().atMost(Duration.ofSeconds(5)).until(() -> forwarder.socksCounters().refused() == 2);
            assertThat(forwarder.socksCounters().sockets()).isEqualTo(3);
            send(second, marked(ipv4(port)));
            assertThat(receive(second)).as("a destination it has keeps working").endsWith('h', 'i');
        }
    }

    /** Restarts the forwarder with SOCKS allowed to 127.0.0.0/8 under {@code budget}. */
    private void restartWith(SocketBudget budget) throws IOException {
        forwarder.close();
        InetSocketAddress target = new InetSocketAddress(LOOPBACK, echo.getLocalPort());
        forwarder = TargetForwarder.start(TunnelConfig.server(new InetSocketAddress(LOOPBACK, 0)).build(), target,
                new TargetForwarder.SocksSettings(AllowList.of(List.of(AllowRule.parse("127.0.0.0/8")), target),
                        Duration.ofSeconds(5), budget));
    }

    private MultipathDatagramSocket clientFrom(String address) throws IOException {
        return MultipathDatagramSocket.open(TunnelConfig.client().localAddress(InetAddress.getByName(address))
                .path(forwarder.localAddress()).build());
    }

    private static byte[] toHost(int d, int port) {
        return marked(0, 0, 0, 1, 127, 0, 0, d, port >>> 8, port & 0xFF);
    }

    @Test
    void eachSourceAddressHasItsOwnBudgetOnceTheSweepKnowsIt() throws Exception {
        restartWith(new SocketBudget(100, 10, 3));
        int port = echo.getLocalPort();
        try (MultipathDatagramSocket a = client(); MultipathDatagramSocket b = clientFrom("127.0.0.2")) {
            for (int d = 1; d <= 4; d++) {
                send(a, toHost(d, port));
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> forwarder.socksCounters().refused() == 1);
            assertThat(forwarder.socksCounters().sockets()).as("3 per source").isEqualTo(3);
            // b, from another address, gets its own 3 once the sweep has placed both sessions.
            await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(200)).until(() -> {
                send(b, toHost(1, port));
                return forwarder.socksCounters().sockets() == 4;
            });
            send(b, toHost(2, port));
            send(b, toHost(3, port));
            await().atMost(Duration.ofSeconds(5)).until(() -> forwarder.socksCounters().sockets() == 6);
            long refused = forwarder.socksCounters().refused();
            send(b, toHost(4, port));
            send(a, toHost(4, port));
            await().atMost(Duration.ofSeconds(5)).until(() -> forwarder.socksCounters().refused() == refused + 2);
            assertThat(forwarder.socksCounters().sockets()).isEqualTo(6);
        }
    }

    @Test
    void aNewSessionPlacedPastItsSourcesBudgetLosesItsSocketsBeyondIt() throws Exception {
        restartWith(new SocketBudget(100, 10, 3));
        int port = echo.getLocalPort();
        try (MultipathDatagramSocket a = client(); MultipathDatagramSocket c = clientFrom("127.0.0.2")) {
            for (int d = 1; d <= 3; d++) {
                send(a, toHost(d, port));
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> forwarder.socksCounters().sockets() == 3);
            // c, from elsewhere, gets a socket once the sweep has placed a: a no longer counts as unplaced.
            await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(200)).until(() -> {
                send(c, toHost(1, port));
                return forwarder.socksCounters().sockets() == 4;
            });
            long refused = forwarder.socksCounters().refused();
            try (MultipathDatagramSocket b = client()) {
                // b, from a's source but not placed yet, may use the unplaced sessions' room, until the
                // sweep places it: its source then has more than 3, so b's sockets are closed.
                send(b, toHost(1, port));
                send(b, toHost(2, port));
                await().atMost(Duration.ofSeconds(5)).until(() -> forwarder.socksCounters().sockets() == 4
                        && forwarder.socksCounters().refused() == refused + 2);
            }
            send(a, toHost(1, port));
            assertThat(receive(a)).as("the placed session keeps its sockets").endsWith('h', 'i');
        }
    }
}
