package org.mptunnel.examples.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * mpclient's SOCKS5 side attacked by a local process, on loopback: associations abandoned mid
 * handshake, requests racing the association limit, drip-fed handshakes, connection floods from
 * many addresses, and a listener out of descriptors. After (or during) each, a new client is
 * served, and the process's threads and descriptors stay within the bounds the README documents:
 * one SOCKS thread in all, per association one tunnel thread and a handful of descriptors, per
 * connection one descriptor.
 */
class SocksAttackIT {

    /** Threads the JVM may start or stop on its own between two readings (compiler, GC, reference handling). */
    private static final int JVM_THREAD_SLACK = 4;
    /** Descriptors the JVM may open on its own between two readings. */
    private static final int JVM_FD_SLACK = 4;
    /** What one association costs mpclient (measured: 1 thread, 5 descriptors with one path). */
    private static final int THREADS_PER_ASSOCIATION = 1;
    private static final int FDS_PER_ASSOCIATION = 6;
    private static final byte[] GREETING = {5, 1, 0};
    private static final byte[] ASSOCIATE = {5, 3, 0, 1, 0, 0, 0, 0, 0, 0};

    private final Started started = new Started();

    @TempDir
    Path dir;

    private TestEcho echo;
    private ToolProcess client;
    private int socksPort;

    @AfterEach
    void stopEverything() throws Exception {
        started.close();
    }

    private <T extends AutoCloseable> T track(T resource) {
        return started.track(resource);
    }

    /** Starts an echo, an mpserver and an mpclient with --socks and {@code clientOptions}; {@code maxFds}: 0 or a ulimit. */
    private void startTunnel(int maxFds, String... clientOptions) throws Exception {
        echo = track(new TestEcho());
        ToolProcess server = track(ToolProcess.start("mpserver", "--bind", "127.0.0.1", "--keepalive", "100ms", "0",
                "127.0.0.1", String.valueOf(echo.port())));
        Path config = Files.writeString(dir.resolve("mpclient.conf"), "127.0.0.1 " + server.awaitListeningPort() + "\n");
        List<String> command = new ArrayList<>();
        if (maxFds > 0) {
            // The JVM raises its soft limit to the hard one: ulimit -n sets both.
            command.addAll(List.of("sh", "-c", "ulimit -n " + maxFds + " && exec \"$@\"", "sh"));
        }
        command.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx128m",
                "-XX:TieredStopAtLevel=1", "-jar", ToolProcess.JAR.toString(), "mpclient", "--listen", "127.0.0.1:0",
                "--socks", "127.0.0.1:0", "--keepalive", "100ms", "--stats-interval", "0.2"));
        command.addAll(List.of(clientOptions));
        command.add(config.toString());
        client = track(ToolProcess.startCommand(command.toArray(String[]::new)));
        socksPort = Integer.parseInt(client.awaitOut("SOCKS5 on 127\\.0\\.0\\.1:(\\d+)", Duration.ofSeconds(20)).group(1));
        client.awaitOut("mpclient stats: ", Duration.ofSeconds(10));
    }

    /** A TCP connection to the SOCKS port from {@code sourceIp} (any of 127.0.0.0/8). */
    private Socket connectFrom(String sourceIp) throws IOException {
        Socket socket = new Socket();
        socket.bind(new InetSocketAddress(sourceIp, 0));
        socket.connect(new InetSocketAddress(SocksTestClient.LOOPBACK, socksPort), 5_000);
        socket.setSoTimeout(5_000);
        return socket;
    }

    /** A new client from 127.0.0.1 gets an association and a reply through it. @return whether it did */
    private boolean newClientIsServed() {
        try (SocksTestClient socks = new SocksTestClient(socksPort).associate()) {
            for (int attempt = 0; attempt < 10; attempt++) {
                socks.send(new InetSocketAddress(SocksTestClient.LOOPBACK, echo.port()), "hello" + attempt);
                SocksTestClient.Reply reply = socks.receive(500);
                if (reply != null && reply.data().startsWith("hello")) {
                    return true;
                }
            }
            return false;
        } catch (IOException | AssertionError e) {
            return false; // refused (reply 1), or closed on us: the caller may try again
        }
    }

    /** @return the counter {@code name} in the newest statistics line printed after {@code fromLine} lines, or -1 */
    private long statAfter(int fromLine, String name) {
        List<String> lines = client.stdout().lines().skip(fromLine).filter(l -> l.startsWith("mpclient stats: ")).toList();
        if (lines.isEmpty()) {
            return -1;
        }
        Matcher m = Pattern.compile(" " + name + " (\\d+)").matcher(lines.get(lines.size() - 1));
        if (!m.find()) {
            throw new AssertionError("no " + name + " in " + lines.get(lines.size() - 1));
        }
        return Long.parseLong(m.group(1));
    }

    private int stdoutLines() {
        return (int) client.stdout().lines().count();
    }

    private long logLines(String text) {
        return client.stderr().lines().filter(l -> l.contains(text)).count();
    }

    private void awaitQuiet(ProcessResources before) {
        int mark = stdoutLines();
        await().atMost(Duration.ofSeconds(15)).until(() ->
                statAfter(mark, "socks-associations") == 0 && statAfter(mark, "socks-connections") == 0);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            ProcessResources now = ProcessResources.of(client);
            assertThat(now.threads()).as("threads once every connection is gone")
                    .isLessThanOrEqualTo(before.threads() + JVM_THREAD_SLACK);
            assertThat(now.fds()).as("descriptors once every connection is gone")
                    .isLessThanOrEqualTo(before.fds() + JVM_FD_SLACK);
        });
    }

    @Test
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void anAssociationEndsWithItsConnectionAndTheLimitHoldsUnderARace() throws Exception {
        startTunnel(0, "--max-sessions", "16", "--idle-timeout", "2s");
        ProcessResources before = ProcessResources.of(client);

        // 300 clients send a valid UDP ASSOCIATE and reset the connection at once, the reply unread.
        for (int i = 0; i < 300; i++) {
            Socket s = connectFrom("127.0.0." + (2 + i % 4));
            s.getOutputStream().write(GREETING);
            assertThat(s.getInputStream().readNBytes(2)).containsExactly(5, 0);
            s.getOutputStream().write(ASSOCIATE);
            s.setSoLinger(true, 0);
            s.close();
        }
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200)).until(this::newClientIsServed);
        awaitQuiet(before);

        // 200 requests at once, each on a connection past its greeting: exactly the limit get an association.
        List<Socket> racing = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            Socket s = track(connectFrom("127.0.0." + (2 + i % 4)));
            s.getOutputStream().write(GREETING);
            assertThat(s.getInputStream().readNBytes(2)).containsExactly(5, 0);
            racing.add(s);
        }
        for (Socket s : racing) {
            s.getOutputStream().write(ASSOCIATE);
        }
        int succeeded = 0;
        int refused = 0;
        for (Socket s : racing) {
            byte[] reply = new DataInputStream(s.getInputStream()).readNBytes(10);
            if (reply[1] == 0) {
                succeeded++;
            } else if (reply[1] == 1) {
                refused++;
            }
        }
        assertThat(succeeded).as("associations granted with --max-sessions 16").isEqualTo(16);
        assertThat(refused).as("general failures").isEqualTo(184);
        // The refused connections' descriptors go as soon as the server's thread is round again.
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            ProcessResources held = ProcessResources.of(client);
            assertThat(held.threads()).isLessThanOrEqualTo(before.threads() + 16 * THREADS_PER_ASSOCIATION
                    + JVM_THREAD_SLACK);
            assertThat(held.fds()).isLessThanOrEqualTo(before.fds() + 16 * FDS_PER_ASSOCIATION + JVM_FD_SLACK);
        });
        ProcessResources held = ProcessResources.of(client);
        System.out.printf("mpclient with 16 associations: %d threads, %d fds (before: %d, %d)%n",
                held.threads(), held.fds(), before.threads(), before.fds());
        assertThat(logLines("more are refused")).as("the limit is logged once per interval").isLessThanOrEqualTo(2);

        // Their clients close (FIN): every association goes, and a new client is served at once.
        for (Socket s : racing) {
            s.close();
        }
        awaitQuiet(before);
        assertThat(newClientIsServed()).as("a new client after the race").isTrue();

        // An association that carries nothing is released after --idle-timeout while its connection stays open.
        try (SocksTestClient idle = new SocksTestClient(socksPort).associate()) {
            client.awaitErr("released \\(idle for --idle-timeout", Duration.ofSeconds(10));
            assertThat(idle.closedByServer()).isTrue();
        }
        assertThat(client.stderr()).doesNotContain("Exception");
    }

    @Test
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aDripFedHandshakeEndsTenSecondsAfterAccept() throws Exception {
        startTunnel(0);
        // One byte every 2 s, each within the old per-read timeout, of a greeting offering 255 methods.
        long connected = System.nanoTime();
        try (Socket drip = connectFrom("127.0.0.2")) {
            OutputStream out = drip.getOutputStream();
            drip.setSoTimeout(2_000);
            long closedAfterMillis = -1;
            out.write(new byte[] {5, (byte) 255});
            for (int i = 0; i < 10 && closedAfterMillis < 0; i++) {
                try {
                    if (drip.getInputStream().read() < 0) {
                        closedAfterMillis = (System.nanoTime() - connected) / 1_000_000;
                        break;
                    }
                } catch (java.net.SocketTimeoutException e) {
                    out.write(1); // the attacker's next byte
                } catch (IOException e) {
                    closedAfterMillis = (System.nanoTime() - connected) / 1_000_000; // reset
                }
            }
            System.out.println("drip-fed handshake closed after " + closedAfterMillis + " ms");
            assertThat(closedAfterMillis).as("drip-fed handshake closed (ms after connect); the deadline is 10 s")
                    .isBetween(9_000L, 13_000L);
        }
        client.awaitOut("socks-handshakes-timed-out 1 ", Duration.ofSeconds(5));
        assertThat(newClientIsServed()).isTrue();
    }

    @Test
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void connectionFloodsFromManyAddressesNeitherHoldThreadsNorLockOutANewClient() throws Exception {
        startTunnel(0, "--socks-max-connections", "64", "--socks-max-connections-per-ip", "8");
        ProcessResources before = ProcessResources.of(client);

        // 200 silent connections from one address: 8 are admitted, the rest refused. Then 200 from
        // ten others: past 64 in all, each new one replaces the oldest silent one, so a new client
        // still gets in while all of them are open.
        List<Socket> flood = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            flood.add(track(connectFrom("127.0.0.3")));
        }
        for (int i = 0; i < 200; i++) {
            flood.add(track(connectFrom("127.0.0." + (4 + i % 10))));
        }
        ProcessResources attacked = ProcessResources.of(client);
        System.out.printf("mpclient under a flood of 400 connections: %d threads, %d fds (before: %d, %d)%n",
                attacked.threads(), attacked.fds(), before.threads(), before.fds());
        assertThat(attacked.threads()).as("threads: none per connection").isLessThanOrEqualTo(before.threads()
                + JVM_THREAD_SLACK);
        assertThat(newClientIsServed()).as("a new client during the flood").isTrue();
        int mark = stdoutLines();
        await().atMost(Duration.ofSeconds(5)).until(() -> statAfter(mark, "socks-connections-refused") >= 192
                && statAfter(mark, "socks-connections-evicted") > 0);
        assertThat(statAfter(mark, "socks-connections")).isLessThanOrEqualTo(64);
        // Connections closed to make room give back their descriptors when the server's thread is round again.
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(ProcessResources.of(client).fds())
                .as("descriptors: at most --socks-max-connections").isLessThanOrEqualTo(before.fds() + 64 + JVM_FD_SLACK));
        assertThat(logLines("SOCKS connection from")).as("refusals logged once per kind and interval")
                .isLessThanOrEqualTo(6);
        for (Socket s : flood) {
            s.close();
        }
        awaitQuiet(before);
        assertThat(client.stderr()).doesNotContain("Exception");
    }

    @Test
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void theListenerOutOfDescriptorsKeepsListening() throws Exception {
        startTunnel(256);
        int mark = stdoutLines();
        // 400 silent connections from eight addresses (50 each, under the per-address limit): the
        // process runs out of descriptors well before --socks-max-connections.
        List<Socket> flood = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            try {
                flood.add(track(connectFrom("127.0.0." + (2 + i % 8))));
            } catch (IOException e) {
                break; // nobody accepts any more and the backlog is full
            }
        }
        for (Socket s : flood) {
            s.close();
        }
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200)).until(this::newClientIsServed);
        await().atMost(Duration.ofSeconds(5)).until(() -> statAfter(mark, "socks-accept-errors") > 0);
        assertThat(logLines("SOCKS listener cannot accept")).as("accept failures logged once per interval")
                .isBetween(1L, 2L);
        assertThat(client.stderr()).doesNotContain("stops accepting");
    }
}
