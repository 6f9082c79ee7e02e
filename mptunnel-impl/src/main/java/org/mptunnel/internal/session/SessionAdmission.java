package org.mptunnel.internal.session;

import java.net.InetSocketAddress;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Limits how fast one source address may open new sessions: a token bucket per source, kept in a
 * fixed table indexed by a seeded hash of the address (colliding sources share a bucket, which
 * only ever makes the limit stricter for them). A real client opens one session per path and source
 * port, so it never meets the limit; a sender making up session ids from one socket is held to the
 * refill rate, and cannot fill the session table faster than silent sessions can be evicted.
 *
 * <p>Not thread-safe: the I/O thread owns it. Allocates nothing.
 */
public final class SessionAdmission {

    /** New sessions one source may open at once. */
    static final int BURST = 8;
    /** Further new sessions per source per second. */
    static final int PER_SECOND = 2;
    private static final int BUCKETS = 4096;

    private final int burst;
    private final long nanosPerToken;
    private final long seed = ThreadLocalRandom.current().nextLong();
    /** Per bucket, the time at which it is empty: it holds (now - emptyAt) / nanosPerToken tokens, at most BURST. */
    private final long[] emptyAt = new long[BUCKETS];
    private final boolean[] used = new boolean[BUCKETS];

    /** The limit on new sessions: a burst of {@value #BURST}, then {@value #PER_SECOND} a second. */
    public SessionAdmission() {
        this(BURST, PER_SECOND);
    }

    /**
     * Another limit of the same kind (protocol v2 also bounds how many handshake messages per
     * source it even looks at).
     */
    public SessionAdmission(int burst, int perSecond) {
        this.burst = burst;
        this.nanosPerToken = TimeUnit.SECONDS.toNanos(1) / perSecond;
    }

    /** @return whether {@code source} may open a session now; if so, one token is spent */
    public boolean tryAdmit(InetSocketAddress source, long nowNanos) {
        int bucket = bucket(source);
        long fullAt = nowNanos - burst * nanosPerToken;
        long empty = used[bucket] ? Math.max(emptyAt[bucket], fullAt) : fullAt;
        if (nowNanos - empty < nanosPerToken) {
            return false;
        }
        used[bucket] = true;
        emptyAt[bucket] = empty + nanosPerToken;
        return true;
    }

    private int bucket(InetSocketAddress source) {
        long h = (source.hashCode() * 0x9E3779B97F4A7C15L) ^ seed;
        h ^= h >>> 29;
        h *= 0xBF58476D1CE4E5B9L;
        h ^= h >>> 32;
        return (int) h & (BUCKETS - 1);
    }
}
