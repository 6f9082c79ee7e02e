package org.mptunnel.examples.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One tool of {@code mptunnel.jar} run as a separate process, as a user would run it. Its stdout and
 * stderr are collected line by line; a test waits for a line with a deadline, never by sleeping.
 */
final class ToolProcess implements AutoCloseable {

    static final Path JAR = Path.of(System.getProperty("mptunnel.jar", "target/mptunnel.jar"));
    private static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    /**
     * Quick start and a small heap, so that many tools fit on a small machine; the property
     * {@code mptunnel.it.jvmOptions} (space-separated, empty for the JVM's defaults) replaces them,
     * e.g. to measure the tools as users run them.
     */
    private static final List<String> JVM_OPTIONS = List.of(System.getProperty("mptunnel.it.jvmOptions",
            "-Xmx128m -XX:TieredStopAtLevel=1").trim().split("\\s+")).stream().filter(o -> !o.isEmpty()).toList();

    private final Process process;
    private final List<String> out = new ArrayList<>();
    /** When each stdout line came ({@link System#nanoTime}), guarded by {@link #out}. */
    private final List<Long> outNanos = new ArrayList<>();
    private final List<String> err = new ArrayList<>();
    private final Thread outPump;
    private final Thread errPump;

    private ToolProcess(Process process) {
        this.process = process;
        this.outPump = pump(process.getInputStream(), out, outNanos);
        this.errPump = pump(process.getErrorStream(), err, null);
    }

    /** Starts {@code java -jar mptunnel.jar ARGS...}. */
    static ToolProcess start(String... args) throws IOException {
        return startWithEnvironment(List.of(), args);
    }

    /** Starts {@code java -jar mptunnel.jar ARGS...} with extra {@code NAME=VALUE} environment variables. */
    static ToolProcess startWithEnvironment(List<String> environment, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(JAVA));
        command.addAll(JVM_OPTIONS);
        command.addAll(List.of("-jar", JAR.toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        for (String variable : environment) {
            int eq = variable.indexOf('=');
            builder.environment().put(variable.substring(0, eq), variable.substring(eq + 1));
        }
        return new ToolProcess(builder.start());
    }

    /** Starts {@code java -jar mptunnel.jar ARGS...} allowed at most {@code files} open descriptors. */
    static ToolProcess startWithFileLimit(int files, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of("sh", "-c", "ulimit -n " + files + " && exec \"$0\" \"$@\"",
                JAVA));
        command.addAll(JVM_OPTIONS);
        command.addAll(List.of("-jar", JAR.toString()));
        command.addAll(List.of(args));
        return new ToolProcess(new ProcessBuilder(command).start());
    }

    /** Starts {@code java -jar mptunnel.jar ARGS...} with SIGHUP ignored, as {@code nohup} starts a program. */
    static ToolProcess startWithHangupIgnored(String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of("sh", "-c", "trap '' HUP && exec \"$0\" \"$@\"", JAVA));
        command.addAll(JVM_OPTIONS);
        command.addAll(List.of("-jar", JAR.toString()));
        command.addAll(List.of(args));
        return new ToolProcess(new ProcessBuilder(command).start());
    }

    /**
     * Starts {@code java JVM_OPTIONS JAVA_ARGUMENTS...} inside a network namespace ({@code ip netns
     * exec}), e.g. {@code -jar mptunnel.jar mpclient ...} or {@code -cp CLASSES MAIN ...}.
     */
    static ToolProcess startInNamespace(String namespace, List<String> javaArguments) throws IOException {
        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", namespace, JAVA));
        command.addAll(JVM_OPTIONS);
        command.addAll(javaArguments);
        return new ToolProcess(new ProcessBuilder(command).start());
    }

    /** Starts a program other than the jar, e.g. a launcher script. */
    static ToolProcess startCommand(String... command) throws IOException {
        return new ToolProcess(new ProcessBuilder(command).start());
    }

    /** Runs the jar to its end and returns the finished process. */
    static ToolProcess run(Duration timeout, String... args) throws IOException, InterruptedException {
        ToolProcess tool = start(args);
        tool.awaitExit(timeout);
        return tool;
    }

    /** @param times null, or where the time each line came is added */
    private static Thread pump(InputStream stream, List<String> lines, List<Long> times) {
        Thread t = new Thread(() -> {
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
                for (String line; (line = reader.readLine()) != null; ) {
                    synchronized (lines) {
                        lines.add(line);
                        if (times != null) {
                            times.add(System.nanoTime());
                        }
                        lines.notifyAll();
                    }
                }
            } catch (IOException e) {
                // the process is gone
            }
        }, "pump");
        t.setDaemon(true);
        t.start();
        return t;
    }

    /**
     * Waits for a stdout line matching {@code regex} and returns the match.
     *
     * @throws AssertionError with everything the process printed if none comes in time
     */
    Matcher awaitOut(String regex, Duration timeout) throws InterruptedException {
        return await(out, outPump, regex, timeout);
    }

    /** Waits for a stderr line (the log) matching {@code regex}; see {@link #awaitOut}. */
    Matcher awaitErr(String regex, Duration timeout) throws InterruptedException {
        return await(err, errPump, regex, timeout);
    }

    private Matcher await(List<String> lines, Thread pump, String regex, Duration timeout) throws InterruptedException {
        Pattern pattern = Pattern.compile(regex);
        long deadline = System.nanoTime() + timeout.toNanos();
        int checked = 0;
        synchronized (lines) {
            while (true) {
                for (; checked < lines.size(); checked++) {
                    Matcher m = pattern.matcher(lines.get(checked));
                    if (m.find()) {
                        return m;
                    }
                }
                long left = deadline - System.nanoTime();
                if (left <= 0 || (!process.isAlive() && !pump.isAlive())) {
                    throw new AssertionError("no line matching '" + regex + "' within " + timeout + "\n" + transcript());
                }
                lines.wait(Math.max(1, Math.min(100, TimeUnit.NANOSECONDS.toMillis(left))));
            }
        }
    }

    /**
     * Waits for the stdout line numbered {@code index} (from 0), for a test that reads every line
     * in turn.
     *
     * @throws AssertionError with everything the process printed if it does not come in time
     */
    String awaitOutLine(int index, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (out) {
            while (out.size() <= index) {
                long left = deadline - System.nanoTime();
                if (left <= 0 || (!process.isAlive() && !outPump.isAlive())) {
                    throw new AssertionError("no stdout line " + index + " within " + timeout
                            + (process.isAlive() ? "" : " (the process ended)") + "\n" + transcript());
                }
                out.wait(Math.max(1, Math.min(100, TimeUnit.NANOSECONDS.toMillis(left))));
            }
            return out.get(index);
        }
    }

    /** @return when the stdout line numbered {@code index} came ({@link System#nanoTime}); it must have */
    long outLineNanos(int index) {
        synchronized (out) {
            return outNanos.get(index);
        }
    }

    /** @return how many stdout lines have come so far: the index of the next one */
    int outLineCount() {
        synchronized (out) {
            return out.size();
        }
    }

    /** Writes one line to the process's stdin. */
    void send(String line) throws IOException {
        process.getOutputStream().write((line + "\n").getBytes(StandardCharsets.UTF_8));
        process.getOutputStream().flush();
    }

    /** Closes the process's stdin: the end of its input. */
    void closeInput() throws IOException {
        process.getOutputStream().close();
    }

    /** @return the port in the tool's "listening on HOST:PORT" line */
    int awaitListeningPort() throws InterruptedException {
        return Integer.parseInt(awaitOut("listening on \\S+:(\\d+)", Duration.ofSeconds(20)).group(1));
    }

    /** Waits for the process to end; returns its status. */
    int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("did not exit within " + timeout + "\n" + transcript());
        }
        outPump.join(5_000);
        errPump.join(5_000);
        return process.exitValue();
    }

    /** Sends SIGKILL, as {@code kill -9} does: no shutdown hook runs, as in a crash. */
    void kill() throws InterruptedException {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }

    /**
     * Sends SIGTERM, as {@code kill} does. Through the process handle: {@code Process.destroy()}
     * also closes our ends of its pipes, so the tool's closing summary would be lost.
     */
    void terminate() {
        process.toHandle().destroy();
    }

    /** @return the process id, e.g. to read {@code /proc/PID} */
    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    int exitValue() {
        return process.exitValue();
    }

    String stdout() {
        synchronized (out) {
            return String.join("\n", out);
        }
    }

    String stderr() {
        synchronized (err) {
            return String.join("\n", err);
        }
    }

    String transcript() {
        return "--- stdout\n" + stdout() + "\n--- stderr\n" + stderr();
    }

    /** Ends the process, forcibly if it does not stop on SIGTERM within a few seconds. */
    @Override
    public void close() {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
