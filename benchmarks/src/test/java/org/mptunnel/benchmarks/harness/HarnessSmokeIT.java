package org.mptunnel.benchmarks.harness;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The harness's quick self-check, as {@code mvn verify} runs it: the whole topology as processes,
 * low rates, one-second steps. It proves the harness works, not how fast the tunnel is.
 */
class HarnessSmokeIT {

    private static final Path JAR = Path.of(System.getProperty("mptunnel.jar", "../mptunnel-examples/target/mptunnel.jar"));
    private static final Path OUT = Path.of(System.getProperty("harness.out", "target/harness-smoke"));

    @Test
    @Timeout(value = 50, unit = TimeUnit.SECONDS)
    void quickRunMeasuresEveryFigureAndWritesEveryFile() throws Exception {
        assertThat(JAR).as("mptunnel.jar: build mptunnel-examples first (mvn -B -DskipTests package)").isRegularFile();
        HarnessOptions options = HarnessOptions.parse("--quick", "--jar", JAR.toString(), "--out", OUT.toString());

        Report report = Harness.run(options, System.err);

        assertThat(report.selfCheckProblem(0.05)).isNull();
        assertThat(report.sustained("tunnel")).isNotNull();
        assertThat(report.sustained("bare")).isNotNull();
        assertThat(report.latency("tunnel").result().rtt().getTotalCount()).isPositive();
        assertThat(report.latency("bare").result().rtt().getTotalCount()).isPositive();
        // 2,000 datagrams through 3 bridges losing 20 % each way: about 1.6 % lost; far below 10 %,
        // far above what a single 20 % path would lose either way (36 %).
        assertThat(report.lossy().result().loss()).isBetween(0.0, 0.10);
        assertThat(report.lossy().result().duplicates()).isZero();

        assertThat(report.markdown()).contains("| sustained echo rate", "| RTT p50 at 5,000/s", "| round-trip loss");
        assertThat(Files.readString(OUT.resolve("steps.csv"), StandardCharsets.UTF_8))
                .startsWith("phase,path,").contains("sweep,tunnel,", "sweep,bare,", "latency,tunnel,", "lossy,lossy-tunnel,");
        assertThat(Files.readString(OUT.resolve("summary.csv"), StandardCharsets.UTF_8)).contains("sustained_echoes_per_s,");
        assertThat(Files.readString(OUT.resolve("loss-vs-rate.svg"), StandardCharsets.UTF_8))
                .startsWith("<svg").contains("<polyline").endsWith("</svg>\n");
        assertThat(OUT.resolve("logs/tunnel-mpclient.log")).content().contains("mpclient summary");
    }
}
