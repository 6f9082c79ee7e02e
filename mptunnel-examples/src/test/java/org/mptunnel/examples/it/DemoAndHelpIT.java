package org.mptunnel.examples.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The demo, the help of every tool, and the launcher scripts. */
class DemoAndHelpIT {

    @Test
    @Timeout(90)
    void demoRunsWithItsDefaultsAndPrintsItsTable() throws Exception {
        long start = System.nanoTime();
        ToolProcess demo = ToolProcess.run(Duration.ofSeconds(80), "demo");
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.println(demo.stdout());
        assertThat(demo.exitValue()).as(demo.transcript()).isZero();
        assertThat(demo.stdout()).contains("round-trip loss", "theory, independent loss", "duplicates delivered",
                "round-trip p50", "round-trip p99", "throughput", "first deliveries by path");
        assertThat(demo.stdout()).containsPattern("duplicates delivered +0 +0");
        assertThat(demo.stdout()).containsPattern("theory, independent loss +36\\.00 % +1\\.59 %");
        // The promise is under 20 s; allow for a loaded machine, but not for a hang.
        assertThat(seconds).as("demo duration in seconds").isLessThan(40);
    }

    @Test
    @Timeout(60)
    void helpListsTheToolsAndEachToolHasHelp() throws Exception {
        ToolProcess top = ToolProcess.run(Duration.ofSeconds(20), "--help");
        assertThat(top.exitValue()).isZero();
        assertThat(top.stdout()).contains("mpclient", "mpserver", "mpbridge", "demo");
        for (String tool : new String[] {"mpclient", "mpserver", "mpbridge", "demo"}) {
            ToolProcess help = ToolProcess.run(Duration.ofSeconds(20), tool, "--help");
            assertThat(help.exitValue()).as(tool + " --help").isZero();
            assertThat(help.stdout()).as(tool + " --help").contains("Usage:", tool);
        }
    }

    @Test
    @Timeout(60)
    void launcherScriptsRunTheJar() throws Exception {
        Path bin = Path.of(System.getProperty("mptunnel.root", "..")).resolve("bin");
        for (String tool : new String[] {"mpclient", "mpserver", "mpbridge"}) {
            ToolProcess help = ToolProcess.startCommand(bin.resolve(tool).toString(), "--help");
            assertThat(help.awaitExit(Duration.ofSeconds(20))).as(tool + "\n" + help.transcript()).isZero();
            assertThat(help.stdout()).contains("Usage:", tool);
        }
    }

    @Test
    @Timeout(60)
    void theSampleConfigurationLoads() throws Exception {
        // The sample's bridges are not running: the client starts all the same, as the C original does.
        String sample = System.getProperty("mptunnel.sampleConfig", "src/main/config/mpclient.conf");
        try (ToolProcess client = ToolProcess.start("mpclient", "--listen", "127.0.0.1:0", sample)) {
            assertThat(client.awaitOut("listening on 127\\.0\\.0\\.1:\\d+, 3 path\\(s\\): 127\\.0\\.0\\.1:4000, "
                    + "127\\.0\\.0\\.1:4001, 127\\.0\\.0\\.1:4002", Duration.ofSeconds(20))).isNotNull();
        }
    }
}
