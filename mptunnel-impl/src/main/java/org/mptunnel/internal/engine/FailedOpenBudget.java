package org.mptunnel.internal.engine;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.mptunnel.internal.session.SourceBlock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A server's budget of failed opens, so that forged datagrams carrying a live session's id cannot
 * make it spend more than a bounded share of a core on decryptions that fail (SECURITY.md,
 * "Forged datagrams of a live session").
 *
 * <p>Each failed open charges its length, at least {@link #MIN_CHARGE} bytes (an open costs about
 * its length, plus a fixed part), which drains at {@link #BYTES_PER_SECOND}; whoever owes more
 * than {@link #BURST_BYTES} has its datagrams dropped unopened until the debt has drained below
 * it. Who is charged: a datagram from an address that is a path of its session (only an open can
 * have made it one) is charged to that exact address; any other to its source's address block
 * (an IPv4 address or an IPv6 /64, {@link SourceBlock}), so that an attacker cannot spread its
 * failures over ports or addresses of its /64. Two fixed tables of {@link #SLOTS} slots indexed by
 * a seeded hash: colliding keys share a slot, which is only ever stricter; no state per source.
 *
 * <p>Costs one comparison per datagram while nothing is over budget; while something is, each
 * datagram's source is hashed, allocating nothing for IPv4 (a copy of the address for IPv6). I/O
 * thread only.
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
    /** Charged by the source's address block: sources not (yet) proven to belong to the session. */
    private final Table bySource = new Table();
    /**
     * Charged by the exact address (IP and port) of a path of the session, which only an open could
     * have taught the server: a legitimate path behind the same address as an attacker (a shared
     * bridge or NAT) is not refused for the attacker's failures, only for its own address's.
     */
    private final Table byPath = new Table();
    private final SourceLogLimit logLimit = new SourceLogLimit(TimeUnit.MINUTES.toNanos(1));

    FailedOpenBudget(long seed) {
        this.seed = seed;
    }

    /** @return whether some source or path is over budget now; if not, nothing need be looked up */
    boolean anyOver(long nowNanos) {
        return bySource.anyOver(nowNanos) || byPath.anyOver(nowNanos);
    }

    /**
     * @param knownPath whether {@code source} is a path of the datagram's session
     * @return whether a datagram from {@code source} must be dropped unopened now
     */
    boolean refuses(InetSocketAddress source, boolean knownPath, long nowNanos) {
        Table table = knownPath ? byPath : bySource;
        return table.anyOver(nowNanos) && table.drain(slot(source, knownPath), nowNanos) > BURST_BYTES;
    }

    /** A datagram of {@code length} bytes from {@code source} failed to open: charges it. */
    void failed(InetSocketAddress source, boolean knownPath, int length, long nowNanos) {
        Table table = knownPath ? byPath : bySource;
        if (table.charge(slot(source, knownPath), Math.max(length, MIN_CHARGE), nowNanos)
                && logLimit.allow(source.getAddress(), nowNanos)) {
            LOG.warn("datagrams from {} keep failing authentication: its datagrams are dropped unopened"
                    + " while it is over its budget of failed opens (said once a minute per source)",
                    knownPath ? source : source.getAddress().getHostAddress());
        }
    }

    /** @return the slot {@code source} is charged to, in the table of paths or of sources (visible for tests) */
    int slot(InetSocketAddress source, boolean knownPath) {
        long h = SourceBlock.mix(source.getAddress(), seed);
        if (knownPath) { // one address and port: mixed again with both, so that each has its own slot
            h = (h * 31 + (source.getAddress().hashCode() ^ source.getPort())) * 0x9E3779B97F4A7C15L;
            h ^= h >>> 29;
            h *= 0xBF58476D1CE4E5B9L;
            h ^= h >>> 32;
        }
        return (int) h & (SLOTS - 1);
    }

    /** Debts by slot; a slot's debt drains at {@link #BYTES_PER_SECOND}. */
    private static final class Table {
        private final long[] debt = new long[SLOTS];
        private final long[] updated = new long[SLOTS];
        /** When the last slot over budget will be under it again; meaningful while {@link #over}. */
        private long overUntil;
        private boolean over;

        boolean anyOver(long nowNanos) {
            if (over && nowNanos - overUntil >= 0) {
                over = false;
            }
            return over;
        }

        /** @return whether the charge took the slot over budget */
        boolean charge(int slot, long bytes, long nowNanos) {
            long owed = drain(slot, nowNanos) + bytes;
            debt[slot] = owed;
            if (owed <= BURST_BYTES) {
                return false;
            }
            long until = nowNanos + (owed - BURST_BYTES) * NANOS_PER_SECOND / BYTES_PER_SECOND;
            if (!over || until - overUntil > 0) {
                overUntil = until;
            }
            over = true;
            return true;
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
    }
}
