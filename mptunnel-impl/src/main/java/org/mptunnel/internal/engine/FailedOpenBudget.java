package org.mptunnel.internal.engine;

import java.net.InetAddress;
import java.util.concurrent.TimeUnit;
import org.mptunnel.internal.bridge.SourceBlock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A server's budget of failed opens per source (an IPv4 address or an IPv6 /64, {@link SourceBlock}),
 * so that forged datagrams carrying a live session's id cannot make it spend more than a bounded
 * share of a core on decryptions that fail (docs/PROTOCOL.md, "Failed opens"; SECURITY.md).
 *
 * <p>Each failed open charges its source its length, at least {@link #MIN_CHARGE} bytes (an open
 * costs about its length, plus a fixed part); the charge drains at {@link #BYTES_PER_SECOND}. A
 * source that owes more than {@link #BURST_BYTES} has its datagrams dropped unopened until the
 * debt has drained below it again. A fixed table of {@link #SLOTS} slots indexed by a seeded hash:
 * colliding sources share a slot, which is only ever stricter; there is no state per source.
 *
 * <p>Costs nothing while no source is over budget (one comparison per datagram); while one is,
 * each datagram's source is hashed, which allocates its {@link SourceBlock}. I/O thread only.
 */
final class FailedOpenBudget {

    private static final Logger LOG = LoggerFactory.getLogger(FailedOpenBudget.class);

    static final int SLOTS = 256;
    /** What a source may fail at once: about 17 forged datagrams of 60 KB. */
    static final long BURST_BYTES = 1 << 20;
    /** What a source may fail per second once its burst is spent. */
    static final long BYTES_PER_SECOND = 256 << 10;
    /** The least one failure is charged, for the fixed cost of an open. */
    static final int MIN_CHARGE = 1024;
    private static final long NANOS_PER_SECOND = TimeUnit.SECONDS.toNanos(1);
    /** Longer than any debt takes to drain, so that elapsed time times the rate cannot overflow. */
    private static final long MAX_ELAPSED_NANOS = TimeUnit.SECONDS.toNanos(60);

    /** Random per socket, so that nobody can choose addresses that share a slot with another's. */
    private final long seed;
    private final long[] debt = new long[SLOTS];
    private final long[] updated = new long[SLOTS];
    /** When the last source over budget will be under it again; meaningful while {@link #anyOver}. */
    private long overUntil;
    private boolean anyOver;
    private final SourceLogLimit logLimit = new SourceLogLimit(TimeUnit.MINUTES.toNanos(1));

    FailedOpenBudget(long seed) {
        this.seed = seed;
    }

    /** @return whether a datagram from {@code source} must be dropped unopened now */
    boolean refuses(InetAddress source, long nowNanos) {
        if (!anyOver) {
            return false;
        }
        if (nowNanos - overUntil >= 0) {
            anyOver = false;
            return false;
        }
        int slot = slot(source);
        return drain(slot, nowNanos) > BURST_BYTES;
    }

    /** A datagram of {@code length} bytes from {@code source} failed to open: charges the source. */
    void failed(InetAddress source, int length, long nowNanos) {
        int slot = slot(source);
        long owed = drain(slot, nowNanos) + Math.max(length, MIN_CHARGE);
        debt[slot] = owed;
        if (owed <= BURST_BYTES) {
            return;
        }
        long until = nowNanos + (owed - BURST_BYTES) * NANOS_PER_SECOND / BYTES_PER_SECOND;
        if (!anyOver || until - overUntil > 0) {
            overUntil = until;
        }
        anyOver = true;
        if (logLimit.allow(source, nowNanos)) {
            LOG.warn("datagrams from {} keep failing authentication: its datagrams are dropped unopened"
                    + " while it is over its budget of failed opens (said once a minute per source)",
                    source.getHostAddress());
        }
    }

    /** @return the slot's debt after draining it up to now */
    private long drain(int slot, long nowNanos) {
        long elapsed = Math.min(nowNanos - updated[slot], MAX_ELAPSED_NANOS);
        updated[slot] = nowNanos;
        if (elapsed <= 0) {
            return debt[slot];
        }
        long left = Math.max(0, debt[slot] - elapsed * BYTES_PER_SECOND / NANOS_PER_SECOND);
        debt[slot] = left;
        return left;
    }

    /** @return the slot {@code source} is charged to (visible for tests) */
    int slot(InetAddress source) {
        SourceBlock block = SourceBlock.of(source);
        long h = (block.bits() + (block.ipv6() ? 0x5851F42D4C957F2DL : 0)) * 0x9E3779B97F4A7C15L ^ seed;
        h ^= h >>> 29;
        h *= 0xBF58476D1CE4E5B9L;
        h ^= h >>> 32;
        return (int) h & (SLOTS - 1);
    }
}
