package org.mptunnel.benchmarks.harness;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The processes under test, each its own JVM, all on 127.0.0.1: the echo target, an mpserver in
 * front of it, bridges in front of the mpserver, an mpclient over those bridges, and a bridge
 * straight to the echo (the bare path). Every process started is stopped by {@link #close()}, or
 * by a shutdown hook if the harness is interrupted.
 */
final class Topology implements AutoCloseable {

    static final String LOOPBACK = "127.0.0.1";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration STOP_GRACE = Duration.ofSeconds(5);

    private final HarnessOptions options;
    private final Path logDir;
    private final List<ChildProcess> running = new ArrayList<>();
    private final Thread hook = new Thread(this::close, "harness-stop-processes");
    private int echoPort;
    private int serverPort;

    Topology(HarnessOptions options) {
        this(options, options.out().resolve("logs"));
    }

    /** @param logDir where each process's log goes, {@code NAME.log} */
    Topology(HarnessOptions options, Path logDir) {
        this.options = options;
        this.logDir = logDir;
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** A tunnel's client end and the processes that belong to it alone. */
    record Tunnel(int clientPort, List<ChildProcess> processes) {
    }

    /** Starts the echo target and the mpserver in front of it. */
    void startServerSide() throws IOException, InterruptedException {
        startServerSide(List.of());
    }

    /** Starts the echo target and the mpserver in front of it, with {@code serverArgs} as well. */
    void startServerSide(List<String> serverArgs) throws IOException, InterruptedException {
        ChildProcess echo = start("echo", javaCommand(List.of("-cp", ownClassPath(), EchoTarget.class.getName())));
        echoPort = echo.awaitListeningPort(START_TIMEOUT);
        List<String> args = new ArrayList<>(List.of("0", LOOPBACK, Integer.toString(echoPort), "--bind", LOOPBACK));
        args.addAll(serverArgs);
        ChildProcess server = start("mpserver", tool("mpserver", args.toArray(String[]::new)));
        serverPort = server.awaitListeningPort(START_TIMEOUT);
    }

    /** @return the echo target's process */
    ChildProcess echo() {
        return find("echo");
    }

    /** @return the mpserver's process */
    ChildProcess server() {
        return find("mpserver");
    }

    /**
     * Starts a bridge straight to the echo target: the bare path.
     *
     * @return its process; its port is {@link ChildProcess#awaitListeningPort}'s
     */
    ChildProcess startBareBridge() throws IOException {
        return start("bare-bridge", tool("mpbridge", "0", LOOPBACK, Integer.toString(echoPort), "--bind", LOOPBACK));
    }

    /**
     * Starts {@code paths} bridges to the mpserver and an mpclient over them.
     *
     * @param name prefix of the processes' names
     * @param loss each bridge's loss probability, each way (0: none)
     * @param seed the first bridge's seed; the others take the next ones, so their losses are independent
     */
    Tunnel startTunnel(String name, int paths, double loss, long seed) throws IOException, InterruptedException {
        List<List<String>> bridgeArgs = new ArrayList<>();
        for (int i = 1; i <= paths; i++) {
            bridgeArgs.add(loss > 0 ? List.of("--loss", Double.toString(loss), "--seed", Long.toString(seed + i - 1))
                    : List.of());
        }
        return startTunnel(name, bridgeArgs, List.of());
    }

    /**
     * Starts one bridge to the mpserver per entry of {@code bridgeArgs}, with those extra options,
     * and an mpclient over them with {@code clientArgs}.
     */
    Tunnel startTunnel(String name, List<List<String>> bridgeArgs, List<String> clientArgs)
            throws IOException, InterruptedException {
        List<ChildProcess> bridges = new ArrayList<>();
        for (int i = 1; i <= bridgeArgs.size(); i++) {
            List<String> args = new ArrayList<>(List.of("0", LOOPBACK, Integer.toString(serverPort), "--bind", LOOPBACK));
            args.addAll(bridgeArgs.get(i - 1));
            bridges.add(start(name + "-bridge-" + i, tool("mpbridge", args.toArray(String[]::new))));
        }
        StringBuilder config = new StringBuilder("# written by the harness: one bridge per line\n");
        for (ChildProcess bridge : bridges) {
            config.append(LOOPBACK).append(' ').append(bridge.awaitListeningPort(START_TIMEOUT)).append('\n');
        }
        Path configFile = options.out().resolve(name + "-mpclient.conf");
        Files.writeString(configFile, config, StandardCharsets.UTF_8);
        List<String> args = new ArrayList<>(List.of(configFile.toString(), "--listen", LOOPBACK + ":0", "--bind", LOOPBACK));
        args.addAll(clientArgs);
        ChildProcess client = start(name + "-mpclient", tool("mpclient", args.toArray(String[]::new)));
        List<ChildProcess> processes = new ArrayList<>(bridges);
        processes.add(client);
        return new Tunnel(client.awaitListeningPort(START_TIMEOUT), processes);
    }

    /** Stops some of the processes, e.g. a tunnel that has done its part. */
    void stop(List<ChildProcess> processes) {
        for (ChildProcess p : processes) {
            p.handle().destroy(); // SIGTERM to all first: they stop in parallel
        }
        for (ChildProcess p : processes) {
            p.stop(STOP_GRACE);
            synchronized (running) {
                running.remove(p);
            }
        }
    }

    private ChildProcess start(String name, List<String> command) throws IOException {
        ChildProcess process = ChildProcess.start(name, command, logDir);
        synchronized (running) {
            running.add(process);
        }
        return process;
    }

    private ChildProcess find(String name) {
        synchronized (running) {
            return running.stream().filter(p -> p.name().equals(name)).findFirst().orElseThrow();
        }
    }

    private List<String> tool(String tool, String... args) {
        Path jar = tool.equals("mpbridge") ? options.bridgeJar() : options.jar();
        List<String> command = new ArrayList<>(List.of("-jar", jar.toString(), tool));
        command.addAll(List.of(args));
        return javaCommand(command);
    }

    private List<String> javaCommand(List<String> rest) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String opt : options.jvmOptions().trim().split("\\s+")) {
            if (!opt.isEmpty()) {
                command.add(opt);
            }
        }
        command.addAll(rest);
        return command;
    }

    /** Where this class was loaded from (the benchmarks jar, or target/classes under a test). */
    static String ownClassPath() {
        try {
            return Path.of(EchoTarget.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (Exception e) {
            throw new IllegalStateException("cannot tell where the harness classes are", e);
        }
    }

    /** @return every process still running, for metering */
    List<ChildProcess> processes() {
        synchronized (running) {
            return List.copyOf(running);
        }
    }

    /** Stops every process still running; safe to call twice. */
    @Override
    public void close() {
        List<ChildProcess> all = processes();
        if (!all.isEmpty()) {
            stop(all);
        }
        if (Thread.currentThread() != hook) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // already shutting down: the hook runs, and finds nothing left to stop
            }
        }
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "echo :%d, mpserver :%d", echoPort, serverPort);
    }
}
