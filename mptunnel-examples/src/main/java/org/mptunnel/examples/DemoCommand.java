package org.mptunnel.examples;

import java.util.concurrent.Callable;
import org.mptunnel.examples.cli.UserError;
import org.mptunnel.examples.demo.Demo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code demo}: shows, in a few seconds on loopback, what the tunnel does to a lossy network. */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        versionProvider = Main.Version.class,
        description = {"Starts, in this JVM on loopback: a UDP echo target, an mpserver, lossy mpbridges and an "
                + "mpclient. Sends the same load first straight through one lossy bridge, then through the "
                + "tunnel, and prints a table comparing loss, duplicates, round-trip times and throughput."})
final class DemoCommand implements Callable<Integer> {

    @Option(names = "--paths", paramLabel = "N", defaultValue = "3",
            description = "Bridges the tunnel uses, 1 to 16 (default: ${DEFAULT-VALUE}).")
    int paths;

    @Option(names = "--loss", paramLabel = "P", defaultValue = "0.2",
            description = "Each bridge's loss in each direction, 0 to 1 (default: ${DEFAULT-VALUE}).")
    double loss;

    @Option(names = "--count", paramLabel = "N", defaultValue = "3000",
            description = "Datagrams per phase (default: ${DEFAULT-VALUE}).")
    int count;

    @Option(names = "--rate", paramLabel = "PPS", defaultValue = "2000",
            description = "Datagrams per second (default: ${DEFAULT-VALUE}).")
    int rate;

    @Option(names = "--size", paramLabel = "BYTES", defaultValue = "64",
            description = "Bytes per datagram, 12 to 1400 (default: ${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "20260001",
            description = "Seed of the bridges' loss (default: ${DEFAULT-VALUE}).")
    long seed;

    /** The demo's own output is the table; the forwarders' INFO lines would only clutter it. */
    @Option(names = {"-v", "--verbose"}, description = "Show the tools' log lines (debug level).")
    boolean verbose;

    @Override
    public Integer call() throws Exception {
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", verbose ? "debug" : "warn");
        check("--paths", paths, 1, 16);
        if (!(loss >= 0 && loss <= 1)) {
            throw new UserError("--loss must be a probability between 0 and 1, got " + loss);
        }
        check("--count", count, 1, 1_000_000);
        check("--rate", rate, 1, 200_000);
        check("--size", size, 12, 1400);
        new Demo(new Demo.Settings(paths, loss, count, rate, size, seed), System.out).run();
        return 0;
    }

    private static void check(String option, int value, int min, int max) {
        if (value < min || value > max) {
            throw new UserError(option + " must be between " + min + " and " + max + ", got " + value);
        }
    }
}
