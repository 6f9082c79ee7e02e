package org.mptunnel.examples.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mptunnel.MultipathDatagramSocket;
import org.mptunnel.TunnelConfig;
import org.mptunnel.examples.socks.SocksUdp;

/**
 * An mpserver under a flood of SOCKS sessions from one address, each naming as many destinations
 * and as many spellings of one name as it can: its descriptors stay within the documented socket
 * budget, a new classic client is served, refusals are counted and logged a few times only, and
 * the statistics line stays short.
 */
class SocksFloodIT {

    private static final int SESSIONS = 40;
    private static final int SPELLINGS = 48;
    /** More than a session may have sockets (64). */
    private static final int ADDRESSES = 80;
    /** --max-socks-sockets-per-source's default: every flooding session comes from 127.0.0.1. */
    private static final int PER_SOURCE = 512;

    private final Started started = new Started();

    @AfterEach
    void stopEverything() throws Exception {
        started.close();
    }

    private <T extends AutoCloseable> T track(T resource) {
        return started.track(resource);
    }

    private static byte[] request(byte[] header) {
        byte[] b = new byte[SocksUdp.MARK_LENGTH + header.length + 1];
        SocksUdp.writeMark(b, 0);
        System.arraycopy(header, 0, b, SocksUdp.MARK_LENGTH, header.length);
        b[b.length - 1] = 'x';
        return b;
    }

    private static byte[] toName(String name, int port) {
        byte[] n = name.getBytes(StandardCharsets.US_ASCII);
        byte[] h = new byte[5 + n.length + 2];
        h[3] = SocksUdp.ATYP_DOMAIN;
        h[4] = (byte) n.length;
        System.arraycopy(n, 0, h, 5, n.length);
        h[h.length - 2] = (byte) (port >>> 8);
        h[h.length - 1] = (byte) port;
        return h;
    }

    private static byte[] toAddress(int a, int b, int c, int d, int port) {
        return new byte[] {0, 0, 0, 1, (byte) a, (byte) b, (byte) c, (byte) d, (byte) (port >>> 8), (byte) port};
    }

    /** @return a capitalisation of "localhost" for each of the seeded random masks, all distinct */
    private static List<String> spellings(int count) {
        List<String> out = new ArrayList<>();
        Random random = new Random(14);
        while (out.size() < count) {
            int mask = random.nextInt(1 << 9);
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < 9; i++) {
                char c = "localhost".charAt(i);
                b.append((mask & (1 << i)) != 0 ? Character.toUpperCase(c) : c);
            }
            if (!out.contains(b.toString())) {
                out.add(b.toString());
            }
        }
        return out;
    }

    private static long descriptors(ToolProcess process) throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc", String.valueOf(process.pid()), "fd"))) {
            return fds.count();
        }
    }

    @Test
    @Timeout(90)
    void aSocksFloodStaysWithinTheSocketBudgetAndANewClassicClientIsServed() throws Exception {
        TestEcho echo = track(new TestEcho());
        ToolProcess server = track(ToolProcess.start("mpserver", "--bind", "127.0.0.1", "--keepalive", "200ms",
                "--stats-interval", "0.5", "--allow", "127.0.0.0/8", "0", "127.0.0.1", String.valueOf(echo.port())));
        InetSocketAddress serverAddress = new InetSocketAddress(SocksTestClient.LOOPBACK, server.awaitListeningPort());
        server.awaitOut("mpserver stats: ", Duration.ofSeconds(10));
        long idle = descriptors(server);

        List<String> spellings = spellings(SPELLINGS);
        List<MultipathDatagramSocket> attackers = new ArrayList<>();
        for (int s = 0; s < SESSIONS; s++) {
            MultipathDatagramSocket socket = track(MultipathDatagramSocket.open(
                    TunnelConfig.client().path(serverAddress).keepaliveInterval(Duration.ofMillis(200)).build()));
            attackers.add(socket);
            for (int i = 0; i < Math.max(SPELLINGS, ADDRESSES); i++) {
                if (i < SPELLINGS) {
                    byte[] b = request(toName(spellings.get(i), echo.port()));
                    socket.send(new DatagramPacket(b, b.length));
                }
                if (i < ADDRESSES) {
                    byte[] b = request(toAddress(127, 1, s, 1 + i, 9));
                    socket.send(new DatagramPacket(b, b.length));
                }
            }
        }
        // Without a budget: 40 sessions x 64 sockets (each session's bound), 2,560 descriptors.
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(100))
                .until(() -> lastStats(server).contains("socks-sessions " + SESSIONS + " "));
        try {
            await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(100))
                    .until(() -> socksSockets(lastStats(server)) <= PER_SOURCE);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("destination sockets stayed above " + PER_SOURCE + ": " + lastStats(server)
                    + "\n" + server.stderr(), e);
        }
        long fds = descriptors(server);
        System.out.printf(Locale.ROOT, "SOCKS flood: %d sessions, descriptors %d idle, %d under the flood; %s%n",
                SESSIONS, idle, fds, lastStats(server));
        // A little room for what the JVM opens lazily; without a budget it is thousands more.
        assertThat(fds).as("descriptors: the per-source budget plus the idle server's")
                .isLessThanOrEqualTo(idle + PER_SOURCE + 32);

        // A new classic client, while the flooding sessions are alive, is served.
        try (MultipathDatagramSocket classic = MultipathDatagramSocket.open(
                TunnelConfig.client().path(serverAddress).build())) {
            classic.setSoTimeout(2_000);
            byte[] ping = "ping".getBytes(StandardCharsets.US_ASCII);
            classic.send(new DatagramPacket(ping, ping.length));
            DatagramPacket reply = new DatagramPacket(new byte[64], 64);
            classic.receive(reply);
            assertThat(new String(reply.getData(), 0, reply.getLength(), StandardCharsets.US_ASCII)).startsWith("ping|");
        }

        String line = lastStats(server);
        assertThat(line.length()).as("the statistics line with %d sessions: %s", SESSIONS + 1, line).isLessThan(1_000);
        long refusalLines = server.stderr().lines().filter(l -> l.contains("no socket towards")
                || l.contains("destination socket(s) closed: its source")).count();
        assertThat(refusalLines).as("refusals are logged a few times, not once per datagram").isBetween(1L, 10L);
        for (MultipathDatagramSocket socket : attackers) {
            socket.close();
        }
        server.terminate();
        assertThat(server.awaitExit(Duration.ofSeconds(15))).isZero();
        Matcher refused = java.util.regex.Pattern.compile("socks-refused (\\d+)").matcher(
                server.stdout().substring(server.stdout().indexOf("mpserver summary")));
        assertThat(refused.find()).as(server.transcript()).isTrue();
        assertThat(Long.parseLong(refused.group(1))).as("refusals in the summary").isPositive();
    }

    private static String lastStats(ToolProcess server) {
        List<String> lines = server.stdout().lines().filter(l -> l.startsWith("mpserver stats: ")).toList();
        return lines.isEmpty() ? "" : lines.get(lines.size() - 1);
    }

    private static int socksSockets(String line) {
        Matcher m = java.util.regex.Pattern.compile("socks-sockets (\\d+)").matcher(line);
        return m.find() ? Integer.parseInt(m.group(1)) : Integer.MAX_VALUE;
    }
}
