package org.mptunnel.benchmarks.harness;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HarnessOptionsTest {

    @TempDir
    Path dir;

    @Test
    void fecLatencyWithItsBridgeDelayInMilliseconds() throws Exception {
        String jar = Files.createFile(dir.resolve("mptunnel.jar")).toString();

        HarnessOptions options = HarnessOptions.parse("--jar", jar, "--fec-latency", "--bridge-delay", "2.5");
        HarnessOptions defaults = HarnessOptions.parse("--jar", jar);

        assertThat(options.fecLatency()).isTrue();
        assertThat(options.bridgeDelay()).isEqualTo(Duration.ofNanos(2_500_000));
        assertThat(defaults.fecLatency()).isFalse();
        assertThat(defaults.bridgeDelay()).isEqualTo(Duration.ofMillis(10));
    }

    @Test
    void aBridgeDelayOutOfRangeIsRefused() throws Exception {
        String jar = Files.createFile(dir.resolve("mptunnel.jar")).toString();

        assertThatThrownBy(() -> HarnessOptions.parse("--jar", jar, "--bridge-delay", "-1"))
                .isInstanceOf(HarnessOptions.UsageException.class)
                .hasMessage("--bridge-delay must be between 0 and 10000 milliseconds, got -1");
        assertThatThrownBy(() -> HarnessOptions.parse("--jar", jar, "--bridge-delay", "soon"))
                .hasMessage("--bridge-delay needs a number, got soon");
    }

    @Test
    void bridgesRunTheToolsJarUnlessAnotherIsNamed() throws Exception {
        Path jar = Files.createFile(dir.resolve("mptunnel.jar"));
        Path other = Files.createFile(dir.resolve("other.jar"));

        assertThat(HarnessOptions.parse("--jar", jar.toString()).bridgeJar()).isEqualTo(jar.toAbsolutePath());
        assertThat(HarnessOptions.parse("--jar", jar.toString(), "--bridge-jar", other.toString()).bridgeJar())
                .isEqualTo(other.toAbsolutePath());
        assertThatThrownBy(() -> HarnessOptions.parse("--jar", jar.toString(), "--bridge-jar", dir.resolve("none.jar").toString()))
                .isInstanceOf(HarnessOptions.UsageException.class)
                .hasMessageStartingWith("--bridge-jar: no file at ");
    }
}
