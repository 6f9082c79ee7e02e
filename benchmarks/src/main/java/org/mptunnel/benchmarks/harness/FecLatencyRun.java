package org.mptunnel.benchmarks.harness;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Latency of the datagrams forward error correction rebuilt ({@code Harness --fec-latency}): each
 * run its own echo target, mpserver, three bridges that delay every datagram by
 * {@code --bridge-delay} each way, drop some, and log what they drop ({@code mpbridge --drop-log}),
 * and an mpclient with {@code --redundancy}. The echo target stamps when each datagram arrived, so
 * a round trip splits into its two one-way legs; the drop logs tell, per leg, which datagrams lost
 * every copy and arrived all the same (rebuilt) from those a path carried ({@link LegLatency}).
 * Against that, the bound of the design: a rebuilt datagram arrives at most the group deadline
 * plus one path delay after it was sent, with the path delay nominal and as it was at the time.
 * One-way loss: the window's, split by leg ({@link OneWayLoss}), and each receiver's own residual
 * since start ("residual" on its statistics line: the mpserver's for the way there, the mpclient's
 * for the way back). Writes fec-latency.md and fec-latency.csv.
 */
final class FecLatencyRun {

    /** The tools' FEC group deadline by default ({@code fec-adaptive:TARGET:DEADLINE} sets the client's). */
    static final Duration GROUP_DEADLINE = Duration.ofMillis(5);
    private static final Pattern DEADLINE = Pattern.compile("^fec-adaptive:[^:]+:(\\d+)ms$");
    private static final String CLIENT_STATS = "mpclient stats: ";
    private static final String SERVER_STATS = "mpserver stats: ";
    private static final Pattern RECEIVER = Pattern.compile("(?:recovered (\\d+) )?residual (\\S+)%");

    private record Scenario(String label, List<Double> losses, List<String> redundancies) {
    }

    /** From a receiver's last statistics line, since its start: datagrams it recovered, its residual loss in %. */
    private record Receiver(String recovered, String residual) {
        static Receiver of(List<ChildProcess.TimedLine> lines) {
            Matcher m = lines.isEmpty() ? null : RECEIVER.matcher(lines.get(lines.size() - 1).line());
            if (m == null || !m.find()) {
                return new Receiver("-", "-");
            }
            return new Receiver(m.group(1) == null ? "0" : m.group(1), m.group(2));
        }
    }

    private final HarnessOptions options;
    private final PrintStream log;
    private final StringBuilder csv = new StringBuilder("paths,redundancy,seed,round_trip_loss,leg,carried,carried_p50_ms,"
            + "carried_p99_ms,carried_over_bound,rebuilt,rebuilt_p50_ms,rebuilt_p90_ms,rebuilt_p99_ms,rebuilt_max_ms,"
            + "rebuilt_over_bound,lateness_checked,lateness_p50_ms,lateness_p99_ms,lateness_max_ms,beyond_deadline,"
            + "loss_one_way_window,receiver_recovered_since_start,receiver_residual_since_start,drops_naming_no_datagram,"
            + "wire_per_payload_window\n");

    private FecLatencyRun(HarnessOptions options, PrintStream log) {
        this.options = options;
        this.log = log;
    }

    /** Runs every row; writes fec-latency.md and fec-latency.csv; returns the Markdown. */
    static String run(HarnessOptions options, PrintStream log) throws IOException, InterruptedException {
        if (System.getenv("MPTUNNEL_KEY") != null) {
            throw new IOException("--fec-latency reads the tunnel's clear headers in the bridges' drop logs: "
                    + "run it without MPTUNNEL_KEY");
        }
        FecLatencyRun run = new FecLatencyRun(options, log);
        double delayMs = options.bridgeDelay().toNanos() / 1e6;
        StringBuilder md = new StringBuilder(String.format(Locale.ROOT, "Latency of rebuilt datagrams: %,d datagrams/s "
                        + "of %d bytes for %.0f s per run; every bridge delays each datagram by %s ms each way; FEC "
                        + "group deadline %d ms (the tools' default) both ways unless the row sets the client's (the "
                        + "server's replies then close at the deadline that fills a group of the client's size, "
                        + "5–25 ms); bound: the row's deadline + one path delay."
                        + " One-way latency from the harness to the echo target (there) and back, on one monotonic "
                        + "clock; a datagram is rebuilt on a leg if the bridges dropped every copy of it that way. "
                        + "Residual: the receiver's own figure since its session started (mpserver there, mpclient "
                        + "back).%n%n", options.lossyRate(), options.size(), options.lossy().toMillis() / 1e3,
                Report.number(delayMs, 1), GROUP_DEADLINE.toMillis()));
        md.append(String.format(Locale.ROOT, "| paths (each way) | redundancy | round-trip loss | leg | carried p50 / p99 (ms) "
                        + "| rebuilt | rebuilt p50 / p99 / max (ms) | over the bound: rebuilt / carried "
                        + "| lateness p99 / max (ms) | later than the deadline + the path's delay at the time "
                        + "| loss one way, window | residual one way, receiver since start "
                        + "| bytes on the wire per payload byte, sender, window |%n"))
                .append("|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        List<String> each = List.of("all", "fec:8:4", "fec-adaptive:0.1%");
        List<Scenario> scenarios = List.of(new Scenario("0 %, 0 %, 0 %", List.of(0.0, 0.0, 0.0), each),
                new Scenario("1 %, 20 %, 30 %", List.of(0.01, 0.20, 0.30),
                        List.of("all", "fec:8:4", "fec-adaptive:0.1%", "fec-adaptive:0.1%:12ms",
                                "fec-adaptive:0.1%:15ms")),
                new Scenario("20 %, 20 %, 20 %", List.of(0.20, 0.20, 0.20),
                        List.of("all", "fec-adaptive:0.5%", "fec-adaptive:0.5%:12ms")),
                new Scenario("10 %, 10 %", List.of(0.10, 0.10),
                        List.of("fec-adaptive:0.01%:12ms", "fec-adaptive:0.01%:15ms",
                                "fec-adaptive:0.005%:15ms")));
        for (Scenario s : scenarios) {
            for (String redundancy : s.redundancies()) {
                for (int i = 0; i < options.repeat() && FecRun.selected(options, redundancy); i++) {
                    md.append(run.row(s, redundancy, options.seed() + 100L * i));
                }
            }
        }
        Files.writeString(options.out().resolve("fec-latency.md"), md, StandardCharsets.UTF_8);
        Files.writeString(options.out().resolve("fec-latency.csv"), run.csv, StandardCharsets.UTF_8);
        return md.toString();
    }

    /** One run: its own processes, stopped (so the bridges write their drop logs) before the figures. */
    private String row(Scenario s, String redundancy, long seed) throws IOException, InterruptedException {
        String name = "latency-" + redundancy.replaceAll("[^A-Za-z0-9.]+", "-") + "-"
                + s.label().replaceAll("[^0-9]+", "-") + seed;
        List<Path> dropLogs = new ArrayList<>();
        List<List<String>> bridges = new ArrayList<>();
        for (int i = 0; i < s.losses().size(); i++) {
            Path dropLog = options.out().resolve(name + "-bridge-" + (i + 1) + "-drops.txt");
            dropLogs.add(dropLog);
            bridges.add(List.of("--delay", Double.toString(options.bridgeDelay().toNanos() / 1e6),
                    "--loss", Double.toString(s.losses().get(i)), "--seed", Long.toString(seed + i),
                    "--drop-log", dropLog.toString()));
        }
        StepResult r;
        EchoTimes times;
        List<ChildProcess.TimedLine> serverLines;
        List<ChildProcess.TimedLine> clientLines;
        long windowFrom;
        // each run has its own echo target and mpserver: their logs go apart, not over the last run's
        try (Topology topology = new Topology(options, options.out().resolve("logs").resolve(name))) {
            topology.startServerSide(List.of("--stats-interval", "0.1"));
            ChildProcess server = topology.server();
            server.watch(SERVER_STATS);
            Topology.Tunnel tunnel = topology.startTunnel(name, bridges, List.of("--keepalive", "10ms",
                    "--dead-timeout", "500ms", "--redundancy", redundancy, "--stats-interval", "0.1"));
            ChildProcess client = tunnel.processes().get(tunnel.processes().size() - 1);
            client.watch(CLIENT_STATS);
            try (LoadGenerator gen = AdaptiveRun.warmedUp(options, name, tunnel)) {
                gen.keepTimes();
                windowFrom = System.nanoTime() + options.warmUp().toNanos();
                r = gen.run(options.lossyRate(), options.warmUp(), options.lossy(), null);
                times = gen.lastTimes();
            }
            Thread.sleep(300); // the statistics lines after the window's end
            serverLines = server.watchedLines();
            clientLines = client.watchedLines();
        }
        BridgeDrops drops = BridgeDrops.read(dropLogs);
        Duration deadline = deadlineOf(redundancy);
        Duration bound = deadline.plus(options.bridgeDelay());
        LegLatency there = LegLatency.of(times, drops, BridgeDrops.Direction.TO_SERVER, deadline);
        LegLatency back = LegLatency.of(times, drops, BridgeDrops.Direction.TO_CLIENT, deadline);
        double wireThere = FecRun.wireInWindow(clientLines, windowFrom);
        double wireBack = FecRun.wireInWindow(serverLines, windowFrom);
        OneWayLoss lost = OneWayLoss.of(times, drops);
        Receiver thereReceiver = Receiver.of(serverLines);
        Receiver backReceiver = Receiver.of(clientLines);
        csvLine(s, redundancy, seed, r, "there", there, bound, lost.there(), thereReceiver, drops.unread(), wireThere);
        csvLine(s, redundancy, seed, r, "back", back, bound, lost.back(), backReceiver, drops.unread(), wireBack);
        String lines = tableLine(s, redundancy, r, "there", there, bound, lost.there(), thereReceiver, wireThere)
                + tableLine(s, redundancy, r, "back", back, bound, lost.back(), backReceiver, wireBack);
        log.printf(Locale.ROOT, "%s, %s, seed %d (receivers' recovered since start: %s there, %s back)%n%s", s.label(),
                redundancy, seed, thereReceiver.recovered(), backReceiver.recovered(), lines);
        return lines;
    }

    /** @return the client's group deadline that {@code redundancy} sets, else the tools' default */
    static Duration deadlineOf(String redundancy) {
        Matcher m = DEADLINE.matcher(redundancy);
        return m.find() ? Duration.ofMillis(Long.parseLong(m.group(1))) : GROUP_DEADLINE;
    }

    private String tableLine(Scenario s, String redundancy, StepResult r, String leg, LegLatency l, Duration bound,
            double lost, Receiver receiver, double wire) {
        return String.format(Locale.ROOT, "| %s | %s | %s | %s | %s / %s | %,d | %s / %s / %s | %,d / %,d | %s / %s "
                        + "| %d of %,d | %s | %s %% | %s |%n", s.label(), redundancy, Report.percent(r.loss()), leg,
                Report.number(l.carriedMillis(50), 2), Report.number(l.carriedMillis(99), 2), l.rebuiltCount(),
                Report.number(l.rebuiltMillis(50), 2), Report.number(l.rebuiltMillis(99), 2),
                Report.number(l.rebuiltMillis(100), 2), l.rebuiltOver(bound), l.carriedOver(bound),
                Report.number(l.latenessMillis(99), 2), Report.number(l.latenessMillis(100), 2), l.beyondDeadline(),
                l.latenessChecked(), Report.percent(lost), receiver.residual(), Report.number(wire, 2));
    }

    private void csvLine(Scenario s, String redundancy, long seed, StepResult r, String leg, LegLatency l, Duration bound,
            double lost, Receiver receiver, long unread, double wire) {
        csv.append(String.format(Locale.ROOT, "%s,%s,%d,%.6f,%s,%d,%.3f,%.3f,%d,%d,%.3f,%.3f,%.3f,%.3f,%d,%d,%.3f,%.3f,"
                        + "%.3f,%d,%.6f,%s,%s,%d,%.4f%n",
                s.label().replace(",", ""), redundancy, seed, r.loss(), leg, l.carriedCount(), l.carriedMillis(50),
                l.carriedMillis(99), l.carriedOver(bound), l.rebuiltCount(), l.rebuiltMillis(50), l.rebuiltMillis(90),
                l.rebuiltMillis(99), l.rebuiltMillis(100), l.rebuiltOver(bound), l.latenessChecked(),
                l.latenessMillis(50), l.latenessMillis(99), l.latenessMillis(100), l.beyondDeadline(), lost, receiver.recovered(),
                receiver.residual(), unread, wire));
    }
}
