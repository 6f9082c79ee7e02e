package org.mptunnel.internal.bridge;

import java.time.Duration;

/**
 * Turns the running counts of evicted and refused clients into at most one warning per interval,
 * so that a flood of new sources shows in the log as a line every few seconds, not one per
 * datagram. Each warning says what happened since the previous one. Not thread-safe.
 */
final class SheddingWarning {

    private final long intervalNanos;
    private final ClientLimits limits;
    private long evictedWarned;
    private long refusedWarned;
    private long lastWarning;
    private boolean warned;

    SheddingWarning(Duration interval, ClientLimits limits) {
        this.intervalNanos = interval.toNanos();
        this.limits = limits;
    }

    /**
     * @param now          the time, from {@link System#nanoTime()}
     * @param evicted      clients evicted so far
     * @param refused      new clients refused so far
     * @param lastRefusal  why the last one was refused, if any was
     * @return the warning to log now, or null if there is nothing new or the last one is too recent
     */
    String next(long now, long evicted, long refused, Exception lastRefusal) {
        if ((evicted == evictedWarned && refused == refusedWarned) || (warned && now - lastWarning < intervalNanos)) {
            return null;
        }
        StringBuilder line = new StringBuilder();
        if (evicted != evictedWarned) {
            line.append(evicted - evictedWarned).append(" clients lost their upstream socket to new clients (")
                    .append(evicted).append(" in all; at most ").append(limits.maxClients()).append(" clients, ")
                    .append(limits.maxClientsPerSource()).append(" per IPv4 address or IPv6 /64, the least recently")
                    .append(" active give way)");
        }
        if (refused != refusedWarned) {
            line.append(line.isEmpty() ? "" : "; ").append(refused - refusedWarned)
                    .append(" new clients got no upstream socket and lost their datagram (").append(refused)
                    .append(" in all; last: ").append(lastRefusal).append(')');
        }
        line.append(warned ? " in the last " + Duration.ofNanos(now - lastWarning).toSeconds() + " s" : "");
        evictedWarned = evicted;
        refusedWarned = refused;
        lastWarning = now;
        warned = true;
        return line.toString();
    }
}
