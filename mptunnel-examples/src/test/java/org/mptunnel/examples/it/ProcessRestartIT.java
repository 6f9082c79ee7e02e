package org.mptunnel.examples.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The C original's worst bug: when one end stops, both must be restarted by hand. Here each end is
 * killed and started again as a process, and the other end carries on by itself.
 */
class ProcessRestartIT {

    private static final String KEEPALIVE = "100ms";
    private static final long KEEPALIVE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
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

    @ParameterizedTest(name = "encrypted: {0}")
    @ValueSource(booleans = {false, true})
    @Timeout(120)
    void aKilledAndRestartedServerIsUsedAgainWithoutTouchingTheClient(boolean encrypted) throws Exception {
        List<String> env = environment(encrypted);
        TestEcho echo = track(new TestEcho());
        ToolProcess server = track(startServer("0", echo, env));
        String port = String.valueOf(server.awaitListeningPort());
        ToolProcess bridge = track(ToolProcess.start("mpbridge", "--bind", "127.0.0.1", "0", "127.0.0.1", port));
        Path config = Files.writeString(dir.resolve("mpclient.conf"),
                "127.0.0.1 " + port + "\n127.0.0.1 " + bridge.awaitListeningPort() + "\n");
        ToolProcess client = track(ToolProcess.startWithEnvironment(env, "mpclient", "--listen", "127.0.0.1:0",
                "--keepalive", KEEPALIVE, config.toString()));
        RequestStream app = track(new RequestStream(client.awaitListeningPort(), RATE, 100_000));

        await().atMost(Duration.ofSeconds(20)).until(() -> app.answered(0, app.sent()) >= 200);
        server.kill();
        long killedAt = System.nanoTime();
        int firstWhileDown = app.firstSentAfter(killedAt);
        await().atMost(Duration.ofSeconds(10)).until(() -> app.sent() >= firstWhileDown + RATE / 2); // half a second down

        ToolProcess restarted = track(startServer(port, echo, env));
        restarted.awaitListeningPort();
        long backAt = System.nanoTime();
        await().atMost(Duration.ofSeconds(10)).until(() -> app.firstAnswerAfter(backAt) > 0);
        long recoveredMillis = TimeUnit.NANOSECONDS.toMillis(app.firstAnswerAfter(backAt) - backAt);
        // Encrypted, the client must first notice the silence and complete a new handshake, which it
        // retries with a backoff: so what must all be answered is counted from the first reply.
        int firstAfterBack = app.firstSentAfter(app.firstAnswerAfter(backAt) + 2 * KEEPALIVE_NANOS);
        await().atMost(Duration.ofSeconds(10)).until(() -> app.sent() >= firstAfterBack + 400);
        int lastChecked = firstAfterBack + 400;
        await().atMost(Duration.ofSeconds(10)).until(() -> app.answered(firstAfterBack, lastChecked) == 400);

        int beforeKill = firstWhileDown - RATE / 10; // the last 100 ms before the kill may be in flight
        System.out.printf("mpserver restart%s: first reply %d ms after it was back (keepalive %s); answered: "
                        + "%d/%d before the kill, %d/%d while down, %d/%d from 2 keepalives after the first reply%n",
                encrypted ? " (encrypted)" : "", recoveredMillis, KEEPALIVE, app.answered(0, beforeKill), beforeKill,
                app.answered(firstWhileDown, app.firstSentAfter(backAt)), app.firstSentAfter(backAt) - firstWhileDown,
                app.answered(firstAfterBack, lastChecked), lastChecked - firstAfterBack);
        assertThat(app.answered(0, beforeKill)).as("answered before the kill").isEqualTo(beforeKill);
    }

    @ParameterizedTest(name = "encrypted: {0}")
    @ValueSource(booleans = {false, true})
    @Timeout(120)
    void aRestartedClientIsServedAtOnceAndItsOldSessionExpires(boolean encrypted) throws Exception {
        List<String> env = environment(encrypted);
        TestEcho echo = track(new TestEcho());
        ToolProcess server = track(ToolProcess.startWithEnvironment(env, "mpserver", "--bind", "127.0.0.1", "--keepalive", KEEPALIVE,
                "--session-idle-timeout", "1s", "0", "127.0.0.1", String.valueOf(echo.port())));
        Path config = Files.writeString(dir.resolve("mpclient.conf"), "127.0.0.1 " + server.awaitListeningPort() + "\n");

        ToolProcess first = track(ToolProcess.startWithEnvironment(env, "mpclient", "--listen", "127.0.0.1:0", "--keepalive", KEEPALIVE,
                config.toString()));
        RequestStream firstApp = track(new RequestStream(first.awaitListeningPort(), RATE, 10_000));
        await().atMost(Duration.ofSeconds(20)).until(() -> firstApp.answered(0, firstApp.sent()) >= 50);
        first.kill();
        firstApp.close();

        ToolProcess second = track(ToolProcess.startWithEnvironment(env, "mpclient", "--listen", "127.0.0.1:0", "--keepalive", KEEPALIVE,
                config.toString()));
        RequestStream secondApp = track(new RequestStream(second.awaitListeningPort(), RATE, 10_000));
        await().atMost(Duration.ofSeconds(20)).until(() -> secondApp.sent() >= 100);
        await().atMost(Duration.ofSeconds(10)).until(() -> secondApp.answered(0, 100) == 100);

        // A flow session's line counts its flows' sockets: "target socket(s) closed".
        server.awaitErr("session \\S+ (expired|closed).*target socket(\\(s\\))? closed", Duration.ofSeconds(30));
        System.out.println("mpclient restart" + (encrypted ? " (encrypted)" : "") + ": new session served from its first request; old session expired, its target socket closed");
    }

    /** The same fixed key at both ends, through the environment, or none. */
    private static List<String> environment(boolean encrypted) {
        return encrypted ? List.of("MPTUNNEL_KEY=" + "5a".repeat(32)) : List.of();
    }

    private static ToolProcess startServer(String port, TestEcho echo, List<String> env) throws Exception {
        return ToolProcess.startWithEnvironment(env, "mpserver", "--bind", "127.0.0.1", "--keepalive", KEEPALIVE, port, "127.0.0.1",
                String.valueOf(echo.port()));
    }
}
