package org.mptunnel.internal.engine;

import java.net.InetAddress;
import java.util.concurrent.ThreadLocalRandom;
import org.mptunnel.internal.session.SourceBlock;

/**
 * Lets a warning about a source through at most once per interval per source (an IPv4 address, an
 * IPv6 /64: {@link SourceBlock}), so that a flood from one host costs one log line per interval,
 * however many addresses of its /64 it uses. A fixed table indexed by a seeded hash of the source:
 * colliding sources share a slot, which only ever suppresses more. Not thread-safe (the I/O thread
 * owns it); allocates nothing for IPv4, a copy of the address for IPv6.
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
        int slot = (int) SourceBlock.mix(source, seed) & (SLOTS - 1);
        if (used[slot] && nowNanos - lastLogged[slot] < intervalNanos) {
            return false;
        }
        used[slot] = true;
        lastLogged[slot] = nowNanos;
        return true;
    }
}
