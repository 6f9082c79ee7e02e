package org.mptunnel.benchmarks.harness;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Forward error correction end to end ({@code Harness --fec}): for each scenario, bridges with
 * their own (independent or bursty) loss, an mpclient with {@code --redundancy} (every path,
 * adaptive, or fec:K:M) and 10 ms keepalives, echoes at a fixed rate through the same mpserver and
 * echo target. Loss is round trip: the client's datagrams are coded at K:M, and the server codes
 * its replies at the rate it mirrors. Bytes on the wire per payload byte, repairs and the client's
 * residual loss of the replies come from the mpclient's statistics lines. Writes fec.md,
 * fec-overhead.svg (residual loss against bytes on the wire per payload byte) and fec.csv.
 */
final class FecRun {

    private static final String CLIENT_STATS = "mpclient stats: ";
    private static final String LOSS_NOW = "mpbridge: loss now";
    private static final Pattern CODING = Pattern.compile(
            "wire/payload (\\S+)(?: repairs-sent (\\d+) repairs-received (\\d+) recovered (\\d+))? residual (\\S+)");
    private static final Pattern SENT_AND_WIRE = Pattern.compile("datagrams-sent (\\d+) .*wire/payload (\\S+)");

    /** A bridge's impairment: independent loss, bursty loss, or clean until blackholed. */
    private record Path(String label, List<String> args) {
        static Path loss(double p) {
            return new Path(Report.number(100 * p, 0) + " %", List.of("--loss", Double.toString(p)));
        }

        static Path burst(String spec) {
            return new Path("bursts " + spec, List.of("--loss-burst", spec));
        }
    }

    private record Scenario(String name, List<Path> paths, List<String> redundancies) {
    }

    private static final String TITLE = "Residual loss against bytes on the wire per payload byte (round trip)";

    private final HarnessOptions options;
    private final PrintStream log;
    private final Topology topology;
    private final List<LossPlot.OverheadPoint> points = new ArrayList<>();
    private final StringBuilder csv = new StringBuilder(
            "scenario,redundancy,seed,round_trip_loss,wire_per_payload,repairs_sent,recovered,residual_down_since_start,rtt_p50_us,rtt_p99_us,rtt_p999_us,wire_per_payload_since_start\n");

    private FecRun(HarnessOptions options, PrintStream log, Topology topology) {
        this.options = options;
        this.log = log;
        this.topology = topology;
    }

    /** Runs every scenario; writes fec.md, fec.csv and fec-overhead.svg; returns the Markdown. */
    static String run(HarnessOptions options, PrintStream log) throws IOException, InterruptedException {
        StringBuilder md = new StringBuilder();
        FecRun run;
        try (Topology topology = new Topology(options)) {
            topology.startServerSide();
            run = new FecRun(options, log, topology);
            md.append(String.format(Locale.ROOT, "FEC end to end: %,d datagrams/s of %d bytes for %.0f s per run, "
                            + "round trip through mpclient (keepalive 10 ms, dead timeout 500 ms), mpbridges, "
                            + "mpserver, echo; FEC group deadline 5 ms (the default) both ways unless the redundancy sets the "
                            + "client's (fec-adaptive:TARGET:DEADLINE; the server's replies then close at the deadline "
                            + "that fills a group of the client's size).%n%n",
                    options.lossyRate(), options.size(), options.lossy().toMillis() / 1e3));
            md.append(String.format(Locale.ROOT, "Each row: %d run(s), seeds %d, %d, …; round-trip loss of each run, "
                    + "bytes on the wire per payload byte (the client's, data and repairs with their headers, over the "
                    + "measured window: the start, coded at the start rate before any estimate, left out), "
                    + "datagrams the client rebuilt from repairs (replies; some merely late), RTT percentiles of "
                    + "each run.%n%n", options.repeat(), options.seed(), options.seed() + 100));
            md.append("| paths (each way) | redundancy | round-trip loss | bytes on the wire per payload byte | "
                    + "recovered by the client | RTT p50 (µs) | RTT p99 (µs) |\n"
                    + "|---|---|---:|---:|---:|---:|---:|\n");
            List<Path> mixed = List.of(Path.loss(0.01), Path.loss(0.20), Path.loss(0.30));
            List<Path> even = List.of(Path.loss(0.20), Path.loss(0.20), Path.loss(0.20));
            List<Path> two = List.of(Path.loss(0.10), Path.loss(0.10));
            List<Path> bursty = List.of(Path.burst("0.05:10"), Path.burst("0.05:10"), Path.burst("0.05:10"));
            List<Path> clean = List.of(Path.loss(0), Path.loss(0), Path.loss(0));
            for (Scenario s : List.of(
                    new Scenario("1/20/30", mixed, List.of("all", "adaptive", "fec:8:4", "fec:8:8", "fec:4:4",
                            "fec-adaptive:0.1%", "fec-adaptive:0.1%:12ms", "fec-adaptive:0.1%:15ms")),
                    new Scenario("3x20", even, List.of("all", "adaptive", "fec:8:4", "fec:8:8", "fec-adaptive:0.5%",
                            "fec-adaptive:0.5%:12ms")),
                    new Scenario("2x10", two, List.of("all", "fec:8:4", "fec:16:8", "fec:8:8", "fec-adaptive:0.01%",
                            "fec-adaptive:0.01%:12ms", "fec-adaptive:0.01%:15ms",
                            "fec-adaptive:0.005%:15ms")),
                    new Scenario("bursty 5%:10", bursty, List.of("all", "adaptive", "fec:8:4", "fec:16:8",
                            "fec-adaptive:0.1%")),
                    new Scenario("clean", clean, List.of("all", "fec:8:4")))) {
                for (String redundancy : s.redundancies()) {
                    if (selected(options, redundancy)) {
                        md.append(run.steadyRepeated(s, redundancy));
                    }
                }
            }
            md.append('\n');
            for (String redundancy : List.of("all", "fec:8:4", "fec-adaptive:0.1%", "fec-adaptive:0.1%:15ms")) {
                for (int i = 0; i < options.repeat() && selected(options, redundancy); i++) {
                    md.append(run.blackholed(redundancy, options.seed() + 100L * i));
                }
            }
        }
        Files.writeString(options.out().resolve("fec.md"), md, StandardCharsets.UTF_8);
        Files.writeString(options.out().resolve("fec.csv"), run.csv, StandardCharsets.UTF_8);
        return md.toString();
    }

    /** @return whether {@code --fec-only} lets {@code redundancy}'s rows run */
    static boolean selected(HarnessOptions options, String redundancy) {
        return options.fecOnly().isEmpty() || options.fecOnly().stream().anyMatch(redundancy::startsWith);
    }

    private static List<List<String>> bridgeArgs(List<Path> paths, long seed) {
        List<List<String>> args = new ArrayList<>();
        for (int i = 0; i < paths.size(); i++) {
            List<String> a = new ArrayList<>(paths.get(i).args());
            a.addAll(List.of("--seed", Long.toString(seed + i)));
            args.add(a);
        }
        return args;
    }

    private static List<String> clientArgs(String redundancy) {
        return List.of("--keepalive", "10ms", "--dead-timeout", "500ms", "--redundancy", redundancy,
                "--stats-interval", "0.1");
    }

    /** Draws fec-overhead.svg again from the fec.csv in {@code dir} (a run's figures, another look). */
    static void replot(java.nio.file.Path dir) throws IOException {
        List<LossPlot.OverheadPoint> points = new ArrayList<>();
        List<String> lines = Files.readAllLines(dir.resolve("fec.csv"), StandardCharsets.UTF_8);
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split(",");
            points.add(new LossPlot.OverheadPoint(kind(f[1]), f[0] + " " + f[1], Double.parseDouble(f[4]),
                    Double.parseDouble(f[3])));
        }
        Files.writeString(dir.resolve("fec-overhead.svg"), LossPlot.overheadSvg(TITLE, points), StandardCharsets.UTF_8);
    }

    private static String kind(String redundancy) {
        return redundancy.startsWith("fec-adaptive") ? "adaptive FEC" : redundancy.startsWith("fec") ? "FEC" : redundancy.startsWith("adaptive") ? "adaptive" : "duplication";
    }

    /** What one steady run measured; {@code wire} over the measured window. */
    private record Steady(StepResult result, double wire, String recovered) {
    }

    /**
     * Bytes on the wire per payload byte between two of the client's statistics lines: the last
     * one printed by {@code fromNanos} (before the window; none: from the start) and the last one.
     * The lines give the ratio since the start and the datagrams sent, all of one size, so the
     * window's ratio is the difference of the products over the difference of the counts; it leaves
     * out the start, when the client codes at its start rate before the first estimates.
     *
     * @return the window's ratio, or NaN if the lines do not give it
     */
    static double wireInWindow(List<ChildProcess.TimedLine> lines, long fromNanos) {
        double[] before = {0, 0};
        double[] last = null;
        for (ChildProcess.TimedLine line : lines) {
            Matcher m = SENT_AND_WIRE.matcher(line.line());
            if (!m.find()) {
                continue;
            }
            double[] point = {Double.parseDouble(m.group(1)), Double.parseDouble(m.group(2))};
            if (line.nanos() <= fromNanos) {
                before = point;
            }
            last = point;
        }
        if (last == null || last[0] <= before[0]) {
            return Double.NaN;
        }
        return (last[0] * last[1] - before[0] * before[1]) / (last[0] - before[0]);
    }

    /** A scenario's row: {@code repeat} runs, each with its own seeds, each a point of the plot. */
    private String steadyRepeated(Scenario s, String redundancy) throws IOException, InterruptedException {
        List<Steady> runs = new ArrayList<>();
        for (int i = 0; i < options.repeat(); i++) {
            runs.add(steady(s, redundancy, options.seed() + 100L * i));
        }
        StringBuilder loss = new StringBuilder();
        StringBuilder wire = new StringBuilder();
        StringBuilder recovered = new StringBuilder();
        StringBuilder p50 = new StringBuilder();
        StringBuilder p99 = new StringBuilder();
        for (Steady r : runs) {
            String sep = loss.length() == 0 ? "" : ", ";
            loss.append(sep).append(Report.percent(r.result().loss()));
            wire.append(sep).append(Report.number(r.wire(), 2));
            recovered.append(sep).append(r.recovered());
            p50.append(sep).append(Report.number(r.result().rttMicros(50), 0));
            p99.append(sep).append(Report.grouped(r.result().rttMicros(99)));
        }
        return String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s |%n", paths(s.paths()), redundancy, loss,
                wire, recovered, p50, p99);
    }

    /** One steady run: a line of the log and the CSV, and a point of the plot. */
    private Steady steady(Scenario s, String redundancy, long seed) throws IOException, InterruptedException {
        String name = s.name().replaceAll("[^A-Za-z0-9]+", "-") + "-" + redundancy.replace(':', '-') + "-" + seed;
        Topology.Tunnel tunnel = topology.startTunnel(name, bridgeArgs(s.paths(), seed), clientArgs(redundancy));
        ChildProcess client = tunnel.processes().get(tunnel.processes().size() - 1);
        client.watch(CLIENT_STATS);
        StepResult r;
        long windowFrom;
        try (LoadGenerator gen = AdaptiveRun.warmedUp(options, name, tunnel)) {
            windowFrom = System.nanoTime() + options.warmUp().toNanos();
            r = gen.run(options.lossyRate(), options.warmUp(), options.lossy(), null);
        }
        Thread.sleep(300); // the statistics line after the window's end
        List<ChildProcess.TimedLine> lines = client.watchedLines();
        topology.stop(tunnel.processes());
        Matcher m = lines.isEmpty() ? null : CODING.matcher(lines.get(lines.size() - 1).line());
        boolean found = m != null && m.find();
        double sinceStart = found ? Double.parseDouble(m.group(1)) : Double.NaN;
        double wire = wireInWindow(lines, windowFrom);
        String repairs = found && m.group(2) != null ? m.group(2) : "0";
        String recovered = found && m.group(4) != null ? m.group(4) : "0";
        String residual = found ? m.group(5) : "-";
        log.printf(Locale.ROOT, "%-14s %-10s seed %d: loss %.4f %% at %.3f bytes per payload byte (%.3f since start), "
                        + "%s repairs, %s recovered, residual down since start %s, rtt p50 %.0f p99 %.0f us%n", s.name(),
                redundancy, seed, 100 * r.loss(), wire, sinceStart, repairs, recovered, residual, r.rttMicros(50),
                r.rttMicros(99));
        points.add(new LossPlot.OverheadPoint(kind(redundancy), s.name() + " " + redundancy, wire, r.loss()));
        csv.append(String.format(Locale.ROOT, "%s,%s,%d,%.6f,%.4f,%s,%s,%s,%.0f,%.0f,%.0f,%.4f%n", s.name(), redundancy,
                seed, r.loss(), wire, repairs, recovered, residual, r.rttMicros(50), r.rttMicros(99), r.rttMicros(99.9),
                sinceStart));
        Files.writeString(options.out().resolve("fec-overhead.svg"), LossPlot.overheadSvg(TITLE, points), StandardCharsets.UTF_8);
        return new Steady(r, wire, recovered);
    }

    /**
     * Three clean paths, the first blackholed (all its datagrams dropped, both ways) a few seconds
     * into the measured window: the loss over the 2 s before, the second after (the client marks
     * the path down after 500 ms of silence), and the longest run of datagrams lost in a row.
     */
    private String blackholed(String redundancy, long seed) throws IOException, InterruptedException {
        List<List<String>> bridges = bridgeArgs(List.of(Path.loss(0), Path.loss(0), Path.loss(0)), seed);
        double changeAfter = 2 + options.jitWarmUp().toMillis() / 1e3 + options.warmUp().toMillis() / 1e3 + 4;
        bridges.set(0, List.of("--loss-after", String.format(Locale.ROOT, "%.1fs:1", changeAfter),
                "--seed", Long.toString(seed)));
        String name = "blackhole-" + redundancy.replace(':', '-') + "-" + seed;
        Topology.Tunnel tunnel = topology.startTunnel(name, bridges, clientArgs(redundancy));
        ChildProcess blackholed = tunnel.processes().get(0);
        blackholed.watch(LOSS_NOW);
        Duration window = Duration.ofSeconds(Math.max(8, options.lossy().toSeconds()));
        BitSet seen;
        int count;
        LoadGenerator gen = AdaptiveRun.warmedUp(options, name, tunnel);
        try {
            StepResult r = gen.run(options.lossyRate(), options.warmUp(), window, null);
            seen = gen.lastSeen();
            count = r.sent();
        } finally {
            gen.close();
        }
        List<ChildProcess.TimedLine> change = blackholed.watchedLines();
        topology.stop(tunnel.processes());
        if (change.isEmpty()) {
            return "Blackholed path (" + redundancy + "): the change did not happen within the run.\n";
        }
        long event = change.get(0).nanos();
        int[] lostSent = new int[4];
        int longest = 0;
        int run = 0;
        for (int i = 0; i < count; i++) {
            long due = gen.lastDueNanos(i);
            boolean lost = !seen.get(i);
            run = lost ? run + 1 : 0;
            longest = Math.max(longest, run);
            int k = due < event - 2_000_000_000L || due >= event + 1_000_000_000L ? -1 : due < event ? 0 : 2;
            if (k >= 0) {
                lostSent[k] += lost ? 1 : 0;
                lostSent[k + 1]++;
            }
        }
        double before = (double) lostSent[0] / Math.max(1, lostSent[1]);
        double after = (double) lostSent[2] / Math.max(1, lostSent[3]);
        log.printf(Locale.ROOT, "blackhole %-8s before %.3f %%, second after %.3f %%, longest run lost %d%n", redundancy,
                100 * before, 100 * after, longest);
        return String.format(Locale.ROOT, "- one of three clean paths blackholed both ways mid-run, %s: round-trip loss "
                        + "%s over the 2 s before, **%s over the second after**, longest run of datagrams lost in a "
                        + "row %d%n", redundancy, Report.percent(before), Report.percent(after), longest);
    }

    private static String paths(List<Path> paths) {
        StringBuilder b = new StringBuilder();
        for (Path p : paths) {
            b.append(b.length() == 0 ? "" : ", ").append(p.label());
        }
        return b.toString();
    }
}
