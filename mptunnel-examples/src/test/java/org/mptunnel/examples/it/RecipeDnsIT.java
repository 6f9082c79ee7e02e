package org.mptunnel.examples.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's DNS recipe, run the way a user runs it: {@code recipes/dns.sh} starts dnsmasq (one
 * local name, no upstream), mpserver, three mpbridges losing 20 % with 10 ms each way and mpclient
 * as separate processes on 127.0.0.1, asks dig through them, and cleans up. dnsmasq and dig are
 * prerequisites of the suite, like chronyd: {@code .ci/run} installs them.
 */
class RecipeDnsIT {

    private static final int QUERIES = 10;

    @Test
    @Timeout(120)
    void digGetsDnsmasqsAnswersThroughTheTunnel(@TempDir Path dir) throws Exception {
        requireExecutable("/usr/sbin/dnsmasq", "dnsmasq");
        requireExecutable("/usr/bin/dig", "bind9-dnsutils");
        Path script = Path.of("..", "recipes", "dns.sh").toAbsolutePath().normalize();
        Path output = dir.resolve("output");
        ProcessBuilder builder = new ProcessBuilder("bash", script.toString())
                .redirectErrorStream(true)
                .redirectOutput(output.toFile());
        builder.environment().put("MPTUNNEL_JAR", ToolProcess.JAR.toAbsolutePath().toString());
        builder.environment().put("JAVA", Path.of(System.getProperty("java.home"), "bin", "java").toString());
        builder.environment().put("RECIPE_QUERIES", Integer.toString(QUERIES));
        Process recipe = builder.start();
        boolean finished = recipe.waitFor(90, TimeUnit.SECONDS);
        if (!finished) {
            recipe.destroy();   // SIGTERM: the script's trap stops what it started
            if (!recipe.waitFor(20, TimeUnit.SECONDS)) {
                recipe.descendants().forEach(ProcessHandle::destroyForcibly);
                recipe.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
        List<String> lines = Files.readAllLines(output);
        lines.forEach(System.out::println);
        assertThat(finished).as("recipes/dns.sh finished within 90 s; its output: %s", lines).isTrue();
        assertThat(recipe.exitValue()).as("recipes/dns.sh's exit status; its output: %s", lines).isZero();
        assertThat(lines).anyMatch(line -> line.matches("dns: \\d+ of " + QUERIES + " queries answered .*"));
    }

    private static void requireExecutable(String path, String debianPackage) {
        assertThat(Files.isExecutable(Path.of(path)))
                .as("%s is needed by this test: apt-get install -y %s (.ci/run does it)", path, debianPackage)
                .isTrue();
    }
}
