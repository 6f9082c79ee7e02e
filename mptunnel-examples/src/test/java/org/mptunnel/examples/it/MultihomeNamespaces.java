package org.mptunnel.examples.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import org.junit.jupiter.api.Assumptions;

/**
 * The namespaces of the README's Wi-Fi and LTE recipe, made by {@code recipes/multihome.sh --serve}:
 * a laptop with two uplinks (wlan0, wwan0), the two ISPs, the server. The script stays running
 * while a test uses them, applies its commands (an uplink down, an address changed) and, when its
 * input ends (this object closed, or the test's JVM gone), ends what still runs in them and
 * deletes them.
 */
final class MultihomeNamespaces implements AutoCloseable {

    /** The laptop's uplinks, Wi-Fi and LTE. */
    static final List<String> UPLINKS = List.of("wlan0", "wwan0");
    /**
     * The server's two addresses as the laptop sees them, one per uplink (in {@link #UPLINKS}' order):
     * each path goes to one, and the laptop's routing sends it over its uplink.
     */
    static final List<String> SERVER_ADDRESSES = List.of("203.0.113.1", "203.0.113.2");
    /** The laptop's address on each uplink, then the address a test may move it to, and back. */
    static final List<String> LAPTOP_ADDRESSES = List.of("10.231.1.2", "10.231.2.2");
    static final List<String> LAPTOP_OTHER_ADDRESSES = List.of("10.231.1.12", "10.231.2.12");
    /** The mpserver's address in the server's namespace. */
    static final String SERVER = "10.231.3.2";
    /**
     * Most seconds the script waits for commands before it cleans up by itself, should a test hang
     * with its JVM alive (when the JVM ends, the script's input ends): longer than FailoverIT's
     * three tests at their time limit.
     */
    private static final int MAX_SECONDS = 1_000;

    private final ToolProcess script;
    private final String laptop;
    private final String isps;
    private final String server;

    private MultihomeNamespaces(ToolProcess script, Matcher ready) {
        this.script = script;
        this.laptop = ready.group(1);
        this.isps = ready.group(2);
        this.server = ready.group(3);
    }

    /**
     * Makes the namespaces; skips the calling test, with one line that says why, when this JVM
     * is not root (only root can make network namespaces).
     */
    static MultihomeNamespaces start() throws IOException, InterruptedException {
        Object uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        Assumptions.assumeTrue(Integer.valueOf(0).equals(uid),
                "skipped: making network namespaces needs root, and this JVM runs as uid " + uid + " (CI runs it as root)");
        Path script = Path.of(System.getProperty("mptunnel.root", ".."), "recipes", "multihome.sh").toAbsolutePath()
                .normalize();
        ToolProcess process = ToolProcess.startCommand("env", "MH_MAX_SECONDS=" + MAX_SECONDS, "bash",
                script.toString(), "--serve");
        try {
            return new MultihomeNamespaces(process, process.awaitOut(
                    "multihome: ready laptop=(\\S+) isps=(\\S+) server=(\\S+)", Duration.ofSeconds(30)));
        } catch (AssertionError | InterruptedException e) {
            process.close();
            throw e;
        }
    }

    String laptop() {
        return laptop;
    }

    String isps() {
        return isps;
    }

    String server() {
        return server;
    }

    /**
     * Runs one of the script's commands (see recipes/multihome.sh) and waits until it is done.
     *
     * @return when the script said it was done ({@link System#nanoTime})
     */
    long run(String command) throws IOException, InterruptedException {
        int from = script.outLineCount();
        script.send(command);
        for (int i = from; ; i++) {
            String line = script.awaitOutLine(i, Duration.ofSeconds(20));
            assertThat(line).as("recipes/multihome.sh: %s%n%s", command, script.transcript())
                    .isNotEqualTo("failed " + command);
            if (line.equals("done " + command)) {
                return script.outLineNanos(i);
            }
        }
    }

    /** Starts a tool of mptunnel.jar in {@code namespace}. */
    static ToolProcess tool(String namespace, String... args) throws IOException {
        List<String> java = new ArrayList<>(List.of("-jar", ToolProcess.JAR.toAbsolutePath().toString()));
        java.addAll(List.of(args));
        return ToolProcess.startInNamespace(namespace, java);
    }

    /** Starts {@link NamespaceTraffic} in {@code namespace}. */
    static ToolProcess traffic(String namespace, String... args) throws IOException {
        List<String> java = new ArrayList<>(List.of("-cp", Path.of("target", "test-classes").toAbsolutePath().toString(),
                NamespaceTraffic.class.getName()));
        java.addAll(List.of(args));
        return ToolProcess.startInNamespace(namespace, java);
    }

    /** Ends the script's input: it ends what still runs in the namespaces and deletes them. */
    @Override
    public void close() throws IOException, InterruptedException {
        try {
            script.closeInput();
            script.awaitExit(Duration.ofSeconds(30));
        } finally {
            script.close();
        }
    }
}
