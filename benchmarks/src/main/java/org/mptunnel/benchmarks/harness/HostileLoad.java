package org.mptunnel.benchmarks.harness;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The "hostile load" benchmark (issue 14): a legitimate flow's loss and round trip while each of
 * the floods hits the tools. The tools run as processes of {@code mptunnel.jar} (heap
 * {@code -Xmx256m}), all on loopback:
 * <ul>
 * <li>plaintext (v1): flow → mpclient (classic port and {@code --socks}) → an on-path attacker's
 *     relay → mpbridge → mpserver ({@code --ordered}) → echo;</li>
 * <li>keyed (v2): flow → mpclient → the relay → mpserver → echo.</li>
 * </ul>
 * Each row: the flood starts, the flow runs a warm-up and a measured window at a steady rate, the
 * flood stops. A baseline without flood opens and closes each topology's rows, in the same run.
 * Prints progress on stderr and a Markdown table on stdout; the tools' logs go to {@code --out}.
 */
public final class HostileLoad {

    private static final String USAGE = String.join("\n",
            "usage: java -cp benchmarks/target/benchmarks.jar org.mptunnel.benchmarks.harness.HostileLoad [OPTIONS]",
            "  --jar PATH      mptunnel.jar (default: mptunnel-examples/target/mptunnel.jar)",
            "  --out DIR       where the tools' logs go (default: benchmarks/target/hostile)",
            "  --rate N        the legitimate flow's datagrams per second (default: 500)",
            "  --seconds N     measured seconds per flood (default: 5)",
            "  --only TEXT     run only the floods whose name contains TEXT (and the baselines)");
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration WARM_UP = Duration.ofSeconds(1);
    private static final int FLOW_SIZE = 64;
    private static final String LOOPBACK = "127.0.0.1";

    private final Path jar;
    private final Path logDir;
    private final int rate;
    private final Duration measure;
    private final String only;
    private final PrintStream log = System.err;
    private final List<ChildProcess> running = new ArrayList<>();
    private final List<String> rows = new ArrayList<>();

    private HostileLoad(Path jar, Path out, int rate, Duration measure, String only) {
        this.jar = jar;
        this.logDir = out;
        this.rate = rate;
        this.measure = measure;
        this.only = only;
    }

    /** Runs every flood; see {@link #USAGE}. */
    public static void main(String[] args) throws Exception {
        Path jar = Path.of("mptunnel-examples/target/mptunnel.jar");
        Path out = Path.of("benchmarks/target/hostile");
        int rate = 500;
        int seconds = 5;
        String only = "";
        try {
            for (int i = 0; i < args.length; i++) {
                String value = i + 1 < args.length ? args[i + 1] : null;
                switch (args[i]) {
                    case "--jar" -> jar = Path.of(required(args[i], value));
                    case "--out" -> out = Path.of(required(args[i], value));
                    case "--rate" -> rate = Integer.parseInt(required(args[i], value));
                    case "--seconds" -> seconds = Integer.parseInt(required(args[i], value));
                    case "--only" -> only = required(args[i], value);
                    case "-h", "--help" -> {
                        System.out.println(USAGE);
                        return;
                    }
                    default -> throw new IllegalArgumentException("unknown option " + args[i]);
                }
                i++;
            }
            if (!Files.isRegularFile(jar)) {
                throw new IllegalArgumentException("no mptunnel.jar at " + jar + ": build it with 'mvn -B -DskipTests package'");
            }
            if (rate < 1 || seconds < 1) {
                throw new IllegalArgumentException("--rate and --seconds must be at least 1");
            }
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
            return;
        }
        System.out.print(run(jar, out, rate, Duration.ofSeconds(seconds), only));
        System.exit(0); // the floods' and relays' daemon threads end with the JVM
    }

    /**
     * Runs the floods whose name contains {@code only}, and the baselines.
     *
     * @return the Markdown report
     */
    static String run(Path jar, Path out, int rate, Duration measure, String only) throws Exception {
        HostileLoad run = new HostileLoad(jar, out, rate, measure, only);
        Thread hook = new Thread(run::stopAll, "hostile-stop-processes");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            run.plaintext();
            run.keyed();
        } finally {
            run.stopAll();
            Runtime.getRuntime().removeShutdownHook(hook);
        }
        return run.markdown();
    }

    private static String required(String option, String value) {
        if (value == null) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return value;
    }

    /** The v1 topology and its floods. */
    private void plaintext() throws Exception {
        int echoPort = startEcho();
        ChildProcess server = start("v1-mpserver", tool("mpserver", "0", LOOPBACK, Integer.toString(echoPort),
                "--bind", LOOPBACK, "--ordered", "--allow", "127.0.0.0/8:" + echoPort));
        InetSocketAddress serverAddress = loopback(server.awaitListeningPort(START_TIMEOUT));
        ChildProcess bridge = start("v1-mpbridge", tool("mpbridge", "0", LOOPBACK,
                Integer.toString(serverAddress.getPort()), "--bind", LOOPBACK));
        InetSocketAddress bridgeAddress = loopback(bridge.awaitListeningPort(START_TIMEOUT));
        int socksPort = freeTcpPort();
        try (OnPathRelay path = new OnPathRelay(bridgeAddress)) {
            ChildProcess client = start("v1-mpclient", tool("mpclient", pathsFile("v1", path.port()).toString(),
                    "--listen", LOOPBACK + ":0", "--bind", LOOPBACK, "--socks", LOOPBACK + ":" + socksPort));
            InetSocketAddress clientAddress = loopback(client.awaitListeningPort(START_TIMEOUT));
            InetSocketAddress socks = loopback(socksPort);
            try (LoadGenerator flow = LoadGenerator.open("v1", clientAddress, FLOW_SIZE)) {
                flow.awaitEcho(START_TIMEOUT);
                long session = path.lastSessionId();
                List<ChildProcess> tools = List.of(server, bridge, client);
                row("v1", "none (baseline)", flow, null, tools);
                row("v1", "11", flow, Floods.oversizedAndEmpty(clientAddress, 2_000), tools);
                row("v1", "7", flow, Floods.forgedJumps(path, session, 1_000), tools);
                row("v1", "6", flow, Floods.keepalivesFromEightPorts(serverAddress, session, 8_000), tools);
                row("v1", "1", flow, Floods.orderedHold(serverAddress, 64, 10_000), tools);
                row("v1", "8", flow, Floods.newSessionsFromManyPorts(serverAddress, 10_000), tools);
                row("v1", "5", flow, Floods.newPortsToBridge(bridgeAddress, 5_000), tools);
                row("v1", "2", flow, Floods.socksResets(socks, 200), tools);
                row("v1", "3", flow, Floods.socksDrip(socks, 800), tools);
                row("v1", "4", flow, Floods.socksSpellings(socks, 8, echoPort, 5_000), tools);
                row("v1", "none (baseline, after)", flow, null, tools);
            }
        }
        stopAll();
    }

    /** The v2 topology and its floods. */
    private void keyed() throws Exception {
        Path key = logDir.resolve("hostile.key");
        byte[] psk = new byte[32];
        new SplittableRandom(14).nextBytes(psk);
        Files.deleteIfExists(key);
        Files.createFile(key, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(key, HexFormat.of().formatHex(psk) + "\n", StandardCharsets.US_ASCII);
        int echoPort = startEcho();
        ChildProcess server = start("v2-mpserver", tool("mpserver", "0", LOOPBACK, Integer.toString(echoPort),
                "--bind", LOOPBACK, "--key-file", key.toString()));
        InetSocketAddress serverAddress = loopback(server.awaitListeningPort(START_TIMEOUT));
        try (OnPathRelay path = new OnPathRelay(serverAddress)) {
            ChildProcess client = start("v2-mpclient", tool("mpclient", pathsFile("v2", path.port()).toString(),
                    "--listen", LOOPBACK + ":0", "--bind", LOOPBACK, "--key-file", key.toString()));
            InetSocketAddress clientAddress = loopback(client.awaitListeningPort(START_TIMEOUT));
            try (LoadGenerator flow = LoadGenerator.open("v2", clientAddress, FLOW_SIZE)) {
                flow.awaitEcho(START_TIMEOUT);
                long session = path.lastSessionId();
                List<ChildProcess> tools = List.of(server, client);
                row("v2", "none (baseline)", flow, null, tools);
                row("v2", "10", flow, Floods.forgedSealedData(serverAddress, session, 0), tools);
                row("v2", "8", flow, Floods.initiationsFromManyPorts(serverAddress, 10_000), tools);
                row("v2", "10", flow, Floods.newLocalPorts(clientAddress, 200), tools);
                row("v2", "none (baseline, after)", flow, null, tools);
            }
        }
        stopAll();
    }

    /**
     * Runs one row: the flood (null: none, and {@code item} names the baseline) during the flow's
     * warm-up and measured window.
     */
    private void row(String wire, String item, LoadGenerator flow, Flood flood, List<ChildProcess> tools)
            throws Exception {
        String name = flood == null ? item : flood.name(); // a baseline's item is its name
        if (flood != null && !name.contains(only)) {
            return;
        }
        log.printf(Locale.ROOT, "%s, item %s: %s ...%n", wire, item, name);
        double loadBefore = loadAverage();
        if (flood != null) {
            flood.start();
        }
        StepResult result;
        try {
            result = flow.run(rate, WARM_UP, measure, null);
        } finally {
            if (flood != null) {
                flood.close();
            }
        }
        double loadAfter = loadAverage();
        String dead = tools.stream().filter(p -> !p.isAlive()).map(ChildProcess::name)
                .reduce((a, b) -> a + ", " + b).map(s -> "; DIED: " + s).orElse("");
        String attacker = flood == null ? "—" : flood.describeRate()
                + (flood.observed().isEmpty() ? "" : "; " + flood.observed());
        String line = String.format(Locale.ROOT, "| %s | %s | %s | %s | %.1f %% | %.2f ms | %.2f ms | %.1f–%.1f%s |",
                wire, flood == null ? "—" : item, name, attacker, 100 * result.loss(), result.rttMicros(50) / 1e3,
                result.rttMicros(99) / 1e3, loadBefore, loadAfter, dead);
        log.println(line);
        rows.add(line);
        Thread.sleep(500); // lets the tools' queues empty before the next row
    }

    private String markdown() {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "Legitimate flow: %d datagrams/s of %d bytes,"
                + " %s s measured after %s s of warm-up per row; tools with -Xmx256m.%n%n", rate, FLOW_SIZE,
                measure.toSeconds(), WARM_UP.toSeconds()));
        b.append("| wire | item | flood | attacker's rate | loss | p50 | p99 | load avg (1 min) |\n");
        b.append("|---|---|---|---|--:|--:|--:|---|\n");
        rows.forEach(row -> b.append(row).append('\n'));
        return b.toString();
    }

    private int startEcho() throws IOException, InterruptedException {
        ChildProcess echo = start("echo-" + running.size(), java(List.of("-cp", Topology.ownClassPath(),
                EchoTarget.class.getName())));
        return echo.awaitListeningPort(START_TIMEOUT);
    }

    private Path pathsFile(String name, int port) throws IOException {
        Path file = logDir.resolve(name + "-paths.conf");
        Files.createDirectories(logDir);
        Files.writeString(file, LOOPBACK + " " + port + "\n", StandardCharsets.UTF_8);
        return file;
    }

    private ChildProcess start(String name, List<String> command) throws IOException {
        ChildProcess p = ChildProcess.start(name, command, logDir);
        synchronized (running) {
            running.add(p);
        }
        return p;
    }

    private void stopAll() {
        List<ChildProcess> all;
        synchronized (running) {
            all = List.copyOf(running);
            running.clear();
        }
        all.forEach(p -> p.handle().destroy());
        all.forEach(p -> p.stop(Duration.ofSeconds(5)));
    }

    private List<String> tool(String tool, String... args) {
        List<String> command = new ArrayList<>(List.of("-Xmx256m", "-jar", jar.toString(), tool));
        command.addAll(List.of(args));
        return java(command);
    }

    private static List<String> java(List<String> rest) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(rest);
        return command;
    }

    private static InetSocketAddress loopback(int port) throws IOException {
        return new InetSocketAddress(InetAddress.getByName(LOOPBACK), port);
    }

    private static int freeTcpPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(LOOPBACK))) {
            return s.getLocalPort();
        }
    }

    private static double loadAverage() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }
}
