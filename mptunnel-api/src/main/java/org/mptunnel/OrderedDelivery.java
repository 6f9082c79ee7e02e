package org.mptunnel;

import java.time.Duration;
import java.util.Objects;

/**
 * Whether a socket hands received datagrams to the application in the order they were sent, and
 * how long it may wait for a missing one.
 *
 * <ul>
 *   <li>{@link #OFF} (the default): each datagram is delivered as soon as its first copy arrives,
 *       in arrival order, like plain UDP.</li>
 *   <li>{@link #fixed(Duration)} and {@link #auto(Duration)}: a datagram that arrives ahead of a
 *       missing one is held until the missing one arrives, or until the earliest-held datagram has
 *       been held for the wait; then the missing datagram is given up on (counted as
 *       {@linkplain OrderingStats#skipped() skipped}) and the held ones after it are released in
 *       order, up to the next gap. A datagram that arrives after its place
 *       was given up on would break the order: it is dropped and counted
 *       ({@linkplain OrderingStats#lateDropped() late}). With {@link #fixed} the wait is the one
 *       given; with {@link #auto} it is twice the spread of the smoothed round-trip times of the
 *       session's paths that are up (slowest minus fastest), at least {@link #MIN_WAIT} and at
 *       most the cap, and the cap while any of those paths has no RTT yet (always, in the legacy
 *       wire formats, which measure none).</li>
 * </ul>
 *
 * <p>The first datagram of a session sets where the order starts, at no wait: one sent before it
 * that arrives after it (it overtook on a faster path) is dropped as late.
 *
 * <p>At most {@link #maxHeld()} datagrams are held per session; one that would exceed it makes the
 * oldest held ones go out first, in order, giving up on the gaps before them. Nothing waits longer
 * than the wait (give or take a millisecond of timer resolution, and the I/O thread's scheduling),
 * so one loss never stalls the stream. The order is per session: a gap in one session of a server
 * holds back no other.
 *
 * <p>Memory: a held datagram is copied into a buffer of about its own length (its payload rounded
 * up to a power of two, at least 64 bytes, plus about a hundred bytes of bookkeeping), and what a
 * socket holds in all, over every session, is at most {@link #maxHeldBytes()} ({@value
 * #DEFAULT_MAX_HELD_BYTES} bytes by default), so that peers that leave gaps on purpose cannot make
 * it hold more. A datagram that would exceed it makes the socket's oldest held ones go out first, in
 * order, giving up on the gaps before them ({@linkplain OrderingStats#releasedForBudget() counted}).
 *
 * @param mode         off, fixed or auto
 * @param maxWait      for {@link Mode#FIXED} the wait, for {@link Mode#AUTO} its cap; zero when off
 * @param maxHeld      the most datagrams held per session (a power of two); zero when off
 * @param maxHeldBytes the most bytes held by the whole socket, every session together; zero when off
 */
public record OrderedDelivery(Mode mode, Duration maxWait, int maxHeld, long maxHeldBytes) {

    /** The kinds of delivery order. */
    public enum Mode {
        /** Arrival order: nothing is held. */
        OFF,
        /** Sequence order, a gap waited for at most a fixed time. */
        FIXED,
        /** Sequence order, a gap waited for according to the paths' RTT spread, up to a cap. */
        AUTO
    }

    /** The shortest wait, and the floor of the automatic one. */
    public static final Duration MIN_WAIT = Duration.ofMillis(1);
    /** The longest wait or cap. */
    public static final Duration MAX_WAIT = Duration.ofSeconds(10);
    /** The automatic wait's default cap. */
    public static final Duration DEFAULT_AUTO_CAP = Duration.ofMillis(50);
    /** How many datagrams a session holds at most, by default. */
    public static final int DEFAULT_MAX_HELD = 256;
    /** The largest {@link #maxHeld()}. */
    public static final int MAX_HELD_LIMIT = 1 << 16;
    /** How many bytes a socket holds at most, by default: 8 MiB. */
    public static final long DEFAULT_MAX_HELD_BYTES = 8L << 20;
    /** The smallest {@link #maxHeldBytes()}: room for the largest datagram with its bookkeeping. */
    public static final long MIN_HELD_BYTES = 128L << 10;
    /** The largest {@link #maxHeldBytes()}: 1 GiB. */
    public static final long MAX_HELD_BYTES_LIMIT = 1L << 30;

    /** Arrival order: the default. */
    public static final OrderedDelivery OFF = new OrderedDelivery(Mode.OFF, Duration.ZERO, 0, 0);

    /**
     * Checks the combination.
     *
     * @param mode         off, fixed or auto
     * @param maxWait      the wait or cap, from {@link #MIN_WAIT} to {@link #MAX_WAIT}; zero when off
     * @param maxHeld      2 to {@value #MAX_HELD_LIMIT}, rounded up to a power of two; zero when off
     * @param maxHeldBytes {@value #MIN_HELD_BYTES} to {@value #MAX_HELD_BYTES_LIMIT}; zero when off
     */
    public OrderedDelivery {
        if (mode == null) {
            throw new IllegalArgumentException("ordered delivery mode must not be null");
        }
        Objects.requireNonNull(maxWait, "maxWait");
        if (mode == Mode.OFF) {
            if (!maxWait.isZero() || maxHeld != 0 || maxHeldBytes != 0) {
                throw new IllegalArgumentException("a wait, maxHeld and maxHeldBytes apply to ordered delivery only");
            }
        } else {
            if (maxWait.compareTo(MIN_WAIT) < 0 || maxWait.compareTo(MAX_WAIT) > 0) {
                throw new IllegalArgumentException("ordered delivery wait must be between " + MIN_WAIT.toMillis()
                        + " ms and " + MAX_WAIT.toSeconds() + " s, got " + maxWait.toMillis() + " ms");
            }
            if (maxHeld < 2 || maxHeld > MAX_HELD_LIMIT) {
                throw new IllegalArgumentException("ordered delivery maxHeld must be between 2 and "
                        + MAX_HELD_LIMIT + ", got " + maxHeld);
            }
            if (maxHeldBytes < MIN_HELD_BYTES || maxHeldBytes > MAX_HELD_BYTES_LIMIT) {
                throw new IllegalArgumentException("ordered delivery maxHeldBytes must be between " + MIN_HELD_BYTES
                        + " and " + MAX_HELD_BYTES_LIMIT + ", got " + maxHeldBytes);
            }
            maxHeld = Integer.highestOneBit(maxHeld - 1) << 1;
        }
    }

    /**
     * With the default {@link #maxHeldBytes()} when on.
     *
     * @param mode    off, fixed or auto
     * @param maxWait the wait or cap; zero when off
     * @param maxHeld the most datagrams held per session; zero when off
     */
    public OrderedDelivery(Mode mode, Duration maxWait, int maxHeld) {
        this(mode, maxWait, maxHeld, mode == Mode.OFF ? 0 : DEFAULT_MAX_HELD_BYTES);
    }

    /** @return ordered delivery with the automatic wait, capped at {@link #DEFAULT_AUTO_CAP} */
    public static OrderedDelivery auto() {
        return auto(DEFAULT_AUTO_CAP);
    }

    /**
     * @param cap the longest the automatic wait may be
     * @return ordered delivery waiting twice the paths' RTT spread for a gap, at most {@code cap}
     */
    public static OrderedDelivery auto(Duration cap) {
        return new OrderedDelivery(Mode.AUTO, cap, DEFAULT_MAX_HELD);
    }

    /**
     * @param wait how long a gap may hold back the datagrams after it
     * @return ordered delivery with a fixed wait
     */
    public static OrderedDelivery fixed(Duration wait) {
        return new OrderedDelivery(Mode.FIXED, wait, DEFAULT_MAX_HELD);
    }

    /**
     * @param datagrams the most datagrams held per session, 2 to {@value #MAX_HELD_LIMIT}
     * @return this mode with another bound
     */
    public OrderedDelivery withMaxHeld(int datagrams) {
        if (mode == Mode.OFF) {
            throw new IllegalArgumentException("maxHeld applies to ordered delivery only");
        }
        return new OrderedDelivery(mode, maxWait, datagrams, maxHeldBytes);
    }

    /**
     * @param bytes the most bytes the socket holds, every session together, {@value #MIN_HELD_BYTES}
     *              to {@value #MAX_HELD_BYTES_LIMIT}
     * @return this mode with another budget
     */
    public OrderedDelivery withMaxHeldBytes(long bytes) {
        if (mode == Mode.OFF) {
            throw new IllegalArgumentException("maxHeldBytes applies to ordered delivery only");
        }
        return new OrderedDelivery(mode, maxWait, maxHeld, bytes);
    }

    /** @return whether datagrams are delivered in sequence order */
    public boolean isEnabled() {
        return mode != Mode.OFF;
    }
}
