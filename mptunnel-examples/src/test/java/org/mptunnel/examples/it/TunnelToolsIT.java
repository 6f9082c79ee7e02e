package org.mptunnel.examples.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** mpclient, mpbridge and mpserver as separate processes on loopback, as a user would run them. */
class TunnelToolsIT {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static final String KEEPALIVE = "100ms";

    private final Started started = new Started();

    @TempDir
    Path dir;

    @AfterEach
    void stopEverything() throws Exception {
        started.close();
    }

    private <T extends AutoCloseable> T track(T resource) {
        return started.track(resource);
    }

    @Test
    @Timeout(120)
    void echoThroughThreeLossyBridgesLosesLittleAndDuplicatesNothing() throws Exception {
        ToolProcess[] ends = echoThroughThreeLossyBridges(List.of(), List.of());
        for (ToolProcess end : ends) {
            assertThat(end.stdout()).contains("in plaintext (no pre-shared key)");
            assertThat(end.stderr()).contains("runs without a pre-shared key: anyone on a path can read, forge and "
                    + "replay the tunnel's datagrams");
        }
    }

    /** Both ends with the key mpkey wrote: authenticated and encrypted, and as reliable as plaintext. */
    @Test
    @Timeout(120)
    void encryptedEchoThroughThreeLossyBridges() throws Exception {
        Path key = dir.resolve("tunnel.key");
        ToolProcess mpkey = ToolProcess.run(Duration.ofSeconds(20), "mpkey", key.toString());
        assertThat(mpkey.exitValue()).as(mpkey.transcript()).isZero();
        ToolProcess[] ends = echoThroughThreeLossyBridges(List.of("--key-file", key.toString()), List.of());
        for (ToolProcess end : ends) {
            assertThat(end.stdout()).contains("authenticated and encrypted with the pre-shared key");
            assertThat(end.stderr()).doesNotContain("without a pre-shared key");
        }
    }

    /** A client with another key: the server opens no session, says why once, and nothing comes back. */
    @Test
    @Timeout(60)
    void wrongKeyDeliversNothingAndTheServerSaysWhy() throws Exception {
        TestEcho echo = track(new TestEcho());
        ToolProcess server = track(ToolProcess.startWithEnvironment(List.of("MPTUNNEL_KEY=" + "11".repeat(32)),
                "mpserver", "--bind", "127.0.0.1", "--keepalive", KEEPALIVE, "--stats-interval", "0.2",
                "0", "127.0.0.1", String.valueOf(echo.port())));
        int serverPort = server.awaitListeningPort();
        Path configFile = Files.writeString(dir.resolve("mpclient.conf"), "127.0.0.1 " + serverPort + "\n");
        ToolProcess client = track(ToolProcess.startWithEnvironment(List.of("MPTUNNEL_KEY=" + "22".repeat(32)),
                "mpclient", "--listen", "127.0.0.1:0", "--keepalive", KEEPALIVE, configFile.toString()));
        InetSocketAddress mpclient = new InetSocketAddress(LOOPBACK, client.awaitListeningPort());
        try (DatagramSocket app = track(new DatagramSocket(new InetSocketAddress(LOOPBACK, 0)))) {
            send(app, mpclient, "hello");
            server.awaitErr("does not authenticate: another pre-shared key\\?", Duration.ofSeconds(20));
            for (int i = 0; i < 10; i++) {
                send(app, mpclient, "request " + i);
            }
            app.setSoTimeout(1_000);
            DatagramPacket reply = new DatagramPacket(new byte[2048], 2048);
            assertThatThrownBy(() -> app.receive(reply)).isInstanceOf(SocketTimeoutException.class);
        }
        server.awaitOut("mpserver stats: .*sessions 0\\b", Duration.ofSeconds(5));
        assertThat(echo.received()).as("datagrams that reached the target").isZero();
        assertThat(server.stderr().lines().filter(line -> line.contains("does not authenticate")).count())
                .as("the log line is said once per source, not per datagram").isEqualTo(1);
    }

    @Test
    @Timeout(30)
    void mpkeyPrintsANewKeyToStandardOutput() throws Exception {
        ToolProcess first = ToolProcess.run(Duration.ofSeconds(20), "mpkey", "-");
        ToolProcess second = ToolProcess.run(Duration.ofSeconds(20), "mpkey", "-");
        assertThat(first.exitValue()).isZero();
        assertThat(first.stdout()).matches("[0-9a-f]{64}").isNotEqualTo(second.stdout());
    }

    /** Both tools speaking the C original's format, obfuscated (as the original defaults to) and plain. */
    @Test
    @Timeout(120)
    void legacyModeEchoThroughThreeLossyBridges() throws Exception {
        echoThroughThreeLossyBridges(List.of("--legacy"), List.of());
        stopEverything(); // closes and forgets what the first run started
        echoThroughThreeLossyBridges(List.of("--legacy"), List.of("MPTUNNEL_ENCRYPT=0"));
    }

    /** @return the mpserver and the mpclient, stopped */
    private ToolProcess[] echoThroughThreeLossyBridges(List<String> modeArgs, List<String> environment) throws Exception {
        TestEcho echo = track(new TestEcho());
        List<String> serverArgs = new ArrayList<>(List.of("mpserver", "--bind", "127.0.0.1", "--keepalive", KEEPALIVE));
        serverArgs.addAll(modeArgs);
        serverArgs.addAll(List.of("0", "127.0.0.1", String.valueOf(echo.port())));
        ToolProcess server = track(ToolProcess.startWithEnvironment(environment, serverArgs.toArray(String[]::new)));
        int serverPort = server.awaitListeningPort();
        List<ToolProcess> bridges = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            bridges.add(track(ToolProcess.start("mpbridge", "--bind", "127.0.0.1", "--loss", "0.2",
                    "--seed", String.valueOf(4_000 + i), "0", "127.0.0.1", String.valueOf(serverPort))));
        }
        StringBuilder config = new StringBuilder("# three lossy bridges\n");
        for (ToolProcess bridge : bridges) {
            config.append("127.0.0.1 ").append(bridge.awaitListeningPort()).append('\n');
        }
        Path configFile = Files.writeString(dir.resolve("mpclient.conf"), config);
        List<String> clientArgs = new ArrayList<>(List.of("mpclient", "--listen", "127.0.0.1:0", "--keepalive", KEEPALIVE,
                "--stats-interval", "1"));
        clientArgs.addAll(modeArgs);
        clientArgs.add(configFile.toString());
        ToolProcess client = track(ToolProcess.startWithEnvironment(environment, clientArgs.toArray(String[]::new)));
        int clientPort = client.awaitListeningPort();
        String wireFormat = environment.isEmpty() ? "LFSR-obfuscated" : "plain, MPTUNNEL_ENCRYPT=0";
        if (modeArgs.contains("--legacy")) {
            server.awaitOut("speaking the C original's wire format \\(" + java.util.regex.Pattern.quote(wireFormat), Duration.ofSeconds(5));
            client.awaitOut("speaking the C original's wire format \\(" + java.util.regex.Pattern.quote(wireFormat), Duration.ofSeconds(5));
            assertThat(server.stdout()).as("no SOCKS in legacy mode").doesNotContain("SOCKS");
        } else {
            assertThat(client.stdout()).doesNotContain("C original's wire format");
        }

        int count = 2_000;
        BitSet seen = new BitSet(count);
        int duplicates = 0;
        try (DatagramSocket app = track(new DatagramSocket(new InetSocketAddress(LOOPBACK, 0)))) {
            app.setReceiveBufferSize(1 << 20);
            app.connect(new InetSocketAddress(LOOPBACK, clientPort));
            app.setSoTimeout(1);
            byte[] in = new byte[2048];
            DatagramPacket reply = new DatagramPacket(in, in.length);
            long start = System.nanoTime();
            long interval = 1_000_000L; // 1000/s: a steady load, far below what loopback can carry
            long drainUntil = Long.MAX_VALUE;
            int sent = 0;
            while (System.nanoTime() < drainUntil) {
                if (sent < count && System.nanoTime() - (start + sent * interval) >= 0) {
                    byte[] request = (sent + ":payload").getBytes(StandardCharsets.US_ASCII);
                    app.send(new DatagramPacket(request, request.length));
                    if (++sent == count) {
                        drainUntil = System.nanoTime() + Duration.ofSeconds(2).toNanos();
                    }
                }
                try {
                    reply.setData(in);
                    app.receive(reply);
                } catch (SocketTimeoutException e) {
                    continue;
                }
                String text = new String(in, 0, reply.getLength(), StandardCharsets.US_ASCII);
                int number = Integer.parseInt(text.substring(0, text.indexOf(':')));
                if (seen.get(number)) {
                    duplicates++;
                }
                seen.set(number);
                if (seen.cardinality() == count) {
                    break;
                }
            }
        }
        double loss = 1.0 - (double) seen.cardinality() / count;
        System.out.printf("round trip through 3 bridges losing 20%% each way %s%s: %d of %d echoed, loss %.2f%% (theory 1.59%%)%n",
                modeArgs, environment, seen.cardinality(), count, loss * 100);
        // Theory: 1 - (1 - 0.2^3)^2 = 1.59 %; one path alone would lose 36 %.
        assertThat(loss).as("round-trip loss").isLessThan(0.05);
        assertThat(duplicates).as("duplicates delivered").isZero();
        client.awaitOut("mpclient stats: path 127\\.0\\.0\\.1:\\d+ (up|down) .* delivered \\d+", Duration.ofSeconds(10));

        client.terminate();
        assertThat(client.awaitExit(Duration.ofSeconds(15))).as("mpclient status after SIGTERM").isZero();
        assertThat(client.stdout()).as(client.transcript()).contains("mpclient summary after");
        server.terminate();
        assertThat(server.awaitExit(Duration.ofSeconds(15))).as("mpserver status after SIGTERM").isZero();
        assertThat(server.stdout()).as(server.transcript()).contains("mpserver summary after");
        return new ToolProcess[] {server, client};
    }

    @Test
    @Timeout(60)
    void twoApplicationsBehindOneClientEachGetTheirOwnReplies() throws Exception {
        TestEcho echo = track(new TestEcho());
        ToolProcess server = track(ToolProcess.start("mpserver", "--bind", "127.0.0.1", "--keepalive", KEEPALIVE,
                "0", "127.0.0.1", String.valueOf(echo.port())));
        int serverPort = server.awaitListeningPort();
        ToolProcess bridge = track(ToolProcess.start("mpbridge", "--bind", "127.0.0.1", "0", "127.0.0.1",
                String.valueOf(serverPort)));
        Path configFile = Files.writeString(dir.resolve("mpclient.conf"),
                "127.0.0.1 " + bridge.awaitListeningPort() + "\n127.0.0.1 " + serverPort + "   # the server itself\n");
        ToolProcess client = track(ToolProcess.start("mpclient", "--listen", "127.0.0.1:0", "--keepalive", KEEPALIVE,
                configFile.toString()));
        InetSocketAddress mpclient = new InetSocketAddress(LOOPBACK, client.awaitListeningPort());

        DatagramSocket a = track(new DatagramSocket(new InetSocketAddress(LOOPBACK, 0)));
        DatagramSocket b = track(new DatagramSocket(new InetSocketAddress(LOOPBACK, 0)));
        Set<String> targetPortsSeenByA = new HashSet<>();
        Set<String> targetPortsSeenByB = new HashSet<>();
        // Interleaved requests: if replies went to the last application seen (as in the C original),
        // each would receive the other's.
        for (int i = 0; i < 20; i++) {
            send(a, mpclient, "A" + i);
            send(b, mpclient, "B" + i);
            String replyA = receive(a);
            String replyB = receive(b);
            assertThat(replyA).startsWith("A" + i + "|");
            assertThat(replyB).startsWith("B" + i + "|");
            targetPortsSeenByA.add(replyA.substring(replyA.indexOf('|') + 1));
            targetPortsSeenByB.add(replyB.substring(replyB.indexOf('|') + 1));
        }
        assertThat(targetPortsSeenByA).as("A's session reaches the target from one socket").hasSize(1);
        assertThat(targetPortsSeenByB).as("B's session reaches the target from one socket").hasSize(1);
        assertThat(targetPortsSeenByA).as("the target sees two distinct clients").doesNotContainAnyElementsOf(targetPortsSeenByB);
    }

    private static void send(DatagramSocket socket, InetSocketAddress to, String text) throws Exception {
        byte[] data = text.getBytes(StandardCharsets.US_ASCII);
        socket.send(new DatagramPacket(data, data.length, to));
    }

    /** Receives one reply; a request or reply lost on the way would be retried by a real application, here it fails. */
    private static String receive(DatagramSocket socket) throws Exception {
        socket.setSoTimeout(5_000);
        byte[] buffer = new byte[2048];
        DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
        socket.receive(packet);
        return new String(buffer, 0, packet.getLength(), StandardCharsets.US_ASCII);
    }
}
