package org.mptunnel.examples.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * The C original (greensea/mptunnel, BSD licence), built from its unmodified source beside the
 * repository and run as processes. Its tools listen on fixed ports whatever their arguments say:
 * mpserver on UDP {@value #SERVER_PORT}, mpclient on {@value #CLIENT_PORT}, both on all interfaces;
 * {@code MPTUNNEL_ENCRYPT=0} turns its obfuscation off; it logs every datagram to stderr.
 */
final class COriginal {

    static final int SERVER_PORT = 3002;
    static final int CLIENT_PORT = 3210;
    /** Where the source is (read-only): {@code ../shared/c-mptunnel} beside the repository unless set. */
    static final Path SOURCE = Path.of(System.getProperty("mptunnel.cSource", "../../shared/c-mptunnel"));
    /** The build, cached: rebuilt only when the source changes. */
    static final Path BUILD = Path.of(System.getProperty("mptunnel.cBuild", "target/c-mptunnel"));
    private static final String FINGERPRINT_FILE = ".source-sha256";
    private static final Duration BUILD_TIMEOUT = Duration.ofMinutes(3);

    /** Every C process still running, killed if the test JVM is stopped before its tests clean up. */
    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(Process::destroyForcibly), "kill-c-tools"));
    }

    private COriginal() {
    }

    /**
     * Builds the C tools in a copy of their source under {@link #BUILD}, or finds them built from
     * the same source. Without the source or a C tool chain the test is skipped with one line,
     * unless it runs as root or in CI ({@code CI} set), where it must run: there it fails, saying
     * what to install.
     *
     * @return the directory holding {@code mpclient} and {@code mpserver}
     */
    static Path build() throws IOException, InterruptedException {
        List<String> missing = new ArrayList<>();
        if (!Files.isRegularFile(SOURCE.resolve("Makefile"))) {
            missing.add("the C source in " + SOURCE.toAbsolutePath().normalize() + " (-Dmptunnel.cSource=DIR)");
        }
        for (String tool : List.of("make", "gcc")) {
            if (!onPath(tool)) {
                missing.add(tool);
            }
        }
        if (!Files.exists(Path.of("/usr/include/ev.h")) && !Files.exists(Path.of("/usr/include/libev/ev.h"))) {
            missing.add("libev's header (Debian: apt-get install -y libev-dev gettext)");
        }
        if (!missing.isEmpty()) {
            String message = "C original interop test needs " + String.join(", ", missing);
            boolean mustRun = "root".equals(System.getProperty("user.name")) || System.getenv("CI") != null;
            if (mustRun) {
                throw new AssertionError(message + " (it must run as root or in CI; .ci/run installs what it needs)");
            }
            System.out.println(message + ": skipped"); // the one line that says why, in the build's output
            Assumptions.abort(message + ": skipped");
        }
        String fingerprint = fingerprint(SOURCE);
        Path stamp = BUILD.resolve(FINGERPRINT_FILE);
        if (Files.isExecutable(BUILD.resolve("mpserver")) && Files.isExecutable(BUILD.resolve("mpclient"))
                && Files.isRegularFile(stamp) && Files.readString(stamp).equals(fingerprint)) {
            return BUILD;
        }
        Path work = Files.createDirectories(BUILD.getParent()).resolve(BUILD.getFileName() + ".building");
        deleteTree(work);
        copyTree(SOURCE, work);
        Path log = work.resolve("make.log");
        Process make = new ProcessBuilder("make").directory(work.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        try {
            if (!make.waitFor(BUILD_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError("make of the C original did not finish within " + BUILD_TIMEOUT);
            }
        } finally {
            make.destroyForcibly();
        }
        assertThat(make.exitValue()).as("make of the C original, see " + log + "\n" + Files.readString(log)).isZero();
        Files.writeString(work.resolve(FINGERPRINT_FILE), fingerprint);
        deleteTree(BUILD);
        Files.move(work, BUILD, StandardCopyOption.ATOMIC_MOVE);
        return BUILD;
    }

    /** Fails, naming the port, if a C tool's fixed port is taken: it would exit at once. */
    static void assertPortsFree() {
        for (int port : new int[] {SERVER_PORT, CLIENT_PORT}) {
            try (DatagramSocket probe = new DatagramSocket(new InetSocketAddress(port))) {
                probe.getLocalPort();
            } catch (BindException e) {
                throw new AssertionError("UDP port " + port + " is in use; the C original's tools always listen on "
                        + SERVER_PORT + " and " + CLIENT_PORT, e);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /**
     * Starts the C {@code mpserver} in front of {@code targetPort} on loopback; returns once its port is bound.
     *
     * @param log where its stdout and stderr go
     */
    static Native startServer(Path bin, int targetPort, boolean obfuscated, Path log) throws IOException {
        Native server = new Native(bin, log, obfuscated, "./mpserver", String.valueOf(SERVER_PORT), "127.0.0.1",
                String.valueOf(targetPort));
        try {
            server.awaitBound(SERVER_PORT);
        } catch (RuntimeException | Error e) {
            server.close();
            throw e;
        }
        return server;
    }

    /**
     * Starts the C {@code mpclient} with one path per {@code HOST PORT} line of {@code config};
     * returns once it reads applications' datagrams and has opened its paths.
     */
    static Native startClient(Path bin, Path config, boolean obfuscated, Path log) throws IOException {
        Native client = new Native(bin, log, obfuscated, "./mpclient", config.toAbsolutePath().toString());
        try {
            client.awaitLog("Starting libev thread");
        } catch (RuntimeException | Error e) {
            client.close();
            throw e;
        }
        return client;
    }

    /**
     * @return the UDP datagrams the kernel dropped at a full receive buffer of any socket of
     *         process {@code pid} (Linux; 0 where /proc cannot tell): where a stall shows
     */
    static long socketDrops(long pid) throws IOException {
        Set<String> inodes = new java.util.HashSet<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc", String.valueOf(pid), "fd"))) {
            for (Path fd : (Iterable<Path>) fds::iterator) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[")) {
                        inodes.add(target.substring(8, target.length() - 1));
                    }
                } catch (IOException e) {
                    // closed meanwhile
                }
            }
        } catch (IOException e) {
            return 0;
        }
        long drops = 0;
        for (String table : List.of("/proc/net/udp", "/proc/net/udp6")) {
            List<String> lines = Files.readAllLines(Path.of(table));
            for (String line : lines.subList(1, lines.size())) {
                String[] columns = line.trim().split("\\s+");
                if (inodes.contains(columns[9])) {
                    drops += Long.parseLong(columns[columns.length - 1]);
                }
            }
        }
        return drops;
    }

    /** A running C tool; its output goes to a file (it logs every datagram). */
    static final class Native implements AutoCloseable {
        private final Process process;
        private final Path log;

        private Native(Path bin, Path log, boolean obfuscated, String... command) throws IOException {
            this.log = log;
            ProcessBuilder builder = new ProcessBuilder(command).directory(bin.toFile())
                    .redirectErrorStream(true).redirectOutput(log.toFile());
            builder.environment().put("MPTUNNEL_ENCRYPT", obfuscated ? "1" : "0");
            builder.environment().put("LC_ALL", "C"); // its messages untranslated: the test reads them
            this.process = builder.start();
            LIVE.add(process);
        }

        long pid() {
            return process.pid();
        }

        /** Waits until the kernel lists a UDP socket on {@code port}, the C mpserver's only sign of being ready. */
        void awaitBound(int port) throws IOException {
            String wildcard = String.format(" 00000000:%04X ", port); // 0.0.0.0:port, as the C tools bind
            awaitCondition("a UDP socket on 0.0.0.0:" + port, () -> {
                try (Stream<String> lines = Files.lines(Path.of("/proc/net/udp"))) {
                    return lines.anyMatch(line -> line.contains(wildcard));
                }
            });
        }

        void awaitLog(String text) throws IOException {
            awaitCondition("'" + text + "' in its log", () -> Files.readString(log, StandardCharsets.ISO_8859_1).contains(text));
        }

        private interface Check {
            boolean holds() throws IOException;
        }

        private void awaitCondition(String what, Check check) throws IOException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!check.holds()) {
                if (!process.isAlive() || System.nanoTime() - deadline > 0) {
                    throw new AssertionError("C tool " + (process.isAlive() ? "still alive" : "exited") + " without "
                            + what + "; its log " + log + ":\n" + tail());
                }
                try {
                    process.waitFor(20, TimeUnit.MILLISECONDS); // returns early if it exits
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError("interrupted", e);
                }
            }
        }

        /** @return the last lines of its log, for a failure message */
        String tail() throws IOException {
            List<String> lines = Files.readAllLines(log, StandardCharsets.ISO_8859_1);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        }

        /** Kills it (it has no orderly shutdown) and waits, boundedly, until it is gone. */
        @Override
        public void close() {
            try {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            LIVE.remove(process);
        }
    }

    private static boolean onPath(String program) {
        String path = System.getenv("PATH");
        return path != null && Stream.of(path.split(File.pathSeparator))
                .anyMatch(dir -> !dir.isEmpty() && Files.isExecutable(Path.of(dir, program)));
    }

    /** SHA-256 over the source files' names and contents, so that a changed source is built again. */
    private static String fingerprint(Path source) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        try (Stream<Path> files = Files.walk(source)) {
            for (Path file : (Iterable<Path>) files.filter(Files::isRegularFile).sorted()::iterator) {
                digest.update(source.relativize(file).toString().getBytes(StandardCharsets.UTF_8));
                digest.update(Files.readAllBytes(file));
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                Path target = to.resolve(from.relativize(file).toString());
                if (Files.isDirectory(file)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(file, target, StandardCopyOption.COPY_ATTRIBUTES);
                    target.toFile().setWritable(true, true); // the source may be read-only; make writes into its copy
                }
            }
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path file : (Iterable<Path>) files.sorted((a, b) -> b.getNameCount() - a.getNameCount())::iterator) {
                Files.delete(file);
            }
        }
    }
}
