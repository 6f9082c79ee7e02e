package org.mptunnel.examples.cli;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Lets log lines about a key (a source address, or one kind of event) through at most
 * {@code burst} times per interval, so that a flood costs a few lines per interval and key, and
 * counts what it held back so that the next line can say so. A fixed table indexed by a seeded
 * hash of the key: colliding keys share a slot, which only ever suppresses more, and an attacker
 * cannot grow it. Not thread-safe: one thread owns it.
 */
public final class LogLimit {

    private static final int SLOTS = 256;

    private final long intervalNanos;
    private final int burst;
    private final int seed = ThreadLocalRandom.current().nextInt();
    private final long[] windowStart = new long[SLOTS];
    private final int[] count = new int[SLOTS];
    private long suppressed;

    /**
     * @param intervalNanos the window
     * @param burst         the lines per key and window
     */
    public LogLimit(long intervalNanos, int burst) {
        this.intervalNanos = intervalNanos;
        this.burst = burst;
    }

    /** @return whether to log about {@code key} now */
    public boolean allow(Object key, long nowNanos) {
        int h = key.hashCode() * 0x9E3779B9 ^ seed;
        int slot = (h ^ h >>> 16) & (SLOTS - 1);
        if (count[slot] == 0 || nowNanos - windowStart[slot] >= intervalNanos) {
            windowStart[slot] = nowNanos;
            count[slot] = 0;
        }
        if (count[slot] >= burst) {
            suppressed++;
            return false;
        }
        count[slot]++;
        return true;
    }

    /** @return a note on the lines held back since the last call ("" if none), for the line let through */
    public String takeSuppressed() {
        long n = suppressed;
        suppressed = 0;
        return n == 0 ? "" : " (" + n + " similar line(s) suppressed)";
    }
}
