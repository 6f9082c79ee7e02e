package org.mptunnel.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What a user sees on stdout and stderr from every tool's {@code --help} and from a usage error:
 * the help or one {@code error:} line and the usage, and never a warning from a library (picocli
 * prints its own warnings, e.g. about a bare {@code %} in a description, to {@code System.err}).
 * In-process through {@link Main#run}, the jar's entry point, with {@code System.out} and
 * {@code System.err} captured.
 */
class HelpAndUsageTest {

    @ParameterizedTest
    @ValueSource(strings = {"", "mpclient", "mpserver", "mpbridge", "mpkey", "demo"})
    void helpPrintsTheUsageAndNoWarning(String tool) {
        Output output = run(tool.isEmpty() ? List.of("--help") : List.of(tool, "--help"));
        assertThat(output.status).as(output.toString()).isZero();
        assertThat(output.out).as(output.toString()).startsWith("Usage: java -jar mptunnel.jar " + tool);
        assertThat(output.err).as(output.toString()).isEmpty();
        assertThat(output.out).as(output.toString()).doesNotContain("WARN");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "mpclient", "mpserver", "mpbridge", "mpkey", "demo"})
    void usageErrorPrintsOneErrorLineThenTheUsageAndNoWarning(String tool) {
        Output output = run(tool.isEmpty() ? List.of("--frobnicate") : List.of(tool, "--frobnicate"));
        assertUsageError(output, "error: ", tool); // the unknown option, or a missing parameter first
    }

    /** A mistake found after parsing (here a config file that does not exist) prints the same way. */
    @ParameterizedTest
    @ValueSource(strings = {"--redundancy=all", "--redundancy=adaptive:0.1%"})
    void mpclientErrorAfterParsingPrintsNoWarning(String option) {
        Output output = run(List.of("mpclient", option, "/nonexistent/mpclient.conf"));
        assertUsageError(output, "error: cannot read config file /nonexistent/mpclient.conf", "mpclient");
    }

    private static void assertUsageError(Output output, String errorLine, String tool) {
        assertThat(output.status).as(output.toString()).isEqualTo(Main.USER_ERROR);
        assertThat(output.out).as(output.toString()).isEmpty();
        List<String> lines = output.err.lines().toList();
        assertThat(lines).as(output.toString()).hasSizeGreaterThan(2);
        assertThat(lines.get(0)).as(output.toString()).startsWith(errorLine);
        assertThat(lines.get(1)).as(output.toString()).startsWith("Usage: java -jar mptunnel.jar " + tool);
        assertThat(lines.stream().filter(line -> line.startsWith("error:"))).as(output.toString()).hasSize(1);
        assertThat(output.err).as(output.toString()).doesNotContain("WARN").doesNotContain("Exception");
    }

    private static Output run(List<String> args) {
        PrintStream savedOut = System.out;
        PrintStream savedErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            status = Main.run(args.toArray(String[]::new));
        } finally {
            System.out.flush();
            System.err.flush();
            System.setOut(savedOut);
            System.setErr(savedErr);
        }
        return new Output(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private record Output(int status, String out, String err) {
        @Override
        public String toString() {
            return "status " + status + "\n--- stdout\n" + out + "\n--- stderr\n" + err;
        }
    }
}
