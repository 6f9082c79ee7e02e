package org.mptunnel.examples.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * mpclient's paths change while it runs: SIGHUP re-reads its configuration file and moves the
 * running session to the new paths, and an invalid file changes nothing; automatic paths start
 * from the interfaces.
 */
class PathReloadIT {

    private static final int RATE = 200;

    private final Started started = new Started();

    @TempDir
    Path dir;

    @AfterEach
    void stopEverything() throws Exception {
        started.close();
    }

    private <T extends AutoCloseable> T track(T resource) {
        return started.track(resource);
    }

    /**
     * The session moves from bridge A to bridge B (leaving from 127.0.0.2) on SIGHUP with nothing
     * lost; then bridge A is killed and nothing is lost either, since the session no longer uses
     * it. An invalid file is refused in one line and the session goes on as it was.
     */
    @Test
    @Timeout(120)
    void sighupMovesTheRunningSessionToTheNewPathsAndAnInvalidFileKeepsThem() throws Exception {
        TestEcho echo = track(new TestEcho());
        ToolProcess server = track(ToolProcess.start("mpserver", "--bind", "127.0.0.1", "--keepalive", "100ms", "0",
                "127.0.0.1", String.valueOf(echo.port())));
        String port = String.valueOf(server.awaitListeningPort());
        ToolProcess bridgeA = track(ToolProcess.start("mpbridge", "--bind", "127.0.0.1", "0", "127.0.0.1", port));
        ToolProcess bridgeB = track(ToolProcess.start("mpbridge", "--bind", "127.0.0.1", "0", "127.0.0.1", port));
        int portA = bridgeA.awaitListeningPort();
        int portB = bridgeB.awaitListeningPort();
        Path config = Files.writeString(dir.resolve("mpclient.conf"), "127.0.0.1 " + portA + "\n");
        ToolProcess client = track(ToolProcess.start("mpclient", "--listen", "127.0.0.1:0", "--keepalive", "100ms",
                config.toString()));
        client.awaitOut("SIGHUP re-reads", Duration.ofSeconds(20));
        RequestStream app = track(new RequestStream(client.awaitListeningPort(), RATE, 100_000));
        await().atMost(Duration.ofSeconds(20)).until(() -> app.answered(0, app.sent()) >= 200);

        Files.writeString(config, "# moved\n127.0.0.1 " + portB + " 127.0.0.2\n");
        int beforeReload = app.sent();
        hangUp(client);
        awaitReload(client, "reloaded .*: 1 path\\(s\\), 1 added, 1 removed");
        int afterReload = app.sent();
        // Replies sent on A in the round trip before the server has validated B are lost with A's
        // socket (every path is replaced at once here): counted, not asserted.
        await().atMost(Duration.ofSeconds(10)).until(() -> app.sent() >= afterReload + RATE / 2);
        int settled = app.sent();

        bridgeA.kill();
        long killedAt = System.nanoTime();
        int firstAfterKill = app.firstSentAfter(killedAt);
        await().atMost(Duration.ofSeconds(10)).until(() -> app.sent() >= firstAfterKill + RATE);
        int checkedTo = firstAfterKill + RATE;
        await().atMost(Duration.ofSeconds(10)).until(() -> app.answered(settled, checkedTo) == checkedTo - settled);
        assertThat(app.answered(0, beforeReload)).as("answered before the reload").isEqualTo(beforeReload);

        Files.writeString(config, "127.0.0.1 " + portB + " 127.0.0.2\n127.0.0.1 notaport\n");
        hangUp(client);
        client.awaitErr("reload refused, the running paths are kept: .*mpclient.conf:2: 'notaport' is not a port number",
                Duration.ofSeconds(10));
        Files.writeString(config, "127.0.0.1 " + portB + " 192.0.2.1\n"); // TEST-NET-1: not this machine's
        hangUp(client);
        client.awaitErr("reload refused, the running paths are kept: path 127.0.0.1:" + portB
                + " 192.0.2.1:0: cannot bind 192.0.2.1", Duration.ofSeconds(10));
        int afterRefusals = app.sent();
        await().atMost(Duration.ofSeconds(10)).until(() -> app.sent() >= afterRefusals + RATE);
        int lastChecked = afterRefusals + RATE;
        await().atMost(Duration.ofSeconds(10)).until(() -> app.answered(settled, lastChecked) == lastChecked - settled);

        System.out.printf("SIGHUP reload from bridge A to bridge B: %d of the %d requests sent from the signal to "
                + "half a second after the reload unanswered; none of the %d after that (bridge A killed, two "
                + "reloads refused)%n", settled - beforeReload - app.answered(beforeReload, settled),
                settled - beforeReload, lastChecked - settled);
        assertThat(client.isAlive()).isTrue();
        assertThat(client.stderr()).doesNotContain("Exception");
    }

    /** The option the network-namespace tests start automatic mode with: one path per interface. */
    @Test
    @Timeout(60)
    void automaticPathsStartFromTheInterfacesAndCarryTraffic() throws Exception {
        TestEcho echo = track(new TestEcho());
        ToolProcess server = track(ToolProcess.start("mpserver", "--bind", "127.0.0.1", "0", "127.0.0.1",
                String.valueOf(echo.port())));
        String port = String.valueOf(server.awaitListeningPort());
        Path config = Files.writeString(dir.resolve("mpclient.conf"), "127.0.0.1 " + port + "\n");
        String lo = java.net.NetworkInterface.getByInetAddress(java.net.InetAddress.getLoopbackAddress()).getName();
        ToolProcess client = track(ToolProcess.start("mpclient", "--listen", "127.0.0.1:0", "--auto-paths",
                "--auto-loopback", "--auto-include", lo, "--auto-poll", "100ms", config.toString()));
        client.awaitOut("1 path\\(s\\): 127.0.0.1:" + port + " 127.0.0.1:0 \\(automatic\\)", Duration.ofSeconds(20));
        RequestStream app = track(new RequestStream(client.awaitListeningPort(), RATE, 10_000));
        await().atMost(Duration.ofSeconds(20)).until(() -> app.answered(0, app.sent()) >= 100);

        ToolProcess none = track(ToolProcess.start("mpclient", "--listen", "127.0.0.1:0", "--auto-paths",
                "--auto-include", lo, config.toString())); // loopback, but not --auto-loopback
        assertThat(none.awaitExit(Duration.ofSeconds(20))).isEqualTo(2);
        assertThat(none.stderr()).contains("error: --auto-paths: no usable interface for 127.0.0.1:" + port);
    }

    /**
     * Started with SIGHUP ignored (nohup), the JVM keeps it ignored whatever handler is set: mpclient
     * says so instead of promising a reload it cannot do.
     */
    @Test
    @Timeout(60)
    void startedWithHangupIgnoredItSaysItCannotReload() throws Exception {
        Path config = Files.writeString(dir.resolve("ignored.conf"), "127.0.0.1 9\n");
        ToolProcess client = track(ToolProcess.startWithHangupIgnored("mpclient", "--listen", "127.0.0.1:0",
                config.toString()));
        client.awaitListeningPort();
        client.awaitErr("SIGHUP is ignored by this process", Duration.ofSeconds(20));
        assertThat(client.stdout()).doesNotContain("SIGHUP re-reads");
    }

    /**
     * Waits for the reload's line; if it does not come, the client's threads are printed with the
     * failure (a full CI run twice saw no line at all within 10 s, which no targeted run showed).
     */
    private static void awaitReload(ToolProcess client, String line) throws Exception {
        try {
            client.awaitErr(line, Duration.ofSeconds(10));
        } catch (AssertionError e) {
            Process dump = new ProcessBuilder("jcmd", String.valueOf(client.pid()), "Thread.print")
                    .redirectErrorStream(true).start();
            String threads = new String(dump.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            throw new AssertionError(e.getMessage() + "\n--- the client's threads\n" + threads, e);
        }
    }

    private static void hangUp(ToolProcess tool) throws Exception {
        Process kill = new ProcessBuilder("kill", "-HUP", String.valueOf(tool.pid())).inheritIO().start();
        assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(kill.exitValue()).isZero();
    }
}
