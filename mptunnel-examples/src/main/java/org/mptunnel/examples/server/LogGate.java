package org.mptunnel.examples.server;

import java.time.Duration;
import org.mptunnel.examples.cli.LogLimit;

/**
 * One kind of mpserver log line that a flood could repeat per datagram, let through at most
 * {@code burst} times per interval: a {@link LogLimit} shared by the I/O, resolver and selector
 * threads under a lock, taken only on the failing path.
 */
final class LogGate {

    private final LogLimit limit;

    LogGate(Duration interval, int burst) {
        this.limit = new LogLimit(interval.toNanos(), burst);
    }

    /** @return a gate for one line a second */
    static LogGate perSecond() {
        return new LogGate(Duration.ofSeconds(1), 1);
    }

    /** @return null to hold the line back, else the note to end it with on what was held back */
    synchronized String admit() {
        return limit.allow(this, System.nanoTime()) ? limit.takeSuppressed() : null;
    }
}
