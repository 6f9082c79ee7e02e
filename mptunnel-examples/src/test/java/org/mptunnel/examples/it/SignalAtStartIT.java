package org.mptunnel.examples.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A supervisor may stop a tool the moment it says {@code listening on}: a SIGTERM then must end it
 * as one later would, with its summary and status 0. The shutdown hook used to be registered only
 * after the line (and after the plaintext warning, whose logger may still be loading), so a signal
 * in between ended the JVM with status 143 and a stack trace from the tool's main thread.
 */
class SignalAtStartIT {

    private static final int ROUNDS = 4;

    private final Started started = new Started();

    @TempDir
    Path dir;

    @AfterEach
    void stopEverything() throws Exception {
        started.close();
    }

    @Test
    @Timeout(180)
    void aSigtermRightAfterListeningOnEndsEachToolCleanly() throws Exception {
        Path config = Files.writeString(dir.resolve("mpclient.conf"), "127.0.0.1 9\n"); // nothing is sent there
        List<String[]> tools = List.of(
                new String[] {"mpserver", "0", "127.0.0.1", "9", "--bind", "127.0.0.1"},
                new String[] {"mpclient", "--listen", "127.0.0.1:0", "--bind", "127.0.0.1", config.toString()},
                new String[] {"mpbridge", "0", "127.0.0.1", "9", "--bind", "127.0.0.1"});
        for (int round = 0; round < ROUNDS; round++) {
            for (String[] args : tools) {
                ToolProcess tool = started.track(ToolProcess.start(args));
                tool.awaitOut("listening on", Duration.ofSeconds(30));
                tool.terminate();
                int status = tool.awaitExit(Duration.ofSeconds(30));
                assertThat(status).as("%s's status\n%s", args[0], tool.transcript()).isZero();
                assertThat(tool.stderr()).as(args[0]).doesNotContain("Exception").doesNotContain("\tat ");
                assertThat(tool.stdout()).as(args[0]).contains("summary");
            }
        }
    }
}
