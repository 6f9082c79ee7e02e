package org.mptunnel.examples.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Failover on real interfaces: the README's laptop with Wi-Fi and LTE ({@code recipes/multihome.sh}
 * builds its network namespaces), one tunnel path on each uplink, while an application streams
 * datagrams to an echo behind the mpserver. Two mpclients share the uplinks, one duplicating every
 * datagram (the default) and one with {@code --redundancy adaptive}, so that both modes see the
 * same failure. Wi-Fi has 5 ms each way (the mpbridge standing for its ISP), LTE 20 ms. Each test
 * fails the uplink the adaptive client is sending on alone (usually Wi-Fi) mid-flow:
 * <ul>
 *   <li>duplication loses no datagram (the other path's copies carry them all);</li>
 *   <li>adaptive redundancy loses only datagrams sent within the dead timeout of the failure;</li>
 *   <li>when the uplink is back, each client's path on it is up again within two keepalive
 *       intervals; when the laptop's address on it changed, the running sessions' path carries
 *       again within two keepalive intervals of the new address being usable (roaming).</li>
 * </ul>
 * Each prints a line with what it measured (the figures of BENCHMARKS.md, "Failover"); the
 * property {@code mptunnel.failover.rounds} repeats each failure that many times (default 1), each
 * round with new sessions, and {@code mptunnel.failover.keepaliveMillis} sets the keepalive interval
 * (default 100; the dead timeout is three intervals). Needs root; skipped with one line otherwise.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class FailoverIT {

    private static final int ROUNDS = Integer.getInteger("mptunnel.failover.rounds", 1);
    /** Datagrams per second of each application stream. */
    private static final int RATE = 250;
    /** The tools' keepalive interval; the property {@code mptunnel.failover.keepaliveMillis} changes it. */
    private static final Duration KEEPALIVE = Duration.ofMillis(Long.getLong("mptunnel.failover.keepaliveMillis", 100));
    private static final Duration DEAD_TIMEOUT = KEEPALIVE.multipliedBy(3);
    /** Fine-grained statistics: the clients' lines tell when a path is up again. */
    private static final String STATS_INTERVAL = "0.025";
    private static final int ALL_PORT = 3001;
    private static final int ADAPTIVE_PORT = 3002;
    private static final int ECHO_PORT = 7;
    /** How long the adaptive client is given to send on a path again once it is up: measured, not a bound. */
    private static final Duration REUSE_WAIT = Duration.ofSeconds(10);
    /** How long a session's path is watched after the laptop's address on its uplink changed. */
    private static final Duration ROAMING_WAIT = KEEPALIVE.multipliedBy(10);
    /** A statistics line read later than this after it came tells a past state. */
    private static final Duration FRESH = Duration.ofMillis(100);

    private static final Started started = new Started();
    private static MultihomeNamespaces net;
    private static ToolProcess all;
    private static ToolProcess adaptive;
    private static Path key;
    private static Path config;

    @BeforeAll
    static void startTheTunnel(@TempDir Path dir) throws Exception {
        net = started.track(MultihomeNamespaces.start());
        key = dir.resolve("psk.key");
        assertThat(ToolProcess.run(Duration.ofSeconds(30), "mpkey", key.toString()).exitValue()).isZero();
        config = dir.resolve("mpclient.conf");
        Files.writeString(config, MultihomeNamespaces.SERVER_ADDRESSES.stream().map(a -> a + " 2000\n")
                .collect(Collectors.joining()));
        String keepalive = KEEPALIVE.toMillis() + "ms";
        String deadTimeout = DEAD_TIMEOUT.toMillis() + "ms";
        ToolProcess echo = started.track(MultihomeNamespaces.traffic(net.server(), "echo", Integer.toString(ECHO_PORT)));
        List<ToolProcess> servers = List.of(
                started.track(MultihomeNamespaces.tool(net.server(), "mpserver", "--key-file", key.toString(),
                        "--bind", MultihomeNamespaces.SERVER, "--keepalive", keepalive, "--dead-timeout", deadTimeout,
                        "2000", "127.0.0.1", Integer.toString(ECHO_PORT))),
                bridge(MultihomeNamespaces.SERVER_ADDRESSES.get(0), 5),
                bridge(MultihomeNamespaces.SERVER_ADDRESSES.get(1), 20));
        echo.awaitOut("echo on", Duration.ofSeconds(30));
        for (ToolProcess server : servers) {
            server.awaitListeningPort();
        }
    }

    /**
     * Each test starts with new clients, so new sessions: mpclient keeps one session for all its
     * applications (flows), and a session that has just been through another test's outage must
     * not decide whether this test's adaptive client settles on one path (one that had been through
     * a failover round was seen keeping every path for longer than this test waits: to look into).
     */
    @BeforeEach
    void newClients() throws Exception {
        if (all != null) {
            all.close();
            adaptive.close();
        }
        String keepalive = KEEPALIVE.toMillis() + "ms";
        String deadTimeout = DEAD_TIMEOUT.toMillis() + "ms";
        all = started.track(client(key, config, ALL_PORT, keepalive, deadTimeout));
        adaptive = started.track(client(key, config, ADAPTIVE_PORT, keepalive, deadTimeout,
                "--redundancy", "adaptive"));
        all.awaitListeningPort();
        adaptive.awaitListeningPort();
    }

    private static ToolProcess bridge(String address, int delayMillis) throws IOException {
        return started.track(MultihomeNamespaces.tool(net.isps(), "mpbridge", "--bind", address,
                "--delay", Integer.toString(delayMillis), "2000", MultihomeNamespaces.SERVER, "2000"));
    }

    private static ToolProcess client(Path key, Path config, int port, String keepalive, String deadTimeout,
                                      String... more) throws IOException {
        List<String> args = new ArrayList<>(List.of("mpclient", "--key-file", key.toString(),
                "--listen", "127.0.0.1:" + port, "--keepalive", keepalive, "--dead-timeout", deadTimeout,
                "--idle-timeout", "2s", "--stats-interval", STATS_INTERVAL));
        args.addAll(List.of(more));
        args.add(config.toString());
        return MultihomeNamespaces.tool(net.laptop(), args.toArray(String[]::new));
    }

    @AfterAll
    static void stop() throws Exception {
        started.close();
    }

    @Test
    void anUplinkGoesDownAtTheLaptopAndComesBack() throws Exception {
        for (int round = 1; round <= ROUNDS; round++) {
            failover(round, p -> "link-down " + uplink(p), p -> "link-up " + uplink(p));
        }
    }

    @Test
    void anUplinkLosesItsCarrierAndGetsItBack() throws Exception {
        for (int round = 1; round <= ROUNDS; round++) {
            failover(round, p -> "carrier-down " + uplink(p), p -> "carrier-up " + uplink(p));
        }
    }

    /**
     * The laptop's address on an uplink changes under running sessions. The path's socket, whose
     * source address the kernel fixed when it connected, can no longer send; the client opens it
     * again from the new address, and the server moves the path there once it has validated it.
     * Asserted: no loss with duplication, at most the dead timeout's worth with adaptive
     * redundancy, the running sessions' path carrying again within two keepalive intervals of the
     * new address being usable (see {@link #roamingGap}), and sessions that start after the change
     * (the next round's, then one more) have both paths up.
     */
    @Test
    void theLaptopsAddressOnAnUplinkChanges() throws Exception {
        boolean[] moved = new boolean[2];
        try {
            for (int round = 1; round <= ROUNDS; round++) {
                failover(round, p -> {
                    moved[p] = !moved[p];
                    return "readdress " + uplink(p) + " " + (moved[p] ? MultihomeNamespaces.LAPTOP_OTHER_ADDRESSES
                            : MultihomeNamespaces.LAPTOP_ADDRESSES).get(p);
                }, null);
            }
            try (ToolProcess traffic = MultihomeNamespaces.traffic(net.laptop(), "send", Integer.toString(RATE), "20",
                    Integer.toString(ALL_PORT))) {
                awaitSteady(all, all.outLineCount(), false); // a new session: both paths up, two copies
            }
        } finally {
            for (int p = 0; p < 2; p++) {
                if (moved[p]) {
                    net.run("readdress " + uplink(p) + " " + MultihomeNamespaces.LAPTOP_ADDRESSES.get(p));
                }
            }
        }
    }

    private static String uplink(int path) {
        return MultihomeNamespaces.UPLINKS.get(path);
    }

    /**
     * One round: a stream from new sessions; once the adaptive client sends on one path alone and
     * the other client on both, {@code failure} of that path's uplink; then {@code repair}, and how
     * long each client's path takes to be up (and the adaptive one's to carry datagrams) again; or,
     * without a repair, the roaming gap.
     */
    private static void failover(int round, IntFunction<String> failure, IntFunction<String> repair)
            throws Exception {
        int allAt = all.outLineCount();
        int adaptiveAt = adaptive.outLineCount();
        try (ToolProcess traffic = MultihomeNamespaces.traffic(net.laptop(), "send", Integer.toString(RATE), "60",
                Integer.toString(ALL_PORT), Integer.toString(ADAPTIVE_PORT))) {
            traffic.awaitOut("^sending$", Duration.ofSeconds(30));
            allAt = awaitSteady(all, allAt, false)[0];
            int[] steady = awaitSteady(adaptive, adaptiveAt, true);
            adaptiveAt = steady[0];
            int path = steady[1];
            String failed = failure.apply(path);
            traffic.send("mark failure");
            int mark = Integer.parseInt(traffic.awaitOut("^mark failure \\d+ (\\d+)$", Duration.ofSeconds(10)).group(1));
            long changed = net.run(failed);

            String after;
            long allUp = -1;
            long adaptiveUp = -1;
            if (repair == null) {
                // The path need not go down: the client may follow the new address within the dead timeout.
                allUp = roamingGap(all, allAt, path, changed);
                adaptiveUp = roamingGap(adaptive, adaptiveAt, path, changed);
                after = String.format(Locale.ROOT, "; path carrying again %s (all), %s (adaptive) after the new"
                        + " address was usable", gap(allUp), gap(adaptiveUp));
            } else {
                allAt = awaitPath(all, allAt, path, false, Duration.ofSeconds(10));
                adaptiveAt = awaitPath(adaptive, adaptiveAt, path, false, Duration.ofSeconds(10));
                long back = net.run(repair.apply(path));
                allUp = all.outLineNanos(awaitPath(all, allAt, path, true, Duration.ofSeconds(10)) - 1) - back;
                adaptiveUp = adaptive.outLineNanos(awaitPath(adaptive, adaptiveAt, path, true, Duration.ofSeconds(10)) - 1)
                        - back;
                long reused = awaitReuse(adaptive, adaptiveAt, path, back);
                after = String.format(Locale.ROOT, "; path up again %d ms (all), %d ms (adaptive) after the uplink was"
                        + " back, adaptive sends on it again after %s", millis(allUp), millis(adaptiveUp),
                        reused < 0 ? "more than " + REUSE_WAIT.toMillis() + " ms" : millis(reused) + " ms");
            }

            traffic.send("stop");
            List<Integer> allLost = lost(traffic, ALL_PORT);
            List<Integer> adaptiveLost = lost(traffic, ADAPTIVE_PORT);
            System.out.printf(Locale.ROOT, "failover: %s, round %d, %d datagrams/s, keepalive %d ms, dead timeout %d"
                            + " ms: lost %d (all), %s (adaptive)%s; load %s%n", failed, round, RATE, KEEPALIVE.toMillis(),
                    DEAD_TIMEOUT.toMillis(), allLost.size(), span(adaptiveLost, mark), after, load());

            assertThat(allLost).as("duplicating client, %s: lost datagrams", failed).isEmpty();
            int window = (int) (RATE * DEAD_TIMEOUT.toMillis() / 1000);
            assertThat(adaptiveLost.stream().filter(n -> n < mark || n > mark + window).toList())
                    .as("adaptive client, %s at datagram %d: datagrams lost but not sent within the dead timeout"
                            + " (the %d after it)", failed, mark, window).isEmpty();
            String what = repair == null ? failed : repair.apply(path);
            assertThat(Duration.ofNanos(allUp)).as("duplicating client: path up again after %s%n%s", what, tail(all))
                    .isLessThanOrEqualTo(KEEPALIVE.multipliedBy(2));
            assertThat(Duration.ofNanos(adaptiveUp)).as("adaptive client: path up again after %s%n%s", what,
                    tail(adaptive)).isLessThanOrEqualTo(KEEPALIVE.multipliedBy(2));
        }
    }

    /**
     * Roaming gap: from {@code changed}, when the script reported the new address usable (address,
     * rule and routes), to the first statistics line of {@code client}, from index {@code from},
     * with {@code path} up and receiving again: more received on it than by the line before, itself
     * after {@code changed}, so that nothing counted can have come to the old address, which is gone
     * by then. Receiving again means the server sends to the new address: it has validated it and
     * moved the path there. The resolution is two statistics lines.
     *
     * @return the gap, or {@link Long#MAX_VALUE} if not within {@link #ROAMING_WAIT}
     */
    private static long roamingGap(ToolProcess client, int from, int path, long changed) throws InterruptedException {
        ClientLine before = null;
        for (int i = from; System.nanoTime() - changed < ROAMING_WAIT.toNanos(); i++) {
            ClientLine line = ClientLine.parse(client.awaitOutLine(i, ROAMING_WAIT));
            if (line == null) {
                continue;
            }
            if (before != null && line.up[path] && line.received[path] > before.received[path]) {
                return client.outLineNanos(i) - changed;
            }
            before = client.outLineNanos(i) - changed > 0 ? line : null;
        }
        return Long.MAX_VALUE;
    }

    private static String gap(long nanos) {
        return nanos == Long.MAX_VALUE ? "never within " + ROAMING_WAIT.toMillis() + " ms" : millis(nanos) + " ms";
    }

    /**
     * Waits until the client has one session, both paths up, and over its last lines sends two
     * copies per datagram ({@code adaptive} false) or one, on one path alone (true).
     *
     * @return the index of the next line to read, and the path the adaptive client is sending on
     */
    private static int[] awaitSteady(ToolProcess client, int from, boolean adaptive) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        List<ClientLine> lines = new ArrayList<>();
        for (int i = from; ; i++) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("no steady client within 20 s\n" + tail(client));
            }
            ClientLine line = ClientLine.parse(client.awaitOutLine(i, Duration.ofSeconds(20)));
            boolean fresh = System.nanoTime() - client.outLineNanos(i) < FRESH.toNanos(); // not a past state
            if (line == null || !fresh || line.sessions != 1 || !line.up[0] || !line.up[1]) {
                lines.clear();
                continue;
            }
            lines.add(line);
            if (lines.size() < 4) {
                continue;
            }
            ClientLine before = lines.get(lines.size() - 4);
            long datagrams = line.datagrams - before.datagrams;
            double copies = (double) (line.copies - before.copies) / datagrams;
            if (datagrams >= 10 && !adaptive && copies > 1.8) {
                return new int[] {i + 1, -1};
            }
            for (int p = 0; datagrams >= 10 && adaptive && copies < 1.2 && p < 2; p++) {
                if (line.sent[p] - before.sent[p] >= datagrams && line.sent[1 - p] - before.sent[1 - p] < datagrams / 2) {
                    return new int[] {i + 1, p};
                }
            }
        }
    }

    /** @return the index of the line after the first, from {@code from}, where the client's {@code path} is {@code up} */
    private static int awaitPath(ToolProcess client, int from, int path, boolean up, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (int i = from; ; i++) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("path " + path + " not " + (up ? "up" : "down") + " within " + timeout + "\n"
                        + tail(client));
            }
            ClientLine line = ClientLine.parse(client.awaitOutLine(i, timeout));
            if (line != null && line.up[path] == up) {
                return i + 1;
            }
        }
    }

    /**
     * @return nanoseconds from {@code since} to the first line, from index {@code from}, that ends two
     *         lines in which {@code path} carried at least half the adaptive client's datagrams; -1
     *         if none within {@link #REUSE_WAIT}
     */
    private static long awaitReuse(ToolProcess client, int from, int path, long since) throws InterruptedException {
        List<ClientLine> lines = new ArrayList<>();
        for (int i = from; System.nanoTime() - since < REUSE_WAIT.toNanos(); i++) {
            ClientLine line = ClientLine.parse(client.awaitOutLine(i, REUSE_WAIT));
            if (line == null) {
                continue;
            }
            lines.add(line);
            if (lines.size() >= 3 && line.up[path]) {
                ClientLine before = lines.get(lines.size() - 3);
                long datagrams = line.datagrams - before.datagrams;
                if (datagrams > 0 && line.sent[path] - before.sent[path] >= datagrams / 2) {
                    return client.outLineNanos(i) - since;
                }
            }
        }
        return -1;
    }

    /** @return the numbers never echoed, from the stream's closing line */
    private static List<Integer> lost(ToolProcess traffic, int port) throws InterruptedException {
        Matcher line = traffic.awaitOut("^stream " + port + " sent \\d+ lost(.*)$", Duration.ofSeconds(20));
        List<Integer> numbers = new ArrayList<>();
        for (String n : line.group(1).trim().split("\\s+")) {
            if (!n.isEmpty()) {
                numbers.add(Integer.parseInt(n));
            }
        }
        return numbers;
    }

    /** @return "N (A to B ms after the failure)", or "0" */
    private static String span(List<Integer> lost, int mark) {
        if (lost.isEmpty()) {
            return "0";
        }
        return String.format(Locale.ROOT, "%d (sent %d to %d ms after the failure)", lost.size(),
                (lost.get(0) - mark) * 1000 / RATE, (lost.get(lost.size() - 1) + 1 - mark) * 1000 / RATE);
    }

    /** @return a client's last lines: its statistics come 40 times a second */
    private static String tail(ToolProcess client) {
        List<String> lines = client.stdout().lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size())) + "\n--- stderr\n"
                + client.stderr();
    }

    private static long millis(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }

    private static String load() throws IOException {
        return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
    }

    /**
     * What a client's statistics line says: per path (in the configuration's order) whether it is
     * up and how many datagrams it sent and received (keepalives and acks included); live sessions; data datagrams sent
     * and their copies.
     */
    private record ClientLine(boolean[] up, long[] sent, long[] received, int sessions, long datagrams, long copies) {

        private static final Pattern PATH = Pattern.compile(
                "path (\\S+):2000 (up|down) rtt \\S+ sent (\\d+) recv (\\d+) ");
        private static final Pattern TOTALS = Pattern.compile(
                "\\| sessions (\\d+) .* datagrams-sent (\\d+) copies-sent (\\d+) ");

        /** @return the line's figures, or null if it is not a statistics line with datagrams sent */
        static ClientLine parse(String line) {
            Matcher totals = TOTALS.matcher(line);
            if (!line.startsWith("mpclient stats: ") || !totals.find()) {
                return null;
            }
            boolean[] up = new boolean[2];
            long[] sent = new long[2];
            long[] received = new long[2];
            Matcher path = PATH.matcher(line);
            while (path.find()) {
                int p = MultihomeNamespaces.SERVER_ADDRESSES.indexOf(path.group(1));
                up[p] = path.group(2).equals("up");
                sent[p] = Long.parseLong(path.group(3));
                received[p] = Long.parseLong(path.group(4));
            }
            return new ClientLine(up, sent, received, Integer.parseInt(totals.group(1)), Long.parseLong(totals.group(2)),
                    Long.parseLong(totals.group(3)));
        }
    }
}
