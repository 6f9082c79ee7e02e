package org.mptunnel.benchmarks.harness;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The end-to-end benchmark: load generator (this process) → mpclient → bridges → mpserver → echo
 * target, and back, every box its own JVM on 127.0.0.1; and, in the same run, the bare path: load
 * generator → one bridge → echo target. Finds the highest echo rate each path sustains with little
 * loss, the round-trip latency at a fixed rate, and the loss through lossy bridges against the
 * independent-loss theory. See {@code benchmarks/HARNESS.md}.
 */
public final class Harness {

    private static final Duration READY_TIMEOUT = Duration.ofSeconds(20);
    /** Lets queues empty between steps, so that one step's backlog does not count against the next. */
    private static final long SETTLE_MILLIS = 300;
    /** The self-check's bound on the tunnel's loss at its lowest rate: far above a working tunnel's. */
    private static final double QUICK_MAX_LOSS = 0.05;
    /** Bisected rates are rounded to this many datagrams per second. */
    static final int REFINE_GRAIN = 100;

    private final HarnessOptions options;
    private final PrintStream log;

    private Harness(HarnessOptions options, PrintStream log) {
        this.options = options;
        this.log = log;
    }

    /**
     * Runs the harness; prints progress on stderr and the Markdown report on stdout.
     *
     * @param args see {@link HarnessOptions#USAGE}
     */
    public static void main(String[] args) {
        HarnessOptions options;
        try {
            options = HarnessOptions.parse(args);
        } catch (HarnessOptions.UsageException e) {
            System.err.println("error: " + e.getMessage());
            System.err.println(HarnessOptions.USAGE);
            System.exit(2);
            return;
        }
        if (options == null) {
            System.out.println(HarnessOptions.USAGE);
            return;
        }
        try {
            if (options.adaptive()) {
                Files.createDirectories(options.out());
                System.out.println(AdaptiveRun.run(options, System.err));
                return;
            }
            if (options.fecReplot() != null) {
                FecRun.replot(options.fecReplot());
                return;
            }
            if (options.fecLatency()) {
                Files.createDirectories(options.out());
                System.out.println(FecLatencyRun.run(options, System.err));
                return;
            }
            if (options.fec()) {
                Files.createDirectories(options.out());
                System.out.println(FecRun.run(options, System.err));
                return;
            }
            Report report = run(options, System.err);
            System.out.println(report.markdown());
            System.out.flush();
            System.err.println("wrote " + options.out().resolve("steps.csv") + ", processes.csv, summary.csv, "
                    + "loss-vs-rate.svg and logs/");
            if (options.quick()) {
                String problem = report.selfCheckProblem(QUICK_MAX_LOSS);
                if (problem != null) {
                    System.err.println("self-check failed: " + problem);
                    System.exit(1);
                }
                System.err.println("self-check passed");
            }
        } catch (IOException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(1);
        } catch (InterruptedException e) {
            System.err.println("interrupted");
            System.exit(1);
        }
    }

    /**
     * Builds the topology, measures, stops every process and writes the files.
     *
     * @param log where progress goes
     * @return the report, also written under {@code options.out()}
     */
    static Report run(HarnessOptions options, PrintStream log) throws IOException, InterruptedException {
        Files.createDirectories(options.out());
        return new Harness(options, log).measure();
    }

    private Report measure() throws IOException, InterruptedException {
        long started = System.nanoTime();
        Report report = new Report(options);
        try (Topology topology = new Topology(options)) {
            log.println("starting echo target, mpserver, " + options.paths() + " bridges, mpclient and the bare bridge"
                    + " (logs in " + options.out().resolve("logs") + ")");
            topology.startServerSide();
            ChildProcess bareBridge = topology.startBareBridge();
            Topology.Tunnel tunnel = topology.startTunnel("tunnel", options.paths(), 0, 0);
            int barePort = bareBridge.awaitListeningPort(READY_TIMEOUT);
            log.println("up: " + topology + ", mpclient :" + tunnel.clientPort() + ", bare bridge :" + barePort);

            List<ChildProcess> tunnelProcesses = new ArrayList<>(List.of(topology.echo(), topology.server()));
            tunnelProcesses.addAll(tunnel.processes());
            List<ChildProcess> bareProcesses = List.of(topology.echo(), bareBridge);

            try (LoadGenerator tunnelGen = LoadGenerator.open("tunnel", loopback(tunnel.clientPort()), options.size());
                 LoadGenerator bareGen = LoadGenerator.open("bare", loopback(barePort), options.size())) {
                tunnelGen.awaitEcho(READY_TIMEOUT);
                bareGen.awaitEcho(READY_TIMEOUT);

                // Every JVM compiles its hot paths first: a deployment runs warm, and the first
                // seconds of interpreted code would otherwise land in the latency figures.
                if (!options.jitWarmUp().isZero()) {
                    log.println("warming up both paths for " + options.jitWarmUp().toSeconds() + " s each (not measured)");
                    tunnelGen.run(options.latencyRate(), Duration.ZERO, options.jitWarmUp(), null);
                    bareGen.run(options.latencyRate(), Duration.ZERO, options.jitWarmUp(), null);
                }
                // Latency next, while nothing has been pushed to saturation yet.
                report.latency("tunnel", step("latency", "tunnel", tunnelGen, tunnelProcesses,
                        options.latencyRate(), options.latency()));
                report.latency("bare", step("latency", "bare", bareGen, bareProcesses,
                        options.latencyRate(), options.latency()));
                report.sweep("tunnel", sweep("tunnel", tunnelGen, tunnelProcesses));
                report.sweep("bare", sweep("bare", bareGen, bareProcesses));
            }
            topology.stop(tunnel.processes()); // the lossy tunnel takes the CPU next

            if (!options.lossy().isZero()) {
                Topology.Tunnel lossy = topology.startTunnel("lossy", options.paths(), options.lossyP(), options.seed());
                List<ChildProcess> lossyProcesses = new ArrayList<>(List.of(topology.echo(), topology.server()));
                lossyProcesses.addAll(lossy.processes());
                try (LoadGenerator lossyGen = LoadGenerator.open("lossy", loopback(lossy.clientPort()), options.size())) {
                    lossyGen.awaitEcho(READY_TIMEOUT);
                    if (!options.jitWarmUp().isZero()) {
                        // new JVMs: warm them too, or their first seconds' stalls count as loss
                        lossyGen.run(options.lossyRate(), Duration.ZERO, options.jitWarmUp(), null);
                    }
                    report.lossy(step("lossy", "lossy-tunnel", lossyGen, lossyProcesses,
                            options.lossyRate(), options.lossy()));
                }
            }
        }
        report.write();
        log.printf(Locale.ROOT, "done in %.0f s%n", (System.nanoTime() - started) / 1e9);
        return report;
    }

    /**
     * Steps the offered rate up until {@code maxFailures} rates have failed, then bisects between
     * the best pass and the failure just above it, until they are within the refine precision of
     * each other or the refine steps are spent: the coarse steps alone (40,000 then 50,000) would
     * leave the figure, and a ratio of two such figures, uncertain by a quarter. A failed rate is
     * tried again (up to {@code retries} times) before it counts: on a shared machine one stall of
     * a neighbour's can lose a few hundred datagrams, and that says nothing about the tunnel.
     */
    private List<Measured> sweep(String path, LoadGenerator generator, List<ChildProcess> processes)
            throws IOException, InterruptedException {
        List<Measured> steps = new ArrayList<>();
        int failures = 0;
        int bestPass = 0;
        int firstFailAbove = Integer.MAX_VALUE;
        for (int rate : options.rates()) {
            if (attempts(path, generator, processes, rate, steps)) {
                bestPass = Math.max(bestPass, rate);
            } else {
                failures++;
                if (rate > bestPass) {
                    firstFailAbove = Math.min(firstFailAbove, rate);
                }
            }
            if (failures >= options.maxFailures()) {
                break;
            }
        }
        if (firstFailAbove < bestPass) {
            firstFailAbove = Integer.MAX_VALUE; // a failure below a later pass: nothing to bisect there
            for (Measured m : steps) {
                if (m.result().offeredRate() > bestPass) {
                    firstFailAbove = Math.min(firstFailAbove, m.result().offeredRate());
                }
            }
        }
        for (int i = 0; i < options.refine(); i++) {
            int mid = bisect(bestPass, firstFailAbove, options.refinePrecision());
            if (mid == 0) {
                break;
            }
            if (attempts(path, generator, processes, mid, steps)) {
                bestPass = mid;
            } else {
                firstFailAbove = mid;
            }
        }
        return steps;
    }

    /**
     * The next rate to try between the best pass and the failure above it, rounded to
     * {@link #REFINE_GRAIN}; 0 when there is nothing to bisect, or the gap is already within
     * {@code precision} × the best pass (the figure is then known that closely).
     */
    static int bisect(int bestPass, int firstFailAbove, double precision) {
        if (bestPass <= 0 || firstFailAbove == Integer.MAX_VALUE
                || firstFailAbove - bestPass <= precision * bestPass) {
            return 0;
        }
        int mid = (int) (Math.round((bestPass + (long) firstFailAbove) / 2.0 / REFINE_GRAIN) * REFINE_GRAIN);
        return mid > bestPass && mid < firstFailAbove ? mid : 0;
    }

    /** Runs a sweep step, again if it fails, adding every attempt to {@code steps}; true if one passed. */
    private boolean attempts(String path, LoadGenerator generator, List<ChildProcess> processes, int rate,
                             List<Measured> steps) throws IOException, InterruptedException {
        for (int attempt = 1; attempt <= 1 + options.retries(); attempt++) {
            Measured m = step("sweep", path, generator, processes, rate, options.step(), attempt);
            steps.add(m);
            if (m.passed()) {
                return true;
            }
        }
        return false;
    }

    private Measured step(String phase, String path, LoadGenerator generator, List<ChildProcess> processes,
                          int rate, Duration window) throws IOException, InterruptedException {
        return step(phase, path, generator, processes, rate, window, 1);
    }

    private Measured step(String phase, String path, LoadGenerator generator, List<ChildProcess> processes,
                          int rate, Duration window, int attempt) throws IOException, InterruptedException {
        for (ChildProcess p : processes) {
            if (!p.isAlive()) {
                throw new IOException(p.name() + " has ended; see its log in " + options.out().resolve("logs"));
            }
        }
        Map<String, ProcessHandle> metered = new LinkedHashMap<>();
        metered.put("harness", ProcessHandle.current());
        for (ChildProcess p : processes) {
            metered.put(p.name(), p.handle());
        }
        UsageMeter meter = new UsageMeter(metered);
        StepResult r = generator.run(rate, options.warmUp(), window, meter);
        Measured m = new Measured(phase, path, r, meter.usage(), r.loss() <= options.maxLoss(), attempt,
                meter.machineCores(), meter.softirqCores());
        log.printf(Locale.ROOT, "%-7s %-12s offered %,7d/s sent %,9.0f/s echoed %,9.0f/s loss %6.2f %% "
                        + "p50 %,8.0f µs p99 %,8.0f µs cpu %.2f cores (softirq %.2f, others %.2f)%s%n",
                phase, path, rate, r.sentRate(), r.echoRate(), 100 * r.loss(), r.rttMicros(50), r.rttMicros(99),
                m.totalCores(), m.softirqCores(), m.otherCores(), (r.generatorKeptUp() ? "" : "  (generator fell behind)") + (attempt > 1 ? "  (again)" : ""));
        Thread.sleep(SETTLE_MILLIS);
        return m;
    }

    private static InetSocketAddress loopback(int port) {
        return new InetSocketAddress(Topology.LOOPBACK, port);
    }

    /** Reads each process's usage when the measured window starts and ends. */
    private static final class UsageMeter implements LoadGenerator.WindowListener {
        private final Map<String, ProcessHandle> processes;
        private final Map<String, ProcessMeter.Reading> before = new LinkedHashMap<>();
        private final Map<String, Measured.Usage> usage = new LinkedHashMap<>();
        private long startNanos;
        private ProcessMeter.Machine machineBefore;
        private double machineCores = Double.NaN;
        private double softirqCores = Double.NaN;

        UsageMeter(Map<String, ProcessHandle> processes) {
            this.processes = processes;
        }

        @Override
        public synchronized void measureStarted() {
            startNanos = System.nanoTime();
            machineBefore = ProcessMeter.readMachine();
            processes.forEach((name, handle) -> before.put(name, ProcessMeter.read(handle)));
        }

        @Override
        public synchronized void measureEnded() {
            double seconds = (System.nanoTime() - startNanos) / 1e9;
            ProcessMeter.Machine machineAfter = ProcessMeter.readMachine();
            if (machineBefore.busyNanos() >= 0 && machineAfter.busyNanos() >= 0) {
                machineCores = (machineAfter.busyNanos() - machineBefore.busyNanos()) / 1e9 / seconds;
                softirqCores = (machineAfter.softirqNanos() - machineBefore.softirqNanos()) / 1e9 / seconds;
            }
            processes.forEach((name, handle) -> {
                ProcessMeter.Reading a = before.get(name);
                ProcessMeter.Reading b = ProcessMeter.read(handle);
                double cores = a.cpuNanos() < 0 || b.cpuNanos() < 0 ? Double.NaN : (b.cpuNanos() - a.cpuNanos()) / 1e9 / seconds;
                double voluntary = a.voluntarySwitches() < 0 || b.voluntarySwitches() < 0 ? Double.NaN
                        : (b.voluntarySwitches() - a.voluntarySwitches()) / seconds;
                double forced = a.forcedSwitches() < 0 || b.forcedSwitches() < 0 ? Double.NaN
                        : (b.forcedSwitches() - a.forcedSwitches()) / seconds;
                usage.put(name, new Measured.Usage(cores, voluntary, forced));
            });
        }

        synchronized double machineCores() {
            return machineCores;
        }

        synchronized double softirqCores() {
            return softirqCores;
        }

        synchronized Map<String, Measured.Usage> usage() {
            return new LinkedHashMap<>(usage);
        }
    }
}
