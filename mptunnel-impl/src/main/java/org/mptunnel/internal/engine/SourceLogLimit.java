package org.mptunnel.internal.engine;

import java.net.InetAddress;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Lets a warning about a source address through at most once per interval per address, so that a
 * flood from one address costs one log line per interval. A fixed table indexed by a seeded hash of
 * the address: colliding addresses share a slot, which only ever suppresses more. Not thread-safe
 * (the I/O thread owns it); allocates nothing.
 */
final class SourceLogLimit {

    private static final int SLOTS = 1024;

    private final long intervalNanos;
    private final long seed = ThreadLocalRandom.current().nextLong();
    private final long[] lastLogged = new long[SLOTS];
    private final boolean[] used = new boolean[SLOTS];

    SourceLogLimit(long intervalNanos) {
        this.intervalNanos = intervalNanos;
    }

    /** @return whether to log about {@code source} now; if so, the next one waits an interval */
    boolean allow(InetAddress source, long nowNanos) {
        long h = (source.hashCode() * 0x9E3779B97F4A7C15L) ^ seed;
        h ^= h >>> 31;
        int slot = (int) h & (SLOTS - 1);
        if (used[slot] && nowNanos - lastLogged[slot] < intervalNanos) {
            return false;
        }
        used[slot] = true;
        lastLogged[slot] = nowNanos;
        return true;
    }
}
