package org.mptunnel.examples.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Every user error: one clear line, the usage, status 2, and no stack trace. */
@Timeout(30)
class UserErrorsIT {

    @TempDir
    Path dir;

    @Test
    void unknownOption() throws Exception {
        expectUserError("Unknown option: '--frobnicate'", "mpserver", "--frobnicate", "0", "127.0.0.1", "9");
    }

    @Test
    void missingArgument() throws Exception {
        expectUserError("Missing required parameter: 'TARGET_PORT'", "mpserver", "0", "127.0.0.1");
    }

    @Test
    void portOutOfRange() throws Exception {
        expectUserError("port 70000 is out of range", "mpbridge", "70000", "127.0.0.1", "9");
    }

    @Test
    void allowWithLegacy() throws Exception {
        expectUserError("--allow cannot be used with --legacy", "mpserver", "--legacy", "--allow", "127.0.0.1:53",
                "0", "127.0.0.1", "9");
    }

    @Test
    void socketBudgetBelowOne() throws Exception {
        expectUserError("--max-socks-sockets-per-source must be at least 1, got 0", "mpserver",
                "--max-socks-sockets-per-source", "0", "0", "127.0.0.1", "9");
    }

    @Test
    void noTool() throws Exception {
        expectUserError("name a tool");
    }

    @Test
    void missingConfigFile() throws Exception {
        Path missing = dir.resolve("missing.conf");
        expectUserError("cannot read config file " + missing + ": no such file", "mpclient", missing.toString());
    }

    @Test
    void badLineInConfigFile() throws Exception {
        Path bad = Files.writeString(dir.resolve("bad.conf"), "# two paths\n127.0.0.1 4000\n127.0.0.1:4001\n");
        expectUserError(bad + ":3: expected 'HOST PORT [LOCAL_ADDRESS[:PORT] | %INTERFACE]', got '127.0.0.1:4001'",
                "mpclient", bad.toString());
    }

    @Test
    void badLocalColumnInConfigFile() throws Exception {
        Path bad = Files.writeString(dir.resolve("bad.conf"), "127.0.0.1 4000 ::1\n");
        expectUserError(bad + ":1: local address ::1 is IPv6 but 127.0.0.1 is IPv4", "mpclient", bad.toString());
        Path notMine = Files.writeString(dir.resolve("notmine.conf"), "127.0.0.1 4000 192.0.2.1\n");
        expectUserError("path 127.0.0.1:4000 192.0.2.1:0: cannot bind 192.0.2.1", "mpclient", notMine.toString());
        Path noSuch = Files.writeString(dir.resolve("nosuch.conf"), "127.0.0.1 4000 %nosuchif0\n");
        expectUserError("path 127.0.0.1:4000 %nosuchif0: no network interface nosuchif0", "mpclient", noSuch.toString());
    }

    @Test
    void automaticPathOptionsWithoutAutomaticPaths() throws Exception {
        Path config = Files.writeString(dir.resolve("ok.conf"), "127.0.0.1 4000\n");
        expectUserError("--auto-include, --auto-exclude, --auto-loopback and --auto-link-local need --auto-paths",
                "mpclient", "--auto-loopback", config.toString());
        expectUserError("--auto-poll must be between 10ms and 10s", "mpclient", "--auto-paths", "--auto-poll", "1ms",
                config.toString());
    }

    @Test
    void portOutOfRangeInConfigFile() throws Exception {
        Path bad = Files.writeString(dir.resolve("bad.conf"), "127.0.0.1 99999\n");
        expectUserError(bad + ":1: port 99999 is out of range", "mpclient", bad.toString());
    }

    @Test
    void hostThatDoesNotResolve() throws Exception {
        expectUserError("cannot resolve host 'no-such-host.invalid'", "mpserver", "0", "no-such-host.invalid", "9");
    }

    @Test
    void hostThatDoesNotResolveInConfigFile() throws Exception {
        Path bad = Files.writeString(dir.resolve("bad.conf"), "\n\nno-such-host.invalid 4000\n");
        expectUserError(bad + ":3: cannot resolve host 'no-such-host.invalid'", "mpclient", bad.toString());
    }

    @Test
    void portAlreadyInUse() throws Exception {
        try (DatagramSocket taken = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            String port = String.valueOf(taken.getLocalPort());
            expectUserError("cannot listen on 127.0.0.1:" + port + ": address already in use",
                    "mpserver", "--bind", "127.0.0.1", port, "127.0.0.1", "9");
            expectUserError("cannot listen on 127.0.0.1:" + port + ": address already in use",
                    "mpbridge", "--bind", "127.0.0.1", port, "127.0.0.1", "9");
            Path config = Files.writeString(dir.resolve("ok.conf"), "127.0.0.1 4000\n");
            expectUserError("cannot listen on 127.0.0.1:" + port + ": address already in use",
                    "mpclient", "--listen", "127.0.0.1:" + port, config.toString());
        }
    }

    @Test
    void badDuration() throws Exception {
        Path config = Files.writeString(dir.resolve("ok.conf"), "127.0.0.1 4000\n");
        expectUserError("'200' is not a duration", "mpclient", "--keepalive", "200", config.toString());
    }

    @Test
    void badRedundancy() throws Exception {
        Path config = Files.writeString(dir.resolve("ok.conf"), "127.0.0.1 4000\n");
        expectUserError("'adaptive:2': the adaptive target must be a loss above 0 and below 1", "mpclient",
                "--redundancy", "adaptive:2", config.toString());
        expectUserError("'some' is not a redundancy: give all, adaptive[:TARGET], fec:K:M[:DEADLINE] or "
                + "fec-adaptive[:TARGET[:DEADLINE]]", "mpclient", "--redundancy", "some", config.toString());
        expectUserError("'fec-adaptive:1.5': the fec-adaptive target must be a loss above 0 and below 1", "mpclient",
                "--redundancy", "fec-adaptive:1.5", config.toString());
        expectUserError("'fec-adaptive:0.1%:2s': the group deadline must be 100 µs to 1 s", "mpclient",
                "--redundancy", "fec-adaptive:0.1%:2s", config.toString());
        expectUserError("adaptive redundancy needs keepalives", "mpclient", "--redundancy", "adaptive", "--legacy",
                config.toString());
    }

    @Test
    void badLossAfter() throws Exception {
        expectUserError("'2s:2': the loss after 2s must be a probability between 0 and 1", "mpbridge",
                "--loss-after", "2s:2", "0", "127.0.0.1", "9");
    }

    @Test
    void dropLogThatCannotBeCreated() throws Exception {
        expectUserError("--drop-log: cannot create /nonexistent-mptunnel-dir/drops.txt: no such directory", "mpbridge",
                "--drop-log", "/nonexistent-mptunnel-dir/drops.txt", "0", "127.0.0.1", "9");
    }

    @Test
    void badLossBurstOrClientLimit() throws Exception {
        expectUserError("'60%:1.2': a mean loss of 0.6 needs bursts of at least 1.50 datagrams on average, got 1.2",
                "mpbridge", "--loss-burst", "60%:1.2", "0", "127.0.0.1", "9");
        expectUserError("--max-clients and --max-clients-per-ip must be at least 1, got 4096 and 0", "mpbridge",
                "--max-clients-per-ip", "0", "0", "127.0.0.1", "9");
    }

    @Test
    void valueTheLibraryRefuses() throws Exception {
        expectUserError("--window: duplicateWindow must be between", "mpserver", "--window", "1", "0", "127.0.0.1", "9");
    }

    @Test
    void badOrderedWait() throws Exception {
        expectUserError("Invalid value for option '--ordered': '30x' is not a wait: give 'auto' or a duration, e.g. 30ms",
                "mpserver", "--ordered=30x", "0", "127.0.0.1", "9");
    }

    @Test
    void badAllowRule() throws Exception {
        expectUserError("'10.0.0.0/33' is not CIDR[:PORT-RANGE]: prefix length must be 0-32",
                "mpserver", "--allow", "10.0.0.0/33", "0", "127.0.0.1", "9");
        expectUserError("'example.com:53' is not CIDR[:PORT-RANGE]", "mpserver", "--allow", "example.com:53",
                "0", "127.0.0.1", "9");
    }

    @Test
    void socksMistakes() throws Exception {
        Path config = Files.writeString(dir.resolve("ok.conf"), "127.0.0.1 4000\n");
        expectUserError("--socks-user needs a password", "mpclient", "--socks", "0", "--socks-user", "alice",
                config.toString());
        expectUserError("--socks cannot be used with --legacy", "mpclient", "--socks", "0", "--legacy", config.toString());
        expectUserError("--socks-user and --socks-password-file need --socks", "mpclient", "--socks-user", "alice",
                config.toString());
        Path missing = dir.resolve("missing-password");
        expectUserError("cannot read --socks-password-file " + missing + ": no such file", "mpclient", "--socks", "0",
                "--socks-user", "alice", "--socks-password-file", missing.toString(), config.toString());
        expectUserError("--socks-max-connections and --socks-max-connections-per-ip must be at least 1, got 512 and 0",
                "mpclient", "--socks", "0", "--socks-max-connections-per-ip", "0", config.toString());
        expectUserError("--socks-handshake-timeout must be longer than 0", "mpclient", "--socks", "0",
                "--socks-handshake-timeout", "0s", config.toString());
    }

    @Test
    void keyMistakes() throws Exception {
        Path config = Files.writeString(dir.resolve("ok.conf"), "127.0.0.1 4000\n");
        Path missing = dir.resolve("missing.key");
        expectUserError("cannot read key file " + missing + ": no such file or directory",
                "mpserver", "--key-file", missing.toString(), "0", "127.0.0.1", "9");
        Path truncated = Files.writeString(dir.resolve("short.key"), "0123456789abcdef\n");
        expectUserError("key file " + truncated + " must hold 64 hexadecimal digits (a 32-byte key, as mpkey "
                + "writes it), found 16 characters", "mpclient", "--key-file", truncated.toString(), config.toString());
        Path key = dir.resolve("good.key");
        assertThat(ToolProcess.run(Duration.ofSeconds(20), "mpkey", key.toString()).exitValue()).isZero();
        expectUserError("--legacy cannot be used with a pre-shared key", "mpclient", "--legacy", "--key-file",
                key.toString(), config.toString());
        expectUserError(key + " already exists: a key is never overwritten", "mpkey", key.toString());
        expectUserError("the environment variable MPTUNNEL_KEY must hold 64 hexadecimal digits",
                List.of("MPTUNNEL_KEY=not-a-key"), "mpserver", "0", "127.0.0.1", "9");
    }

    private static void expectUserError(String message, String... args) throws Exception {
        expectUserError(message, List.of(), args);
    }

    private static void expectUserError(String message, List<String> environment, String... args) throws Exception {
        ToolProcess tool = ToolProcess.startWithEnvironment(environment, args);
        tool.awaitExit(Duration.ofSeconds(20));
        String err = tool.stderr();
        assertThat(tool.exitValue()).as("status\n" + tool.transcript()).isEqualTo(2);
        assertThat(err.lines().findFirst().orElse("")).as("first line of stderr")
                .startsWith("error: ").contains(message);
        assertThat(err).as("usage").contains("Usage: ");
        assertThat(err).as("no stack trace").doesNotContain("Exception").doesNotContain("\tat ");
    }
}
