package org.mptunnel.benchmarks.harness;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code Harness --fec-latency} end to end, shortened: the real tools, bridges writing their drop
 * logs, and the harness telling the datagrams fec:8:4 rebuilt from those carried. It proves the
 * measurement works, not how late a rebuilt datagram is.
 */
class FecLatencySmokeIT {

    private static final Path JAR = Path.of(System.getProperty("mptunnel.jar", "../mptunnel-examples/target/mptunnel.jar"));
    private static final Path OUT = Path.of(System.getProperty("harness.out", "target/harness-smoke"), "fec-latency");

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void rebuiltDatagramsAreFoundOnBothLegsOfTheLossyPathsAndNoneOnTheCleanOnes() throws Exception {
        assertThat(JAR).as("mptunnel.jar: build mptunnel-examples first (mvn -B -DskipTests package)").isRegularFile();
        HarnessOptions options = HarnessOptions.parse("--fec-latency", "--fec-only", "fec:8:4", "--lossy-rate", "2000",
                "--lossy-seconds", "1", "--warmup-seconds", "0.3", "--jit-warmup-seconds", "0.5", "--jar", JAR.toString(),
                "--out", OUT.toString());
        Files.createDirectories(options.out());

        String markdown = FecLatencyRun.run(options, System.err);

        assertThat(markdown).contains("| paths (each way) | redundancy |", "| 1 %, 20 %, 30 % | fec:8:4 |");
        List<String> rows = Files.readAllLines(OUT.resolve("fec-latency.csv"), StandardCharsets.UTF_8);
        assertThat(rows).hasSize(5); // the header, then clean and lossy paths, there and back
        for (String row : rows.subList(1, rows.size())) {
            String[] f = row.split(",");
            int rebuilt = Integer.parseInt(f[9]);
            if (f[0].startsWith("0 %")) {
                assertThat(rebuilt).as(row).isZero();
            } else {
                // 2,000 datagrams over paths losing 1/20/30 %: about 17 % of each leg's dropped, most rebuilt
                assertThat(rebuilt).as(row).isBetween(100, 600);
                assertThat(Double.parseDouble(f[10])).as("rebuilt p50 (ms), " + row).isGreaterThan(0);
            }
        }
    }
}
