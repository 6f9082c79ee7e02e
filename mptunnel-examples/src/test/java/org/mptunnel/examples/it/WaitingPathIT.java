package org.mptunnel.examples.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * mpclient started while one of its paths has no route (an uplink not up yet at boot): it starts
 * with the others and adds that path once the system can route it (with none routable it says so
 * and exits). In a network namespace of the
 * test's own (made and deleted here, only loopback in it): the second path's remote becomes
 * routable, and the mpserver's, when the test gives loopback an address in its network. Needs
 * root; skipped with one line otherwise.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class WaitingPathIT {

    private static final String LATE_REMOTE = "10.231.9.1";

    @Test
    void aPathWithoutARouteAtStartJoinsTheSessionOnceItHasOne(@TempDir Path dir) throws Exception {
        Object uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        Assumptions.assumeTrue(Integer.valueOf(0).equals(uid),
                "skipped: making a network namespace needs root, and this JVM runs as uid " + uid + " (CI runs it as root)");
        String namespace = "mptwait" + ProcessHandle.current().pid();
        ip("netns", "add", namespace);
        try {
            ip("-n", namespace, "link", "set", "lo", "up");
            Path lateOnly = dir.resolve("late-only.conf");
            Files.writeString(lateOnly, LATE_REMOTE + " 2000\n");
            try (ToolProcess none = MultihomeNamespaces.tool(namespace, "mpclient", "--listen", "127.0.0.1:0",
                    lateOnly.toString())) {
                none.awaitExit(Duration.ofSeconds(30));
                assertThat(none.exitValue()).as("no path at all: a failure, not a user error").isEqualTo(1);
                none.awaitErr("^error: .*no path has a route to its remote: path " + LATE_REMOTE.replace(".", "\\.")
                        + ":2000: ", Duration.ofSeconds(5));
            }
            Path config = dir.resolve("mpclient.conf");
            Files.writeString(config, "127.0.0.1 2000\n" + LATE_REMOTE + " 2000\n");
            try (ToolProcess server = MultihomeNamespaces.tool(namespace, "mpserver", "--keepalive", "100ms", "2000",
                    "127.0.0.1", "7");
                 ToolProcess client = MultihomeNamespaces.tool(namespace, "mpclient", "--listen", "127.0.0.1:0",
                         "--keepalive", "100ms", "--stats-interval", "0.1", config.toString())) {
                server.awaitListeningPort();
                client.awaitOut("listening on .*, 1 path\\(s\\): 127\\.0\\.0\\.1:2000, waiting for a route: "
                        + LATE_REMOTE.replace(".", "\\.") + ":2000", Duration.ofSeconds(30));
                client.awaitOut("path 127\\.0\\.0\\.1:2000 up", Duration.ofSeconds(20));

                ip("-n", namespace, "addr", "add", LATE_REMOTE + "/24", "dev", "lo");

                client.awaitErr("path " + LATE_REMOTE.replace(".", "\\.") + ":2000 is routable now: added",
                        Duration.ofSeconds(20));
                client.awaitOut("path " + LATE_REMOTE.replace(".", "\\.") + ":2000 up", Duration.ofSeconds(20));
            }
        } finally {
            deleteNamespace(namespace);
        }
    }

    /** Best effort, and it never hides the test's own failure: a namespace left over is said on stderr. */
    private static void deleteNamespace(String namespace) throws InterruptedException {
        try {
            Process process = new ProcessBuilder("ip", "netns", "del", namespace).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(10, TimeUnit.SECONDS) || process.exitValue() != 0) {
                System.err.println("WaitingPathIT: could not delete network namespace " + namespace + ": " + output);
            }
        } catch (IOException e) {
            System.err.println("WaitingPathIT: could not delete network namespace " + namespace + ": " + e);
        }
    }

    private static void ip(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("ip"));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(10, TimeUnit.SECONDS)).as("ip %s", String.join(" ", args)).isTrue();
        assertThat(process.exitValue()).as("ip %s: %s", String.join(" ", args), output).isZero();
    }
}
