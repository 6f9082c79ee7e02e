package org.mptunnel.examples.cli;

import java.time.Duration;
import picocli.CommandLine.Option;

/** Options every long-running tool has: logging and periodic statistics. */
public final class ToolOptions {

    @Option(names = "--stats-interval", paramLabel = "SECONDS",
            description = "Print one statistics line every SECONDS seconds (default: 0, off).")
    double statsIntervalSeconds;

    /** slf4j-simple reads its level when the first logger is created, which is after parsing. */
    @Option(names = {"-v", "--verbose"}, description = "Debug logging.")
    void verbose(boolean on) {
        if (on) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "debug");
        }
    }

    /**
     * @return the statistics interval, or null when statistics are off
     * @throws UserError if the interval is negative or absurd
     */
    public Duration statsInterval() {
        if (!(statsIntervalSeconds >= 0) || statsIntervalSeconds > 86_400) {
            throw new UserError("--stats-interval must be between 0 and 86400 seconds, got " + statsIntervalSeconds);
        }
        return statsIntervalSeconds == 0 ? null
                : Duration.ofMillis(Math.max(1, Math.round(statsIntervalSeconds * 1000)));
    }
}
