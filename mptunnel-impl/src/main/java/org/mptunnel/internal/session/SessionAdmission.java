package org.mptunnel.internal.session;

import java.net.InetSocketAddress;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Limits how fast one source may open new sessions: a token bucket per {@link SourceBlock} (one
 * IPv4 address or IPv6 /64, whatever its ports: a host has thousands of ports), kept in a fixed
 * table indexed by a seeded hash of the block, so its memory is fixed whatever the number of
 * sources (colliding sources share a bucket, which only ever makes the limit stricter for them).
 * The burst covers a host starting dozens of applications at once (mpclient opens a session per
 * application); a sender making up session ids is held to the refill rate.
 *
 * <p>Not thread-safe: the I/O thread owns it. Allocates nothing.
 */
public final class SessionAdmission {

    /** New sessions one source may open at once. */
    static final int BURST = 64;
    /** Further new sessions per source per second. */
    static final int PER_SECOND = 16;
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
        return (int) SourceBlock.mix(source.getAddress(), seed) & (BUCKETS - 1);
    }
}
