package org.mptunnel.benchmarks.harness;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * The harness's options; {@link #USAGE} lists them. {@code --quick} sets short, low-rate defaults
 * that the options after it may still override.
 *
 * @param jar            mptunnel.jar, whose tools are started
 * @param bridgeJar      the mptunnel.jar whose mpbridge is started (the same as {@code jar} unless named):
 *                       two versions' engines are compared over the same bridges
 * @param out            where the CSV files, the SVG plot and the processes' logs go
 * @param size           datagram size in bytes
 * @param rates          the offered rates stepped through, ascending
 * @param jitWarmUp      sent on each path before anything is measured, so that every JVM runs compiled code
 * @param warmUp         sent at each step's rate before its measured window
 * @param step           each step's measured window
 * @param maxLoss        a step passes with at most this round-trip loss
 * @param maxFailures    stepping stops after this many failed steps
 * @param retries        times a failed sweep step is run again before it counts as failed
 * @param refine         at most this many steps spent halving the gap between the best pass and the first failure
 * @param refinePrecision bisecting stops once that gap is at most this share of the best pass
 * @param latencyRate    the fixed rate of the latency runs
 * @param latency        the latency runs' measured window
 * @param lossyRate      the rate of the lossy run
 * @param lossy          the lossy run's measured window
 * @param lossyP         each lossy bridge's loss probability, each way
 * @param seed           the first lossy bridge's seed
 * @param paths          bridges in the tunnel
 * @param jvmOptions     options of every process's JVM
 * @param quick          the short self-check: also fails the run if the tunnel does not work
 * @param adaptive       run adaptive redundancy's scenarios instead (see {@link AdaptiveRun})
 * @param fec            run forward error correction's scenarios instead (see {@link FecRun})
 * @param repeat         runs of each FEC scenario, each with its own seeds
 * @param fecReplot      a directory whose fec.csv is plotted again (nothing is run), or null
 * @param fecOnly        with {@code fec} or {@code fecLatency}: the --redundancy values (prefixes) whose rows are run; empty: all
 * @param fecLatency     run the latency of rebuilt datagrams instead (see {@link FecLatencyRun})
 * @param bridgeDelay    with {@code fecLatency}: each bridge's delay, each way
 */
record HarnessOptions(Path jar, Path bridgeJar, Path out, int size, List<Integer> rates, Duration jitWarmUp, Duration warmUp, Duration step,
                      double maxLoss, int maxFailures, int retries, int refine, double refinePrecision, int latencyRate, Duration latency,
                      int lossyRate, Duration lossy, double lossyP, long seed, int paths, String jvmOptions,
                      boolean quick, boolean adaptive, boolean fec, int repeat, Path fecReplot,
                      List<String> fecOnly, boolean fecLatency, Duration bridgeDelay) {

    static final String USAGE = String.join("\n",
            "usage: java -cp benchmarks/target/benchmarks.jar org.mptunnel.benchmarks.harness.Harness [OPTIONS]",
            "",
            "Starts echo target, mpserver, bridges and mpclient as separate JVMs on 127.0.0.1 and measures",
            "round trips through the tunnel and through one bare bridge. Prints a Markdown table; writes",
            "steps.csv, processes.csv, summary.csv, loss-vs-rate.svg and logs/ under --out.",
            "",
            "  --jar PATH            mptunnel.jar (default: mptunnel-examples/target/mptunnel.jar in the repo)",
            "  --bridge-jar PATH     the mptunnel.jar whose mpbridge runs every bridge (default: --jar's)",
            "  --out DIR             output directory (default: benchmarks/target/harness in the repo)",
            "  --size BYTES          datagram size (default: 1000)",
            "  --rates R1,R2,...     offered rates to step through, datagrams/s",
            "                        (default: 2000,5000,10000,15000,20000,25000,30000,40000,50000,60000,80000,100000,120000,150000,200000)",
            "  --max-rate R          drop the rates above R",
            "  --step-seconds S      measured window of each step (default: 3)",
            "  --warmup-seconds S    sent before each measured window, not counted (default: 1)",
            "  --jit-warmup-seconds S  sent on each path at the latency rate before anything is measured (default: 5)",
            "  --max-loss P          a step passes with round-trip loss <= P (default: 0.005)",
            "  --max-failures N      stop stepping after N failed rates (default: 2)",
            "  --retries N           run a failed step again up to N times before the rate counts as failed (default: 1)",
            "  --refine N            at most N extra steps bisecting between the best pass and the first failure",
            "                        above it (default: 5)",
            "  --refine-precision P  stop bisecting once that gap is at most P x the best pass (default: 0.02)",
            "  --latency-rate R      rate of the latency runs (default: 5000)",
            "  --latency-seconds S   measured window of the latency runs (default: 10)",
            "  --lossy-rate R        rate of the lossy run (default: 5000)",
            "  --lossy-seconds S     measured window of the lossy run (default: 10; 0 skips it)",
            "  --lossy-p P           each lossy bridge's loss, each way (default: 0.2)",
            "  --seed N              first lossy bridge's seed (default: 1)",
            "  --paths N             bridges in the tunnel (default: 3)",
            "  --jvm-opts 'OPTS'     JVM options of every process (default: '" + defaultJvmOptions() + "')",
            "  --quick               a self-check of ~20 s: rates 2000,5000, 1 s steps, short latency and lossy runs;",
            "                        exits with 1 if the tunnel or the bare path lost more than 5 % at 2000/s",
            "  --adaptive            instead of the above: adaptive redundancy's scenarios (paths losing 1/20/30 %,",
            "                        3 x 20 %, a clean path turning lossy) at --lossy-rate for --lossy-seconds each;",
            "                        writes adaptive.md, adaptive-turning-lossy.csv and .svg",
            "  --fec                 instead of the above: FEC's scenarios (1/20/30 %, 3 x 20 %, 2 x 10 %, bursty 5 %:10,",
            "                        clean, one of 3 paths blackholed) against duplication and adaptive, at --lossy-rate",
            "                        for --lossy-seconds each; writes fec.md, fec.csv and fec-overhead.svg",
            "  --repeat N            with --fec: run each scenario N times, seeds --seed, --seed + 100, ... (default: 1)",
            "  --fec-only LIST       with --fec or --fec-latency: only the rows whose redundancy starts with one of LIST",
            "                        (comma-separated, e.g. fec-adaptive,all); default: every row",
            "  --fec-replot DIR      draw DIR/fec-overhead.svg again from DIR/fec.csv; runs nothing",
            "  --fec-latency         instead of the above: one-way latency of the datagrams FEC rebuilt against those",
            "                        carried (clean paths and 1/20/30 %; all, fec:8:4, fec-adaptive:0.1%), at",
            "                        --lossy-rate for --lossy-seconds each; writes fec-latency.md and fec-latency.csv",
            "  --bridge-delay MS     with --fec-latency: every bridge's delay, each way (default: 10)",
            "  -h, --help            this text");

    private static final List<Integer> DEFAULT_RATES = List.of(2_000, 5_000, 10_000, 15_000, 20_000, 25_000, 30_000,
            40_000, 50_000, 60_000, 80_000, 100_000, 120_000, 150_000, 200_000);

    private static final Set<String> VALUED = Set.of("--jar", "--bridge-jar", "--out", "--size", "--rates", "--max-rate",
            "--step-seconds", "--warmup-seconds", "--jit-warmup-seconds", "--max-loss", "--max-failures", "--retries",
            "--refine", "--refine-precision", "--latency-rate", "--latency-seconds", "--lossy-rate", "--lossy-seconds", "--lossy-p", "--seed",
            "--paths", "--jvm-opts", "--repeat", "--fec-replot", "--fec-only", "--bridge-delay");

    /** Thrown for a bad command line; its message says what is wrong. */
    static final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }

    static String defaultJvmOptions() {
        // Serial GC: the tools allocate next to nothing per datagram, and on two cores a concurrent
        // collector's threads would only compete with the tunnel's. A fixed small heap starts fast.
        return "-Xms64m -Xmx256m -XX:+UseSerialGC";
    }

    /**
     * Parses a command line.
     *
     * @return the options, or null if help was asked for
     * @throws UsageException for a bad option or value
     */
    static HarnessOptions parse(String... args) throws UsageException {
        Path root = repoRoot();
        Path jar = root.resolve("mptunnel-examples/target/mptunnel.jar");
        Path bridgeJar = null;
        Path out = root.resolve("benchmarks/target/harness");
        int size = 1000;
        List<Integer> rates = DEFAULT_RATES;
        int maxRate = Integer.MAX_VALUE;
        double warmUp = 1;
        double jitWarmUp = 5;
        double step = 3;
        double maxLoss = 0.005;
        int maxFailures = 2;
        int retries = 1;
        int refine = 5;
        double refinePrecision = 0.02;
        int latencyRate = 5_000;
        double latency = 10;
        int lossyRate = 5_000;
        double lossy = 10;
        double lossyP = 0.2;
        long seed = 1;
        int paths = 3;
        String jvm = defaultJvmOptions();
        boolean quick = false;
        boolean adaptive = false;
        boolean fec = false;
        int repeat = 1;
        Path fecReplot = null;
        List<String> fecOnly = List.of();
        boolean fecLatency = false;
        double bridgeDelayMillis = 10;

        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("-h") || a.equals("--help")) {
                return null;
            }
            if (a.equals("--quick")) {
                quick = true;
                rates = List.of(2_000, 5_000);
                warmUp = 0.3;
                jitWarmUp = 1;
                step = 1;
                refine = 0;
                latency = 1;
                lossyRate = 2_000;
                lossy = 1;
                continue;
            }
            if (a.equals("--adaptive")) {
                adaptive = true;
                continue;
            }
            if (a.equals("--fec")) {
                fec = true;
                continue;
            }
            if (a.equals("--fec-latency")) {
                fecLatency = true;
                continue;
            }
            if (!VALUED.contains(a)) {
                throw new UsageException((a.startsWith("-") ? "unknown option: " : "unknown argument: ") + a);
            }
            if (i + 1 >= args.length) {
                throw new UsageException(a + " needs a value");
            }
            String v = args[++i];
            switch (a) {
                case "--jar" -> jar = Path.of(v);
                case "--bridge-jar" -> bridgeJar = Path.of(v);
                case "--out" -> out = Path.of(v);
                case "--size" -> size = intValue(a, v, LoadGenerator.HEADER, 65_000);
                case "--rates" -> rates = rateList(a, v);
                case "--max-rate" -> maxRate = intValue(a, v, 1, Integer.MAX_VALUE);
                case "--step-seconds" -> step = seconds(a, v, 0.1);
                case "--warmup-seconds" -> warmUp = seconds(a, v, 0);
                case "--jit-warmup-seconds" -> jitWarmUp = seconds(a, v, 0);
                case "--max-loss" -> maxLoss = probability(a, v);
                case "--max-failures" -> maxFailures = intValue(a, v, 1, 100);
                case "--refine" -> refine = intValue(a, v, 0, 20);
                case "--refine-precision" -> refinePrecision = probability(a, v);
                case "--retries" -> retries = intValue(a, v, 0, 5);
                case "--latency-rate" -> latencyRate = intValue(a, v, 1, 10_000_000);
                case "--latency-seconds" -> latency = seconds(a, v, 0.1);
                case "--lossy-rate" -> lossyRate = intValue(a, v, 1, 10_000_000);
                case "--lossy-seconds" -> lossy = seconds(a, v, 0);
                case "--lossy-p" -> lossyP = probability(a, v);
                case "--seed" -> seed = longValue(a, v);
                case "--paths" -> paths = intValue(a, v, 1, 16);
                case "--jvm-opts" -> jvm = v;
                case "--repeat" -> repeat = intValue(a, v, 1, 20);
                case "--fec-replot" -> fecReplot = Path.of(v);
                case "--fec-only" -> fecOnly = List.of(v.split(","));
                case "--bridge-delay" -> bridgeDelayMillis = milliseconds(a, v);
                default -> throw new UsageException("unknown option: " + a);
            }
        }
        int cap = maxRate;
        List<Integer> kept = rates.stream().filter(r -> r <= cap).toList();
        if (kept.isEmpty()) {
            throw new UsageException("no rate left at or below --max-rate " + maxRate);
        }
        if (!Files.isRegularFile(jar)) {
            throw new UsageException("no mptunnel.jar at " + jar
                    + ": build it with 'mvn -B -DskipTests package', or name it with --jar");
        }
        if (bridgeJar == null) {
            bridgeJar = jar;
        } else if (!Files.isRegularFile(bridgeJar)) {
            throw new UsageException("--bridge-jar: no file at " + bridgeJar);
        }
        return new HarnessOptions(jar.toAbsolutePath(), bridgeJar.toAbsolutePath(), out.toAbsolutePath(), size, kept, duration(jitWarmUp), duration(warmUp),
                duration(step), maxLoss, maxFailures, retries, refine, refinePrecision, latencyRate, duration(latency), lossyRate,
                duration(lossy), lossyP, seed, paths, jvm, quick, adaptive, fec, repeat, fecReplot, fecOnly, fecLatency,
                duration(bridgeDelayMillis / 1e3));
    }

    /** The repository's root: the first directory upwards from here that holds mptunnel-examples. */
    private static Path repoRoot() {
        Path here = Path.of("").toAbsolutePath();
        for (Path p = here; p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("mptunnel-examples")) && Files.isDirectory(p.resolve("benchmarks"))) {
                return p;
            }
        }
        return here;
    }

    private static Duration duration(double seconds) {
        return Duration.ofNanos(Math.round(seconds * 1e9));
    }

    private static List<Integer> rateList(String option, String value) throws UsageException {
        List<Integer> list = new ArrayList<>();
        for (String part : value.split(",")) {
            list.add(intValue(option, part.trim(), 1, 10_000_000));
        }
        return Arrays.stream(list.toArray(Integer[]::new)).sorted().distinct().toList();
    }

    private static int intValue(String option, String value, int min, int max) throws UsageException {
        try {
            int n = Integer.parseInt(value.replace("_", ""));
            if (n < min || n > max) {
                throw new UsageException(option + " must be between " + min + " and " + max + ", got " + value);
            }
            return n;
        } catch (NumberFormatException e) {
            throw new UsageException(option + " needs a whole number, got " + value);
        }
    }

    private static long longValue(String option, String value) throws UsageException {
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new UsageException(option + " needs a whole number, got " + value);
        }
    }

    private static double seconds(String option, String value, double min) throws UsageException {
        double s = number(option, value);
        if (!(s >= min && s <= 3_600)) {
            throw new UsageException(option + " must be between " + min + " and 3600 seconds, got " + value);
        }
        return s;
    }

    private static double milliseconds(String option, String value) throws UsageException {
        double ms = number(option, value);
        if (!(ms >= 0 && ms <= 10_000)) {
            throw new UsageException(option + " must be between 0 and 10000 milliseconds, got " + value);
        }
        return ms;
    }

    private static double probability(String option, String value) throws UsageException {
        double p = number(option, value);
        if (!(p >= 0 && p <= 1)) {
            throw new UsageException(option + " must be between 0 and 1, got " + value);
        }
        return p;
    }

    private static double number(String option, String value) throws UsageException {
        try {
            return Double.parseDouble(value);
        } catch (NumberFormatException e) {
            throw new UsageException(option + " needs a number, got " + value);
        }
    }
}
