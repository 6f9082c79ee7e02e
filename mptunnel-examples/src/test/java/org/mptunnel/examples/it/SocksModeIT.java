package org.mptunnel.examples.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * mpclient as a SOCKS5 UDP proxy, as separate processes on loopback: a SOCKS client written in the
 * test reaches two UDP servers through one tunnel, and nothing outside {@code --allow}.
 */
class SocksModeIT {

    private static final String KEEPALIVE = "100ms";

    private final Started started = new Started();

    @TempDir
    Path dir;

    private ToolProcess server;
    private ToolProcess client;
    private int socksPort;

    @AfterEach
    void stopEverything() throws Exception {
        started.close();
    }

    private <T extends AutoCloseable> T track(T resource) {
        return started.track(resource);
    }

    /** Starts an mpserver (TARGET: {@code target}) and an mpclient with --socks, over {@code bridges} lossy bridges (0: direct). */
    private void startTunnel(int target, int bridges, List<String> serverOptions, List<String> clientOptions)
            throws Exception {
        List<String> serverArgs = new ArrayList<>(List.of("mpserver", "--bind", "127.0.0.1", "--keepalive", KEEPALIVE,
                "--stats-interval", "0.2"));
        serverArgs.addAll(serverOptions);
        serverArgs.addAll(List.of("0", "127.0.0.1", String.valueOf(target)));
        server = track(ToolProcess.start(serverArgs.toArray(String[]::new)));
        int serverPort = server.awaitListeningPort();
        StringBuilder config = new StringBuilder();
        if (bridges == 0) {
            config.append("127.0.0.1 ").append(serverPort).append('\n');
        }
        List<ToolProcess> started = new ArrayList<>();
        for (int i = 0; i < bridges; i++) {
            started.add(track(ToolProcess.start("mpbridge", "--bind", "127.0.0.1", "--loss", "0.1",
                    "--seed", String.valueOf(7_000 + i), "0", "127.0.0.1", String.valueOf(serverPort))));
        }
        for (ToolProcess bridge : started) {
            config.append("127.0.0.1 ").append(bridge.awaitListeningPort()).append('\n');
        }
        Path configFile = Files.writeString(dir.resolve("mpclient.conf"), config);
        List<String> clientArgs = new ArrayList<>(List.of("mpclient", "--listen", "127.0.0.1:0", "--socks", "127.0.0.1:0",
                "--keepalive", KEEPALIVE, "--stats-interval", "0.2"));
        clientArgs.addAll(clientOptions);
        clientArgs.add(configFile.toString());
        client = track(ToolProcess.start(clientArgs.toArray(String[]::new)));
        client.awaitListeningPort();
        socksPort = Integer.parseInt(client.awaitOut("SOCKS5 on 127\\.0\\.0\\.1:(\\d+)", Duration.ofSeconds(10)).group(1));
    }

    private static InetSocketAddress loopback(int port) {
        return new InetSocketAddress(SocksTestClient.LOOPBACK, port);
    }

    /** Sends until a reply comes, as a real application over a lossy network would retry. */
    private static SocksTestClient.Reply exchange(SocksTestClient socks, InetSocketAddress to, String data)
            throws IOException {
        for (int attempt = 0; attempt < 10; attempt++) {
            socks.send(to, data);
            SocksTestClient.Reply reply;
            while ((reply = socks.receive(500)) != null) {
                if (reply.data().startsWith(data + "|")) {
                    return reply;
                }
                // a late reply to an earlier attempt: keep reading
            }
        }
        throw new AssertionError("no reply to " + data + " from " + to + " after 10 attempts");
    }

    @Test
    @Timeout(120)
    void twoDestinationsThroughOneTunnelOverLossyBridgesAndNothingOutsideAllow() throws Exception {
        TestEcho a = track(new TestEcho());
        TestEcho b = track(new TestEcho());
        DatagramSocket forbidden = track(new DatagramSocket(loopback(0)));
        startTunnel(a.port(), 3, List.of("--allow", "127.0.0.1:" + a.port(), "--allow", "127.0.0.1:" + b.port()),
                List.of());

        SocksTestClient socks = track(new SocksTestClient(socksPort).associate());
        assertThat(socks.relay().getAddress()).isEqualTo(SocksTestClient.LOOPBACK);
        Set<String> serverPortsSeenByA = new HashSet<>();
        Set<String> serverPortsSeenByB = new HashSet<>();
        for (int i = 0; i < 30; i++) {
            SocksTestClient.Reply fromA = exchange(socks, loopback(a.port()), "A" + i);
            SocksTestClient.Reply fromB = exchange(socks, loopback(b.port()), "B" + i);
            assertThat(fromA.source()).as("reply header names echo A").isEqualTo(loopback(a.port()));
            assertThat(fromB.source()).as("reply header names echo B").isEqualTo(loopback(b.port()));
            serverPortsSeenByA.add(fromA.data().substring(fromA.data().indexOf('|') + 1));
            serverPortsSeenByB.add(fromB.data().substring(fromB.data().indexOf('|') + 1));
        }
        assertThat(serverPortsSeenByA).as("one mpserver socket towards A").hasSize(1);
        assertThat(serverPortsSeenByB).as("one mpserver socket towards B").hasSize(1);
        assertThat(serverPortsSeenByA).as("a socket per destination").doesNotContainAnyElementsOf(serverPortsSeenByB);

        // A domain name, resolved by mpserver: the reply names the address it came from.
        SocksTestClient.Reply byName = null;
        for (int attempt = 0; attempt < 10 && byName == null; attempt++) {
            socks.sendToName("localhost", a.port(), "N");
            byName = socks.receive(1_000);
        }
        assertThat(byName).as("reply to a datagram for localhost:" + a.port()).isNotNull();
        assertThat(byName.source()).isEqualTo(loopback(a.port()));
        assertThat(byName.data()).startsWith("N|");

        // Not allowed: nothing reaches it, and mpserver counts and logs it.
        for (int i = 0; i < 5; i++) {
            socks.send(loopback(forbidden.getLocalPort()), "forbidden" + i);
        }
        server.awaitOut("socks-denied [1-9]", Duration.ofSeconds(10));
        server.awaitErr("127\\.0\\.0\\.1:" + forbidden.getLocalPort() + " is not allowed", Duration.ofSeconds(5));
        forbidden.setSoTimeout(1_000);
        DatagramPacket packet = new DatagramPacket(new byte[2048], 2048);
        try {
            forbidden.receive(packet);
            throw new AssertionError("a denied destination received " + packet.getLength() + " bytes");
        } catch (SocketTimeoutException expected) {
            // nothing came
        }
        assertThat(server.stderr().lines().filter(l -> l.contains("is not allowed")).count())
                .as("a denied destination is logged once").isEqualTo(1);
        // The classic target, by default the only SOCKS destination, is not allowed once --allow names others.
        assertThat(server.stdout()).contains("SOCKS sessions may reach 127.0.0.1:" + a.port() + ", 127.0.0.1:" + b.port());
    }

    @Test
    @Timeout(60)
    void malformedHandshakesGetTheirReplyCodeAndLeaveNothingBehind() throws Exception {
        TestEcho echo = track(new TestEcho());
        startTunnel(echo.port(), 0, List.of(), List.of());

        try (SocksTestClient wrongVersion = new SocksTestClient(socksPort)) {
            wrongVersion.write(4, 1, 0, 80, 127, 0, 0, 1, 0); // a SOCKS4 request
            assertThat(wrongVersion.closedByServer()).as("wrong version: closed").isTrue();
        }
        try (SocksTestClient noMethod = new SocksTestClient(socksPort)) {
            noMethod.write(5, 1, 2); // only username/password, which is not configured
            assertThat(noMethod.read(2)).containsExactly(5, 0xFF);
            assertThat(noMethod.closedByServer()).isTrue();
        }
        try (SocksTestClient connect = new SocksTestClient(socksPort)) {
            connect.write(5, 1, 0);
            assertThat(connect.read(2)).containsExactly(5, 0);
            connect.write(5, 1, 0, 1, 127, 0, 0, 1, 0, 80); // CONNECT
            assertThat(connect.read(10)).as("CONNECT: command not supported").startsWith(5, 7);
            assertThat(connect.closedByServer()).isTrue();
        }
        try (SocksTestClient bind = new SocksTestClient(socksPort)) {
            bind.write(5, 1, 0);
            bind.read(2);
            bind.write(5, 2, 0, 1, 0, 0, 0, 0, 0, 0); // BIND
            assertThat(bind.read(10)).as("BIND: command not supported").startsWith(5, 7);
            assertThat(bind.closedByServer()).isTrue();
        }
        try (SocksTestClient badType = new SocksTestClient(socksPort)) {
            badType.write(5, 1, 0);
            badType.read(2);
            badType.write(5, 3, 0, 9, 0, 0, 0, 0, 0, 0); // ATYP 9
            assertThat(badType.read(10)).as("address type not supported").startsWith(5, 8);
            assertThat(badType.closedByServer()).isTrue();
        }
        try (SocksTestClient truncated = new SocksTestClient(socksPort)) {
            truncated.write(5, 1, 0);
            truncated.read(2);
            truncated.write(5, 3, 0, 1, 127); // cut short in DST.ADDR
            truncated.control.shutdownOutput();
            assertThat(truncated.closedByServer()).as("truncated request: closed").isTrue();
        }
        client.awaitOut("socks-associations 0 socks-handshakes-failed 4 socks-commands-refused 2", Duration.ofSeconds(10));

        // After all that, an association works, with the target as the one default destination.
        try (SocksTestClient socks = new SocksTestClient(socksPort).associate()) {
            SocksTestClient.Reply reply = exchange(socks, loopback(echo.port()), "ok");
            assertThat(reply.source()).isEqualTo(loopback(echo.port()));

            // Malformed and fragmented datagrams are dropped and counted; the association carries on.
            socks.sendRaw(new byte[] {0, 0, 1, 1, 127, 0, 0, 1, (byte) (echo.port() >>> 8), (byte) echo.port(), 'f'});
            socks.sendRaw(new byte[] {0, 0, 0, 7, 1, 2});
            socks.sendRaw(new byte[] {0, 0, 0});
            client.awaitOut("socks-fragmented 1 socks-malformed 2", Duration.ofSeconds(10));
            assertThat(exchange(socks, loopback(echo.port()), "still").source()).isEqualTo(loopback(echo.port()));
        }
        assertThat(client.stderr()).doesNotContain("Exception");
        assertThat(server.stderr()).doesNotContain("Exception");
    }

    @Test
    @Timeout(60)
    void closingTheControlConnectionReleasesTheAssociationAtBothEnds() throws Exception {
        TestEcho echo = track(new TestEcho());
        startTunnel(echo.port(), 0, List.of("--flow-single-exchange-timeout", "1s"), List.of());

        SocksTestClient socks = new SocksTestClient(socksPort).associate();
        int relayPort = socks.relay().getPort();
        exchange(socks, loopback(echo.port()), "hello");
        server.awaitOut("socks-sessions 1 socks-sockets 1 ", Duration.ofSeconds(5));
        client.awaitOut("socks-associations 1 ", Duration.ofSeconds(5));

        socks.close();
        client.awaitErr("SOCKS association for .* closed: relay 127\\.0\\.0\\.1:" + relayPort + " released",
                Duration.ofSeconds(10));
        client.awaitOut("socks-associations 0 ", Duration.ofSeconds(5));
        await().atMost(Duration.ofSeconds(5)).until(() -> canBind(relayPort));
        // The association's flow goes silent (mpclient's session does not: its keepalives go on), so
        // mpserver closes its destination socket after the single-exchange timeout, then the flow.
        server.awaitOut("socks-sessions 0 socks-sockets 0 ", Duration.ofSeconds(15));
        server.awaitErr("idle: SOCKS flow [0-9a-f]+, \\d+ destination socket\\(s\\) closed", Duration.ofSeconds(5));
    }

    @Test
    @Timeout(60)
    void usernameAndPassword() throws Exception {
        TestEcho echo = track(new TestEcho());
        Path passwordFile = Files.writeString(dir.resolve("socks-password"), "s3cret\n");
        startTunnel(echo.port(), 0, List.of(), List.of("--socks-user", "alice", "--socks-password-file",
                passwordFile.toString()));
        client.awaitOut("user name and password required", Duration.ofSeconds(5));

        try (SocksTestClient wrong = new SocksTestClient(socksPort)) {
            assertThat(wrong.authenticate("alice", "guess")).as("status for a wrong password").isNotZero();
            assertThat(wrong.closedByServer()).isTrue();
        }
        try (SocksTestClient noAuth = new SocksTestClient(socksPort)) {
            noAuth.write(5, 1, 0);
            assertThat(noAuth.read(2)).as("no authentication is not acceptable").containsExactly(5, 0xFF);
        }
        try (SocksTestClient right = new SocksTestClient(socksPort)) {
            assertThat(right.authenticate("alice", "s3cret")).isZero();
            right.requestAssociation();
            assertThat(exchange(right, loopback(echo.port()), "authenticated").source()).isEqualTo(loopback(echo.port()));
        }
    }

    private static boolean canBind(int port) {
        try (DatagramSocket probe = new DatagramSocket(loopback(port))) {
            return probe.getLocalPort() == port;
        } catch (SocketException e) {
            return false;
        }
    }
}
