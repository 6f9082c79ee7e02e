package org.mptunnel.benchmarks.harness;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One process of the topology (a tool of {@code mptunnel.jar}, or the echo target). Its stdout and
 * stderr go, line by line, to a log file named after it; the last lines are kept for error messages.
 * It is stopped with SIGTERM, so that a tool prints its closing summary into the log.
 */
final class ChildProcess implements AutoCloseable {

    private static final Pattern LISTENING = Pattern.compile("listening on \\S+:(\\d+)");
    private static final int KEPT_LINES = 40;

    private final String name;
    private final Process process;
    private final PrintWriter log;
    private final Deque<String> lastLines = new ArrayDeque<>();
    private final Thread outPump;
    private final Thread errPump;
    /** Guarded by {@code lastLines}. */
    private int listeningPort = -1;
    /** Lines of stdout starting with this are kept with their arrival time; null: none. */
    private volatile String watchedPrefix;
    /** Guarded by {@code lastLines}. */
    private final java.util.List<TimedLine> watched = new java.util.ArrayList<>();

    /** A line of output and when the harness read it, on {@link System#nanoTime()}'s clock. */
    record TimedLine(long nanos, String line) {
    }

    private ChildProcess(String name, Process process, PrintWriter log) {
        this.name = name;
        this.process = process;
        this.log = log;
        this.outPump = pump(process.getInputStream(), "");
        this.errPump = pump(process.getErrorStream(), "[err] ");
    }

    /**
     * Starts {@code command}, logging its output to {@code logDir/NAME.log}.
     *
     * @throws IOException if the process cannot start or the log cannot be written
     */
    static ChildProcess start(String name, List<String> command, Path logDir) throws IOException {
        Files.createDirectories(logDir);
        Writer file = Files.newBufferedWriter(logDir.resolve(name + ".log"), StandardCharsets.UTF_8);
        PrintWriter log = new PrintWriter(file, true);
        log.println("# " + String.join(" ", command));
        Process process;
        try {
            process = new ProcessBuilder(command).start();
        } catch (IOException e) {
            log.close();
            throw e;
        }
        return new ChildProcess(name, process, log);
    }

    private Thread pump(InputStream stream, String prefix) {
        Thread t = new Thread(() -> {
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
                for (String line; (line = reader.readLine()) != null; ) {
                    long now = System.nanoTime();
                    String watch = watchedPrefix;
                    synchronized (lastLines) {
                        if (watch != null && prefix.isEmpty() && line.startsWith(watch)) {
                            watched.add(new TimedLine(now, line));
                        }
                        log.println(prefix + line);
                        lastLines.addLast(prefix + line);
                        if (lastLines.size() > KEPT_LINES) {
                            lastLines.removeFirst();
                        }
                        Matcher m = LISTENING.matcher(line);
                        if (listeningPort < 0 && m.find()) {
                            listeningPort = Integer.parseInt(m.group(1));
                        }
                        lastLines.notifyAll();
                    }
                }
            } catch (IOException e) {
                // the process is gone
            }
        }, "pump-" + name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    String name() {
        return name;
    }

    long pid() {
        return process.pid();
    }

    ProcessHandle handle() {
        return process.toHandle();
    }

    /**
     * Waits for the {@code listening on HOST:PORT} line every tool prints once it is bound.
     *
     * @return the port
     * @throws IOException with the process's last output if none comes in time or it ended
     */
    int awaitListeningPort(Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lastLines) {
            while (listeningPort < 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0 || (!process.isAlive() && !outPump.isAlive())) {
                    throw new IOException(name + " did not report its port within " + timeout.toSeconds()
                            + " s (alive: " + process.isAlive() + "); its last output:\n  "
                            + String.join("\n  ", lastLines));
                }
                lastLines.wait(Math.max(1, Math.min(100, TimeUnit.NANOSECONDS.toMillis(left))));
            }
            return listeningPort;
        }
    }

    /** From now on, keeps every stdout line that starts with {@code prefix}, with its arrival time. */
    void watch(String prefix) {
        watchedPrefix = prefix;
    }

    /** @return the watched lines so far, oldest first */
    java.util.List<TimedLine> watchedLines() {
        synchronized (lastLines) {
            return java.util.List.copyOf(watched);
        }
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /**
     * Stops the process: SIGTERM (through the handle, as {@code Process.destroy()} would also close
     * our ends of its pipes and lose its summary), then SIGKILL if it is still there after
     * {@code grace}.
     */
    void stop(Duration grace) {
        try {
            if (process.isAlive()) {
                process.toHandle().destroy();
                if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                    log.println("# did not stop on SIGTERM within " + grace.toMillis() + " ms: killed");
                    process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            }
            outPump.join(2_000);
            errPump.join(2_000);
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        } finally {
            synchronized (lastLines) {
                log.close();
            }
        }
    }

    @Override
    public void close() {
        stop(Duration.ofSeconds(5));
    }
}
