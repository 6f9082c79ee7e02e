package org.mptunnel.examples.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Automatic paths on real interfaces: the README's laptop ({@code recipes/multihome.sh}), with its
 * LTE modem coming and going, an mpclient in automatic mode ({@code --auto-paths}, the default poll of
 * one second) and a stream of datagrams through it to an echo behind the mpserver. Each interface
 * gets a path to each of the server's two addresses; the laptop's source routing sends each path
 * by its own interface, whichever address it goes to, so all of them are up.
 * <ul>
 *   <li>At the start the modem is up with its address but without its routes yet (a DHCP client
 *       sets the address first): mpclient starts with Wi-Fi's paths; the modem's cannot be
 *       connected (no route to host), which is said once however many polls see it, and they are
 *       up at the server within 2 s of the routes.</li>
 *   <li>It is unplugged: its paths are dropped with one log line and nothing else from mpclient.</li>
 *   <li>It is plugged in again mid-flow: its two paths are up at the server within 2 s of the
 *       interface being usable and carry the stream's datagrams.</li>
 *   <li>Throughout, no datagram of the stream is lost.</li>
 * </ul>
 * Prints one line with what it measured (BENCHMARKS.md, "Failover"). Needs root; skipped with one
 * line otherwise.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class AutomaticPathsIT {

    private static final String MODEM = MultihomeNamespaces.UPLINKS.get(1);
    /** Datagrams per second of the application stream. */
    private static final int RATE = 250;
    private static final int CLIENT_PORT = 3001;
    private static final int ECHO_PORT = 7;
    /** The issue's bound: an interface that comes up gets its paths within this. */
    private static final Duration NEW_PATH_BOUND = Duration.ofSeconds(2);
    /** The statistics' period, in seconds: the server's lines tell when the new paths are up. */
    private static final String STATS_INTERVAL = "0.025";
    /** How long mpclient is watched after the unplugging: two polls, whatever it says in them counts. */
    private static final Duration QUIET_WATCH = Duration.ofSeconds(2);
    private static final Pattern SERVER_PATHS = Pattern.compile(" paths (\\d+) up (\\d+) path-challenges ");

    @Test
    void anInterfacePluggedInGetsPathsThatCarryDataAndUnpluggedIsDroppedQuietly(@TempDir Path dir) throws Exception {
        try (Started started = new Started()) {
            MultihomeNamespaces net = started.track(MultihomeNamespaces.start());
            net.run("unplug " + MODEM);
            net.run("plug " + MODEM + " unrouted");
            Path key = dir.resolve("psk.key");
            assertThat(ToolProcess.run(Duration.ofSeconds(30), "mpkey", key.toString()).exitValue()).isZero();
            Path config = dir.resolve("mpclient.conf");
            Files.writeString(config, MultihomeNamespaces.SERVER_ADDRESSES.stream().map(a -> a + " 2000\n")
                    .collect(Collectors.joining()));
            ToolProcess echo = started.track(MultihomeNamespaces.traffic(net.server(), "echo",
                    Integer.toString(ECHO_PORT)));
            ToolProcess server = started.track(MultihomeNamespaces.tool(net.server(), "mpserver", "--key-file",
                    key.toString(), "--bind", MultihomeNamespaces.SERVER, "--keepalive", "100ms", "--dead-timeout",
                    "300ms", "--stats-interval", STATS_INTERVAL, "2000", "127.0.0.1", Integer.toString(ECHO_PORT)));
            List<ToolProcess> bridges = new ArrayList<>();
            for (String address : MultihomeNamespaces.SERVER_ADDRESSES) {
                bridges.add(started.track(MultihomeNamespaces.tool(net.isps(), "mpbridge", "--bind", address, "2000",
                        MultihomeNamespaces.SERVER, "2000")));
            }
            echo.awaitOut("echo on", Duration.ofSeconds(30));
            server.awaitListeningPort();
            for (ToolProcess bridge : bridges) {
                bridge.awaitListeningPort();
            }
            ToolProcess client = started.track(MultihomeNamespaces.tool(net.laptop(), "mpclient", "--key-file",
                    key.toString(), "--listen", "127.0.0.1:" + CLIENT_PORT, "--keepalive", "100ms", "--dead-timeout",
                    "300ms", "--auto-paths", config.toString()));
            // Wi-Fi's paths alone: the modem's cannot be connected (no route to host) and are left out
            String wifi = MultihomeNamespaces.LAPTOP_ADDRESSES.get(0);
            String modem = MultihomeNamespaces.LAPTOP_ADDRESSES.get(1);
            client.awaitOut("listening on .*, 2 path\\(s\\): 203\\.0\\.113\\.1:2000 " + wifi + ":0, 203\\.0\\.113\\.2:2000 "
                    + wifi + ":0 \\(automatic\\)", Duration.ofSeconds(20));

            try (ToolProcess traffic = MultihomeNamespaces.traffic(net.laptop(), "send", Integer.toString(RATE), "60",
                    Integer.toString(CLIENT_PORT))) {
                traffic.awaitOut("^sending$", Duration.ofSeconds(30));
                awaitServerPaths(server, client, server.outLineCount(), 2, Duration.ofSeconds(20));
                awaitLines(client, server, Duration.ofSeconds(2)); // two polls that cannot add them either
                List<String> saidUnrouted = said(client, 0);

                int serverAt = server.outLineCount();
                long routed = net.run("link-up " + MODEM);
                long upRouted = server.outLineNanos(awaitServerPaths(server, client, serverAt, 4,
                        NEW_PATH_BOUND.plusSeconds(10))) - routed;
                client.awaitErr("path 203\\.0\\.113\\.2:2000 " + Pattern.quote(modem) + ":0 added, at last",
                        Duration.ofSeconds(10));
                List<String> saidRouted = said(client, saidUnrouted.size());

                int errAt = errLines(client);
                long unplugged = net.run("unplug " + MODEM);
                client.awaitErr("automatic paths: interface " + MODEM + " gone or down: its paths removed",
                        NEW_PATH_BOUND.plusSeconds(10));
                long removed = System.nanoTime() - unplugged;
                awaitLines(client, server, QUIET_WATCH);
                List<String> saidUnplugged = said(client, errAt);

                serverAt = server.outLineCount();
                long plugged = net.run("plug " + MODEM);
                client.awaitErr("automatic paths: interface " + MODEM + " up \\(" + Pattern.quote(modem) + "\\)",
                        NEW_PATH_BOUND.plusSeconds(10));
                long added = System.nanoTime() - plugged; // within a few ms of the line: it is waited on, not polled
                long up = server.outLineNanos(awaitServerPaths(server, client, serverAt, 4,
                        NEW_PATH_BOUND.plusSeconds(10))) - plugged;
                long[] carried = carried(net, client, server, traffic);

                traffic.send("stop");
                List<Integer> lost = lost(traffic);
                System.out.printf(Locale.ROOT, "automatic paths: %s up without routes at the start: its paths up at"
                                + " the server %d ms after the routes; unplugged: paths removed after %d ms; plugged in:"
                                + " its paths added %d ms after it was usable, both up at the server after %d ms, %d"
                                + " packets out of it for %d datagrams in %d ms; %d datagrams/s, lost %d; load %s%n",
                        MODEM, millis(upRouted), millis(removed), millis(added), millis(up), carried[0], carried[1],
                        carried[1] * 1000 / RATE, RATE, lost.size(),
                        Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);

                assertThat(saidUnrouted).as("what mpclient said while %s had no routes", MODEM)
                        .filteredOn(line -> line.contains(" WARN ")).hasSize(2)
                        .allMatch(line -> line.contains(modem + ":0: No route to host (said once"));
                assertThat(Duration.ofNanos(upRouted)).as("paths up at the server after %s's routes came%n%s", MODEM,
                        client.transcript()).isLessThanOrEqualTo(NEW_PATH_BOUND);
                assertThat(saidRouted).as("what mpclient said when %s had its routes", MODEM).hasSize(2)
                        .allMatch(line -> line.contains(modem + ":0 added, at last"));
                assertThat(saidUnplugged).as("what mpclient said once %s was unplugged", MODEM).singleElement()
                        .asString().contains("automatic paths: interface " + MODEM + " gone or down");
                assertThat(Duration.ofNanos(up)).as("the new interface's paths up at the server%n%s",
                        client.transcript()).isLessThanOrEqualTo(NEW_PATH_BOUND);
                assertThat(carried[1]).as("datagrams sent while the modem was watched").isPositive();
                assertThat(carried[0]).as("packets out of %s for %d datagrams", MODEM, carried[1])
                        .isGreaterThanOrEqualTo(carried[1]);
                assertThat(lost).as("datagrams lost while %s came and went", MODEM).isEmpty();
            }
        }
    }

    /**
     * While the stream goes on, about a second: how many packets left by the modem, and how many
     * datagrams the stream sent meanwhile.
     */
    private static long[] carried(MultihomeNamespaces net, ToolProcess client, ToolProcess server,
                                  ToolProcess traffic) throws Exception {
        long packets = txPackets(net, MODEM);
        int datagrams = mark(traffic, "before");
        awaitLines(client, server, Duration.ofSeconds(1));
        return new long[] {txPackets(net, MODEM) - packets, mark(traffic, "after") - datagrams};
    }

    private static int errLines(ToolProcess client) {
        return (int) client.stderr().lines().count();
    }

    /** @return what the tool logged from line {@code from} on */
    private static List<String> said(ToolProcess client, int from) {
        return client.stderr().lines().skip(from).toList();
    }

    /** @return the index of the first server line, from {@code from}, with {@code paths} paths up */
    private static int awaitServerPaths(ToolProcess server, ToolProcess client, int from, int paths, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (int i = from; ; i++) {
            String line = server.awaitOutLine(i, timeout);
            Matcher m = SERVER_PATHS.matcher(line);
            if (m.find() && Integer.parseInt(m.group(2)) == paths) {
                return i;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("the server never had " + paths + " paths up within " + timeout
                        + "\n--- mpclient\n" + client.transcript() + "\n--- mpserver\n" + server.transcript());
            }
        }
    }

    /** Waits until the server has printed statistics lines for {@code span} more (the client is alive meanwhile). */
    private static void awaitLines(ToolProcess client, ToolProcess server, Duration span) throws InterruptedException {
        int lines = (int) (span.toMillis() / (Double.parseDouble(STATS_INTERVAL) * 1000));
        server.awaitOutLine(server.outLineCount() + lines, span.multipliedBy(3));
        assertThat(client.isAlive()).as("mpclient alive%n%s", client.transcript()).isTrue();
    }

    /** @return the stream's next datagram number, from a {@code mark} line */
    private static int mark(ToolProcess traffic, String name) throws Exception {
        traffic.send("mark " + name);
        return Integer.parseInt(traffic.awaitOut("^mark " + name + " (\\d+)$", Duration.ofSeconds(10)).group(1));
    }

    /** @return packets sent out of the laptop's interface so far */
    private static long txPackets(MultihomeNamespaces net, String uplink) throws Exception {
        ToolProcess cat = ToolProcess.startCommand("ip", "netns", "exec", net.laptop(), "cat",
                "/sys/class/net/" + uplink + "/statistics/tx_packets");
        assertThat(cat.awaitExit(Duration.ofSeconds(10))).as("reading %s's counter%n%s", uplink, cat.transcript())
                .isZero();
        return Long.parseLong(cat.stdout().trim());
    }

    /** @return the numbers never echoed, from the stream's closing line */
    private static List<Integer> lost(ToolProcess traffic) throws InterruptedException {
        Matcher line = traffic.awaitOut("^stream " + CLIENT_PORT + " sent \\d+ lost(.*)$", Duration.ofSeconds(20));
        List<Integer> numbers = new ArrayList<>();
        for (String n : line.group(1).trim().split("\\s+")) {
            if (!n.isEmpty()) {
                numbers.add(Integer.parseInt(n));
            }
        }
        return numbers;
    }

    private static long millis(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }
}
