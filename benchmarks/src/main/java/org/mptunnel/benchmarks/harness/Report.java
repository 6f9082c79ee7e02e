package org.mptunnel.benchmarks.harness;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;

/**
 * The run's figures and their three forms: the Markdown table, the CSV files and the SVG plot of
 * loss against offered rate.
 */
final class Report {

    /** The targets of the issue, for the table's last column. */
    static final int TARGET_RATE = 18_000;
    static final double TARGET_RATIO = 0.36;
    static final double TARGET_P50_EXTRA_MICROS = 100;

    private final HarnessOptions options;
    private final String date = ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME);
    /** The machine's load when the run started and ended: other work on it makes the figures noisy. */
    private final String loadBefore = loadAverage();
    private String loadAfter = "";
    private final Map<String, List<Measured>> sweeps = new LinkedHashMap<>();
    private final Map<String, Measured> latency = new LinkedHashMap<>();
    private Measured lossy;

    Report(HarnessOptions options) {
        this.options = options;
    }

    void sweep(String path, List<Measured> steps) {
        sweeps.put(path, steps);
    }

    void latency(String path, Measured m) {
        latency.put(path, m);
    }

    void lossy(Measured m) {
        lossy = m;
    }

    /** @return the step with the highest echo rate among those that passed, or null */
    Measured sustained(String path) {
        return sweeps.getOrDefault(path, List.of()).stream().filter(Measured::passed)
                .max(Comparator.comparingDouble(m -> m.result().echoRate())).orElse(null);
    }

    /**
     * @return the lowest offered rate above the sustained step's at which every attempt failed: the
     *         sustained figure lies between the two; NaN if no rate above it failed
     */
    double failedAbove(String path) {
        Measured sustained = sustained(path);
        if (sustained == null) {
            return Double.NaN;
        }
        int passedAt = sustained.result().offeredRate();
        List<Measured> steps = steps(path);
        OptionalInt lowest = steps.stream().mapToInt(m -> m.result().offeredRate())
                .filter(rate -> rate > passedAt)
                .filter(rate -> steps.stream().noneMatch(m -> m.passed() && m.result().offeredRate() == rate))
                .min();
        return lowest.isPresent() ? lowest.getAsInt() : Double.NaN;
    }

    List<Measured> steps(String path) {
        return sweeps.getOrDefault(path, List.of());
    }

    Measured latency(String path) {
        return latency.get(path);
    }

    Measured lossy() {
        return lossy;
    }

    /** Round-trip loss through N paths that each lose p each way, independently: 1 − (1 − pᴺ)². */
    double lossyTheory() {
        double oneWay = Math.pow(options.lossyP(), options.paths());
        return 1 - (1 - oneWay) * (1 - oneWay);
    }

    /** @return what is wrong for the self-check, or null if the tunnel and the bare path work */
    String selfCheckProblem(double maxLoss) {
        for (String path : List.of("tunnel", "bare")) {
            List<Measured> steps = steps(path);
            if (steps.isEmpty()) {
                return "no " + path + " step ran";
            }
            int lowest = steps.stream().mapToInt(m -> m.result().offeredRate()).min().getAsInt();
            StepResult best = steps.stream().map(Measured::result).filter(r -> r.offeredRate() == lowest)
                    .min(Comparator.comparingDouble(StepResult::loss)).orElseThrow();
            if (best.loss() > maxLoss) {
                return String.format(Locale.ROOT, "%s lost %.1f %% at %d/s", path, 100 * best.loss(), lowest);
            }
            int duplicates = steps.stream().mapToInt(m -> m.result().duplicates()).sum();
            if (duplicates > 0 && path.equals("tunnel")) {
                return "the tunnel delivered " + duplicates + " duplicates";
            }
        }
        return null;
    }

    // ---------------------------------------------------------------- Markdown

    String markdown() {
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "### mptunnel end-to-end: %d-byte datagrams, round trip on 127.0.0.1%n%n",
                options.size()));
        s.append(String.format(Locale.ROOT, "%s; %d CPUs; Java %s; tunnel = %d bridges; steps of %s s after %s s "
                        + "warm-up; a step passes with loss ≤ %s %%; JVM options: `%s`. Load average (1, 5, 15 min) "
                        + "at the start: %s; at the end: %s.%n%n",
                date, Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), options.paths(),
                seconds(options.step().toMillis()), seconds(options.warmUp().toMillis()),
                number(100 * options.maxLoss(), 2), options.jvmOptions(), loadBefore, loadAfter));

        Measured ts = sustained("tunnel");
        Measured bs = sustained("bare");
        Measured tl = latency("tunnel");
        Measured bl = latency("bare");
        String lr = grouped(options.latencyRate());
        s.append("| figure | tunnel | bare path | tunnel / bare | target |\n");
        s.append("|---|--:|--:|--:|---|\n");
        double ratio = ts == null || bs == null ? Double.NaN : ts.result().echoRate() / bs.result().echoRate();
        s.append(row(String.format(Locale.ROOT, "sustained echo rate, loss ≤ %s %% (datagrams/s)", number(100 * options.maxLoss(), 1)),
                ts == null ? "none passed" : grouped(ts.result().echoRate()),
                bs == null ? "none passed" : grouped(bs.result().echoRate()),
                number(ratio, 2),
                String.format(Locale.ROOT, "≥ %s and ≥ %s × bare: %s", grouped(TARGET_RATE), number(TARGET_RATIO, 2),
                        ts == null || bs == null ? "–" : verdict(ts.result().echoRate() >= TARGET_RATE && ratio >= TARGET_RATIO))));
        double tFail = failedAbove("tunnel");
        double bFail = failedAbove("bare");
        s.append(row("lowest offered rate above it that failed (datagrams/s)", grouped(tFail), grouped(bFail),
                ts == null || bs == null ? "–" : bounds(ts.result().echoRate() / bFail, tFail / bs.result().echoRate()),
                "bounds of the ratio"));
        s.append(row("goodput at that rate (Mbit/s, payload, each way)",
                ts == null ? "–" : number(goodputMbps(ts.result().echoRate()), 1),
                bs == null ? "–" : number(goodputMbps(bs.result().echoRate()), 1), number(ratio, 2), ""));
        if (tl != null && bl != null) {
            double extra = tl.result().rttMicros(50) - bl.result().rttMicros(50);
            s.append(row("RTT p50 at " + lr + "/s (µs)", number(tl.result().rttMicros(50), 0),
                    number(bl.result().rttMicros(50), 0), signed(extra) + " µs",
                    String.format(Locale.ROOT, "≤ bare + %s µs: %s", number(TARGET_P50_EXTRA_MICROS, 0),
                            verdict(extra <= TARGET_P50_EXTRA_MICROS))));
            s.append(row("RTT p99 at " + lr + "/s (µs)", number(tl.result().rttMicros(99), 0),
                    number(bl.result().rttMicros(99), 0),
                    signed(tl.result().rttMicros(99) - bl.result().rttMicros(99)) + " µs", ""));
            s.append(row("RTT p99.9 at " + lr + "/s (µs)", number(tl.result().rttMicros(99.9), 0),
                    number(bl.result().rttMicros(99.9), 0),
                    signed(tl.result().rttMicros(99.9) - bl.result().rttMicros(99.9)) + " µs", ""));
            s.append(row("loss at " + lr + "/s", percent(tl.result().loss()), percent(bl.result().loss()), "", ""));
            s.append(row("CPU at " + lr + "/s (cores, all processes)", number(tl.totalCores(), 2),
                    number(bl.totalCores(), 2), number(tl.totalCores() / bl.totalCores(), 2), ""));
        }
        if (ts != null && bs != null) {
            s.append(row("CPU at the sustained rate (cores, all processes)", number(ts.totalCores(), 2),
                    number(bs.totalCores(), 2), "", ""));
        }
        s.append('\n');

        if (lossy != null) {
            StepResult r = lossy.result();
            double theory = lossyTheory();
            double sigma = Math.sqrt(theory * (1 - theory) / r.sent());
            s.append(String.format(Locale.ROOT, "| lossy run: %d bridges each losing %s %% each way, %s/s, %s datagrams | measured | independent-loss theory |%n",
                    options.paths(), number(100 * options.lossyP(), 0), grouped(r.offeredRate()), grouped(r.sent())));
            s.append("|---|--:|---|\n");
            s.append(String.format(Locale.ROOT, "| round-trip loss | %s | %s = 1 − (1 − %s^%d)²; 95 %% of runs within %s–%s |%n",
                    percent(r.loss()), percent(theory), number(options.lossyP(), 2), options.paths(),
                    percent(Math.max(0, theory - 1.96 * sigma)), percent(theory + 1.96 * sigma)));
            s.append(String.format(Locale.ROOT, "| duplicates delivered | %d | 0 |%n", r.duplicates()));
            s.append(String.format(Locale.ROOT, "| RTT p50 / p99 (µs) | %s / %s | |%n%n",
                    number(r.rttMicros(50), 0), number(r.rttMicros(99), 0)));
        }

        for (String path : sweeps.keySet()) {
            s.append(String.format(Locale.ROOT, "Steps, %s:%n%n", path.equals("tunnel")
                    ? "tunnel (generator → mpclient → " + options.paths() + " bridges → mpserver → echo)"
                    : "bare path (generator → bridge → echo)"));
            s.append("| offered /s | sent /s | echoed /s | loss | duplicates | p50 µs | p99 µs | p99.9 µs | CPU cores | softirq cores | other load, cores | wake-ups /s | pass |\n");
            s.append("|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|:-:|\n");
            List<Measured> ordered = new ArrayList<>(steps(path));
            ordered.sort(Comparator.comparingInt((Measured m) -> m.result().offeredRate()).thenComparingInt(Measured::attempt));
            for (Measured m : ordered) {
                StepResult r = m.result();
                s.append(String.format(Locale.ROOT, "| %s%s | %s%s | %s | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s |%n",
                        grouped(r.offeredRate()), m.attempt() > 1 ? " (again)" : "", grouped(r.sentRate()), r.generatorKeptUp() ? "" : " ⚠",
                        grouped(r.echoRate()), percent(r.loss()), r.duplicates(), number(r.rttMicros(50), 0),
                        number(r.rttMicros(99), 0), number(r.rttMicros(99.9), 0), number(m.totalCores(), 2),
                        number(m.softirqCores(), 2), number(m.otherCores(), 2), grouped(m.totalWakeUps()), m.passed() ? "✓" : "✗"));
            }
            s.append('\n');
        }
        if (steps("tunnel").stream().anyMatch(m -> !m.result().generatorKeptUp())
                || steps("bare").stream().anyMatch(m -> !m.result().generatorKeptUp())) {
            s.append("⚠: the generator sent less than 95 % of the offered rate (it shares the CPUs).\n\n");
        }
        if (sweeps.values().stream().flatMap(List::stream).anyMatch(m -> m.attempt() > 1)) {
            s.append("(again): a failed step run once more at the same rate; the rate fails only if every attempt did.\n\n");
        }

        s.append("CPU cores: this run's processes on that path, harness included (2.00 = both cores of a 2-CPU machine); "
                + "softirq: the whole machine's time in softirqs, on loopback mostly the kernel delivering datagrams "
                + "(ours and anyone's); other load: what else the machine kept busy meanwhile (other users' work, "
                + "steal time). Both are machine-wide and approximate.\n\n");
        appendUsage(s, "tunnel at its sustained rate", ts);
        appendUsage(s, "bare path at its sustained rate", bs);
        return s.toString();
    }

    private static void appendUsage(StringBuilder s, String title, Measured m) {
        if (m == null) {
            return;
        }
        s.append(String.format(Locale.ROOT, "Where the CPU goes, %s (%s/s offered):%n%n", title,
                grouped(m.result().offeredRate())));
        s.append("| process | CPU cores | voluntary switches /s (wake-ups) | forced switches /s |\n");
        s.append("|---|--:|--:|--:|\n");
        m.usage().forEach((name, u) -> s.append(String.format(Locale.ROOT, "| %s | %s | %s | %s |%n",
                name, number(u.cores(), 2), grouped(u.voluntaryPerSec()), grouped(u.forcedPerSec()))));
        s.append(String.format(Locale.ROOT, "| all | %s | %s | |%n%n", number(m.totalCores(), 2), grouped(m.totalWakeUps())));
    }

    /** @return "low–high", with "?" for an end that no failed step fixed */
    private static String bounds(double low, double high) {
        return Double.isNaN(low) && Double.isNaN(high) ? "–"
                : (Double.isNaN(low) ? "?" : number(low, 2)) + "–" + (Double.isNaN(high) ? "?" : number(high, 2));
    }

    private static String row(String... cells) {
        return "| " + String.join(" | ", cells) + " |\n";
    }

    private double goodputMbps(double datagramsPerSecond) {
        return datagramsPerSecond * options.size() * 8 / 1e6;
    }

    private static String verdict(boolean met) {
        return met ? "**met**" : "**missed**";
    }

    static String grouped(double value) {
        return Double.isNaN(value) ? "–" : String.format(Locale.ROOT, "%,d", Math.round(value));
    }

    static String number(double value, int decimals) {
        return Double.isNaN(value) ? "–" : String.format(Locale.ROOT, "%,." + decimals + "f", value);
    }

    private static String signed(double value) {
        return Double.isNaN(value) ? "–" : String.format(Locale.ROOT, "%+,.0f", value);
    }

    static String percent(double share) {
        return Double.isNaN(share) ? "–" : String.format(Locale.ROOT, "%.2f %%", 100 * share);
    }

    private static String seconds(long millis) {
        return millis % 1000 == 0 ? Long.toString(millis / 1000) : number(millis / 1000.0, 1);
    }

    // ---------------------------------------------------------------- files

    /** Writes steps.csv, processes.csv, summary.csv and loss-vs-rate.svg under the output directory. */
    void write() throws IOException {
        loadAfter = loadAverage();
        Files.createDirectories(options.out());
        Files.writeString(options.out().resolve("steps.csv"), stepsCsv(), StandardCharsets.UTF_8);
        Files.writeString(options.out().resolve("processes.csv"), processesCsv(), StandardCharsets.UTF_8);
        Files.writeString(options.out().resolve("summary.csv"), summaryCsv(), StandardCharsets.UTF_8);
        Files.writeString(options.out().resolve("loss-vs-rate.svg"),
                LossPlot.svg(steps("tunnel"), steps("bare"), sustained("tunnel"), sustained("bare"), options),
                StandardCharsets.UTF_8);
        Files.writeString(options.out().resolve("report.md"), markdown(), StandardCharsets.UTF_8);
    }

    private static String loadAverage() {
        try {
            String[] fields = Files.readString(java.nio.file.Path.of("/proc/loadavg")).trim().split("\\s+");
            return fields[0] + ", " + fields[1] + ", " + fields[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private List<Measured> all() {
        List<Measured> all = new ArrayList<>(latency.values());
        sweeps.values().forEach(all::addAll);
        if (lossy != null) {
            all.add(lossy);
        }
        return all;
    }

    private String stepsCsv() {
        StringBuilder s = new StringBuilder("phase,path,size_bytes,offered_per_s,sent_per_s,sent,echoed,duplicates,loss,"
                + "echoed_per_s,goodput_mbit_s,rtt_p50_us,rtt_p99_us,rtt_p999_us,rtt_max_us,cpu_cores,"
                + "voluntary_switches_per_s,softirq_cores,other_load_cores,passed,attempt\n");
        for (Measured m : all()) {
            StepResult r = m.result();
            s.append(String.format(Locale.ROOT, "%s,%s,%d,%d,%.1f,%d,%d,%d,%.6f,%.1f,%.3f,%.1f,%.1f,%.1f,%.1f,%.3f,%.0f,%.3f,%.3f,%b,%d%n",
                    m.phase(), m.path(), options.size(), r.offeredRate(), r.sentRate(), r.sent(), r.echoed(),
                    r.duplicates(), r.loss(), r.echoRate(), goodputMbps(r.echoRate()), r.rttMicros(50),
                    r.rttMicros(99), r.rttMicros(99.9), r.rtt().getTotalCount() == 0 ? Double.NaN : r.rtt().getMaxValue() / 1e3,
                    m.totalCores(), m.totalWakeUps(), m.softirqCores(), m.otherCores(), m.passed(), m.attempt()));
        }
        return s.toString();
    }

    private String processesCsv() {
        StringBuilder s = new StringBuilder("phase,path,offered_per_s,process,cpu_cores,voluntary_switches_per_s,forced_switches_per_s\n");
        for (Measured m : all()) {
            m.usage().forEach((name, u) -> s.append(String.format(Locale.ROOT, "%s,%s,%d,%s,%.3f,%.0f,%.0f%n",
                    m.phase(), m.path(), m.result().offeredRate(), name, u.cores(), u.voluntaryPerSec(), u.forcedPerSec())));
        }
        return s.toString();
    }

    private String summaryCsv() {
        StringBuilder s = new StringBuilder("figure,tunnel,bare,ratio\n");
        Measured ts = sustained("tunnel");
        Measured bs = sustained("bare");
        double t = ts == null ? Double.NaN : ts.result().echoRate();
        double b = bs == null ? Double.NaN : bs.result().echoRate();
        s.append(String.format(Locale.ROOT, "sustained_echoes_per_s,%.0f,%.0f,%.3f%n", t, b, t / b));
        double tFail = failedAbove("tunnel");
        double bFail = failedAbove("bare");
        s.append(String.format(Locale.ROOT, "first_failure_above_per_s,%.0f,%.0f,%n", tFail, bFail));
        s.append(String.format(Locale.ROOT, "ratio_range,,,%.3f-%.3f%n", t / bFail, tFail / b));
        s.append(String.format(Locale.ROOT, "goodput_mbit_s,%.1f,%.1f,%.3f%n", goodputMbps(t), goodputMbps(b), t / b));
        Measured tl = latency("tunnel");
        Measured bl = latency("bare");
        if (tl != null && bl != null) {
            for (double p : new double[] {50, 99, 99.9}) {
                double a = tl.result().rttMicros(p);
                double c = bl.result().rttMicros(p);
                s.append(String.format(Locale.ROOT, "rtt_p%s_us_at_%d_per_s,%.1f,%.1f,%.3f%n",
                        p == 99.9 ? "999" : Integer.toString((int) p), options.latencyRate(), a, c, a / c));
            }
        }
        if (lossy != null) {
            s.append(String.format(Locale.ROOT, "lossy_round_trip_loss,%.6f,,%n", lossy.result().loss()));
            s.append(String.format(Locale.ROOT, "lossy_theory,%.6f,,%n", lossyTheory()));
        }
        return s.toString();
    }
}
