package org.mptunnel.benchmarks.harness;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Adaptive redundancy end to end ({@code Harness --adaptive}): for each scenario, three bridges
 * with their own loss, an mpclient with {@code --redundancy} and 10 ms keepalives, echoes at a
 * fixed rate through the same mpserver and echo target. Loss is round trip: the client's datagrams
 * go out on the paths adaptive redundancy chooses, the replies on every path (the server does not
 * adapt). Copies per datagram and the client's measured loss come from the mpclient's statistics
 * lines, printed every 20 ms. The last scenario turns a clean path lossy mid-run and records the
 * loss and copies per 100 ms around the change.
 */
final class AdaptiveRun {

    private static final Duration READY_TIMEOUT = Duration.ofSeconds(20);
    private static final String CLIENT_STATS = "mpclient stats: ";
    private static final String LOSS_NOW = "mpbridge: loss now";
    private static final Pattern COUNTS = Pattern.compile(
            "datagrams-sent (\\d+) copies-sent (\\d+) copies/datagram \\S+(?: loss estimated (\\S+) measured (\\S+))?");
    private static final long BUCKET_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    /** The turning-lossy run's plot: this long before the change, and one second after. */
    private static final long BEFORE_NANOS = TimeUnit.SECONDS.toNanos(2);
    private static final long AFTER_NANOS = TimeUnit.SECONDS.toNanos(1);

    /**
     * @param upTheory the one-way loss client to server that the redundancy should give, for the
     *                 theory column (the replies always go on every path)
     */
    private record Scenario(String name, double[] losses, String redundancy, double upTheory, String why) {
    }

    private final HarnessOptions options;
    private final PrintStream log;
    private final Topology topology;

    private AdaptiveRun(HarnessOptions options, PrintStream log, Topology topology) {
        this.options = options;
        this.log = log;
        this.topology = topology;
    }

    /** Runs every scenario; writes adaptive.md, the turning-lossy CSV and SVG; returns the Markdown. */
    static String run(HarnessOptions options, PrintStream log) throws IOException, InterruptedException {
        StringBuilder md = new StringBuilder();
        try (Topology topology = new Topology(options)) {
            topology.startServerSide();
            AdaptiveRun run = new AdaptiveRun(options, log, topology);
            md.append(String.format(Locale.ROOT, "Adaptive redundancy end to end: %,d datagrams/s of %d bytes for %.0f s "
                            + "per scenario, round trip through mpclient (keepalive 10 ms), 3 mpbridges, mpserver, "
                            + "echo. Theory: 1 - (1 - up)(1 - down), down = the product of all three paths' losses.%n%n",
                    options.lossyRate(), options.size(), options.lossy().toMillis() / 1e3));
            md.append("| paths (loss each way) | redundancy | round-trip loss | theory | copies per datagram | "
                    + "client's measured loss | why |\n|---|---|---:|---:|---:|---:|---|\n");
            double[] mixed = {0.01, 0.20, 0.30};
            double[] even = {0.20, 0.20, 0.20};
            for (Scenario s : List.of(
                    new Scenario("all-1-20-30", mixed, "all", 0.01 * 0.2 * 0.3, "every path"),
                    new Scenario("adaptive-1-20-30", mixed, "adaptive", 0.01 * 0.2 * 0.3,
                            "only all three meet 0.1 %"),
                    new Scenario("adaptive3-1-20-30", mixed, "adaptive:0.03", 0.01, "the 1 % path alone meets 3 %"),
                    new Scenario("adaptive-3x20", even, "adaptive", 0.2 * 0.2 * 0.2, "none is healthy: all three"))) {
                md.append(run.steady(s));
            }
            md.append('\n').append(run.turningLossy());
        }
        Files.writeString(options.out().resolve("adaptive.md"), md, StandardCharsets.UTF_8);
        return md.toString();
    }

    private static List<List<String>> bridgeArgs(double[] losses, long seed) {
        List<List<String>> args = new ArrayList<>();
        for (int i = 0; i < losses.length; i++) {
            args.add(List.of("--loss", Double.toString(losses[i]), "--seed", Long.toString(seed + i)));
        }
        return args;
    }

    private static List<String> clientArgs(String redundancy) {
        return List.of("--keepalive", "10ms", "--dead-timeout", "500ms", "--redundancy", redundancy,
                "--stats-interval", "0.02");
    }

    /** One steady scenario: a table row. */
    private String steady(Scenario s) throws IOException, InterruptedException {
        Topology.Tunnel tunnel = topology.startTunnel(s.name(), bridgeArgs(s.losses(), options.seed()),
                clientArgs(s.redundancy()));
        ChildProcess client = tunnel.processes().get(tunnel.processes().size() - 1);
        client.watch(CLIENT_STATS);
        long[] window = new long[2];
        StepResult r;
        try (LoadGenerator gen = warmedUp(options, s.name(), tunnel)) {
            r = gen.run(options.lossyRate(), options.warmUp(), options.lossy(), windowTimes(window));
        }
        Thread.sleep(200); // the statistics line after the window's end
        List<ChildProcess.TimedLine> lines = client.watchedLines();
        topology.stop(tunnel.processes());
        double copies = copiesBetween(lines, window[0], window[1]);
        ChildProcess.TimedLine last = lastAtOrBefore(lines, window[1]);
        String measured = last == null ? "-" : group(last.line(), 4);
        double down = s.losses()[0] * s.losses()[1] * s.losses()[2];
        double theory = 1 - (1 - s.upTheory()) * (1 - down);
        log.printf(Locale.ROOT, "%-18s %-14s loss %.3f %% (theory %.3f %%), %.2f copies per datagram, measured %s%n",
                s.name(), s.redundancy(), 100 * r.loss(), 100 * theory, copies, measured);
        return String.format(Locale.ROOT, "| %s | %s | %s | %s | %.2f | %s | %s |%n", percents(s.losses()),
                s.redundancy(), Report.percent(r.loss()), Report.percent(theory), copies, measured, s.why());
    }

    /**
     * Paths losing 0, 5 and 10 %, adaptive at 0.1 %: the clean one carries every datagram alone
     * until its bridge turns to 50 % loss each way, a few seconds into the measured window.
     */
    private String turningLossy() throws IOException, InterruptedException {
        double[] losses = {0, 0.05, 0.10};
        List<List<String>> bridges = bridgeArgs(losses, options.seed());
        // The change lands a few seconds into the measured window: after the start (about 2 s),
        // the warm-ups, and 4 s of the window.
        double changeAfter = 2 + options.jitWarmUp().toMillis() / 1e3 + options.warmUp().toMillis() / 1e3 + 4;
        bridges.set(0, List.of("--loss-after", String.format(Locale.ROOT, "%.1fs:0.5", changeAfter),
                "--seed", Long.toString(options.seed())));
        Topology.Tunnel tunnel = topology.startTunnel("turning-lossy", bridges, clientArgs("adaptive"));
        ChildProcess cleanBridge = tunnel.processes().get(0);
        ChildProcess client = tunnel.processes().get(tunnel.processes().size() - 1);
        cleanBridge.watch(LOSS_NOW);
        client.watch(CLIENT_STATS);
        Duration window = Duration.ofSeconds(Math.max(8, options.lossy().toSeconds()));
        long[] times = new long[2];
        BitSet seen;
        int count;
        LoadGenerator gen = warmedUp(options, "turning-lossy", tunnel);
        try {
            StepResult r = gen.run(options.lossyRate(), options.warmUp(), window, windowTimes(times));
            seen = gen.lastSeen();
            count = r.sent();
        } finally {
            gen.close();
        }
        Thread.sleep(200);
        List<ChildProcess.TimedLine> lines = client.watchedLines();
        List<ChildProcess.TimedLine> change = cleanBridge.watchedLines();
        topology.stop(tunnel.processes());
        if (change.isEmpty() || change.get(0).nanos() < times[0] + BEFORE_NANOS
                || change.get(0).nanos() > times[1] - AFTER_NANOS) {
            return "Turning lossy: the change did not land inside the measured window with 2 s before and 1 s "
                    + "after it; run again with a longer --lossy-seconds.\n";
        }
        long event = change.get(0).nanos();

        StringBuilder csv = new StringBuilder("t_ms,loss,copies_per_datagram,estimated_loss,measured_loss\n");
        List<TimelinePlot.Bucket> buckets = new ArrayList<>();
        int[] lostBeforeAfter = new int[4]; // lost before, sent before, lost after, sent after
        long from = event - BEFORE_NANOS;
        for (long start = from; start < event + AFTER_NANOS; start += BUCKET_NANOS) {
            int sent = 0;
            int lost = 0;
            for (int i = 0; i < count; i++) {
                long due = gen.lastDueNanos(i);
                if (due >= start && due < start + BUCKET_NANOS) {
                    sent++;
                    if (!seen.get(i)) {
                        lost++;
                    }
                }
            }
            int k = start < event ? 0 : 2;
            lostBeforeAfter[k] += lost;
            lostBeforeAfter[k + 1] += sent;
            double loss = sent == 0 ? 0 : (double) lost / sent;
            double copies = copiesBetween(lines, start, start + BUCKET_NANOS);
            if (Double.isNaN(copies)) { // no statistics line in the bucket (a late one): as before
                copies = buckets.isEmpty() ? Double.NaN : buckets.get(buckets.size() - 1).copies();
            }
            ChildProcess.TimedLine at = lastAtOrBefore(lines, start + BUCKET_NANOS);
            double measured = at == null ? -1 : fraction(group(at.line(), 4));
            double estimated = at == null ? -1 : fraction(group(at.line(), 3));
            double t = (start - from) / 1e6;
            buckets.add(new TimelinePlot.Bucket(t, loss, copies, measured));
            csv.append(String.format(Locale.ROOT, "%.0f,%.4f,%.3f,%.5f,%.5f%n", t, loss, copies, estimated, measured));
        }
        Files.writeString(options.out().resolve("adaptive-turning-lossy.csv"), csv, StandardCharsets.UTF_8);
        Files.writeString(options.out().resolve("adaptive-turning-lossy.svg"), TimelinePlot.svg(buckets,
                "Adaptive redundancy end to end: a clean path turns lossy (round trip)", BEFORE_NANOS / 1e6),
                StandardCharsets.UTF_8);
        double before = (double) lostBeforeAfter[0] / Math.max(1, lostBeforeAfter[1]);
        double after = (double) lostBeforeAfter[2] / Math.max(1, lostBeforeAfter[3]);
        double copiesBefore = copiesBetween(lines, from, event);
        double copiesAfter = copiesBetween(lines, event, event + AFTER_NANOS);
        log.printf(Locale.ROOT, "turning lossy: 2 s before %.3f %% lost, %.2f copies; 1 s after %.3f %% lost, %.2f copies%n",
                100 * before, copiesBefore, 100 * after, copiesAfter);
        return String.format(Locale.ROOT, "Turning lossy (paths 0/5/10 %%, the clean one turning to 50 %% each way, "
                        + "adaptive 0.1 %%): round-trip loss %s over the 2 s before the change with %.2f copies per "
                        + "datagram, **%s over the second after it** with %.2f (theory afterwards, all three paths: "
                        + "%s). Per 100 ms: adaptive-turning-lossy.csv and .svg.%n",
                Report.percent(before), copiesBefore, Report.percent(after), copiesAfter,
                Report.percent(1 - Math.pow(1 - 0.5 * 0.05 * 0.10, 2)));
    }

    /** @return a load generator at the tunnel's client that has had an echo and {@code --jit-warmup-seconds} of load */
    static LoadGenerator warmedUp(HarnessOptions options, String name, Topology.Tunnel tunnel)
            throws IOException, InterruptedException {
        LoadGenerator gen = LoadGenerator.open(name, new InetSocketAddress(Topology.LOOPBACK, tunnel.clientPort()),
                options.size());
        try {
            gen.awaitEcho(READY_TIMEOUT);
            if (!options.jitWarmUp().isZero()) {
                // compiled code, and estimates past their warm-up (32 probes, 80 ms) and settled
                gen.run(options.lossyRate(), Duration.ZERO, options.jitWarmUp(), null);
            }
            return gen;
        } catch (IOException | InterruptedException | RuntimeException e) {
            gen.close();
            throw e;
        }
    }

    private static LoadGenerator.WindowListener windowTimes(long[] times) {
        return new LoadGenerator.WindowListener() {
            @Override
            public void measureStarted() {
                times[0] = System.nanoTime();
            }

            @Override
            public void measureEnded() {
                times[1] = System.nanoTime();
            }
        };
    }

    /** @return copies per datagram sent between the statistics lines nearest to {@code from} and {@code to} */
    private static double copiesBetween(List<ChildProcess.TimedLine> lines, long from, long to) {
        ChildProcess.TimedLine a = lastAtOrBefore(lines, from);
        ChildProcess.TimedLine b = lastAtOrBefore(lines, to);
        if (a == null || b == null || a == b) {
            return Double.NaN;
        }
        Matcher ma = COUNTS.matcher(a.line());
        Matcher mb = COUNTS.matcher(b.line());
        if (!ma.find() || !mb.find()) {
            return Double.NaN;
        }
        long datagrams = Long.parseLong(mb.group(1)) - Long.parseLong(ma.group(1));
        long copies = Long.parseLong(mb.group(2)) - Long.parseLong(ma.group(2));
        return datagrams <= 0 ? Double.NaN : (double) copies / datagrams;
    }

    private static ChildProcess.TimedLine lastAtOrBefore(List<ChildProcess.TimedLine> lines, long nanos) {
        ChildProcess.TimedLine found = null;
        for (ChildProcess.TimedLine l : lines) {
            if (l.nanos() - nanos <= 0) {
                found = l;
            }
        }
        return found;
    }

    /** @return a group of {@link #COUNTS} in the line, or "-" */
    private static String group(String line, int group) {
        Matcher m = COUNTS.matcher(line);
        return m.find() && m.group(group) != null ? m.group(group) : "-";
    }

    /** @return "0.123%" as 0.00123, or -1 for "-" */
    private static double fraction(String percent) {
        return percent.endsWith("%") ? Double.parseDouble(percent.substring(0, percent.length() - 1)) / 100 : -1;
    }

    private static String percents(double[] losses) {
        StringBuilder b = new StringBuilder();
        for (double l : losses) {
            b.append(b.length() == 0 ? "" : ", ").append(Report.number(100 * l, 0)).append(" %");
        }
        return b.toString();
    }
}
