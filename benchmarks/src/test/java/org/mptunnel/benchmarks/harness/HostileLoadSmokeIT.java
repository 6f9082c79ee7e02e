package org.mptunnel.benchmarks.harness;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * HostileLoad's quick self-check: both topologies as processes, two floods that attack from other
 * loopback addresses, one-second rows. It proves the benchmark runs, not what the figures are.
 */
class HostileLoadSmokeIT {

    private static final Path JAR = Path.of(System.getProperty("mptunnel.jar", "../mptunnel-examples/target/mptunnel.jar"));

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void aQuickRunMeasuresTheFlowDuringEachChosenFloodAndTheBaselines() throws Exception {
        assertThat(JAR).as("mptunnel.jar: build mptunnel-examples first (mvn -B -DskipTests package)").isRegularFile();

        String report = HostileLoad.run(JAR, Path.of("target/hostile-smoke"), 200, Duration.ofSeconds(1), "ed 60 KB");

        assertThat(report.lines().filter(l -> l.startsWith("| v1 | — | none (baseline"))).hasSize(2);
        assertThat(report.lines().filter(l -> l.startsWith("| v2 | — | none (baseline"))).hasSize(2);
        assertThat(report).contains("| v2 | 10 | forged 60 KB DATA (v2) | ").doesNotContain("DIED");
        assertThat(report.lines().filter(l -> l.startsWith("| v"))).allSatisfy(row ->
                assertThat(row).matches("\\| v[12] \\| .* \\| [0-9.]+ % \\| [0-9.]+ ms \\| [0-9.]+ ms \\| .*"));
    }
}
