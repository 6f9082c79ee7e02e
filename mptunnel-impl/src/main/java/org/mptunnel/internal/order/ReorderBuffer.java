package org.mptunnel.internal.order;

import java.util.function.Consumer;
import org.mptunnel.internal.order.OrderCounters.Reason;

/**
 * One session's inbound datagrams put back in sequence order. A datagram that is the next expected
 * one is released at once, with the run of held ones that follows it; one ahead of a gap is held in
 * a ring indexed by sequence; one behind (its place already released past) is late and refused.
 * A gap is waited for until the earliest-held datagram has been held for the wait: then the gap
 * is given up on and what follows it released, so nothing is held longer than the wait. A datagram
 * too far ahead for the ring makes the oldest held ones go out first.
 *
 * <p>Every operation is O(1) except when a gap is given up on or filled while more is held, which
 * scans the held span once for the new deadline (at most the ring's length). Nothing allocates.
 * Not thread-safe: the I/O thread owns it; the counters may be read by any thread.
 *
 * @param <T> what is held (the engine's receive frames)
 */
public final class ReorderBuffer<T> {

    /** Where released datagrams go, and what the buffer needs to know from its owner. */
    public interface Sink<T> {
        /** Hands over a datagram, in sequence order. */
        void release(T item);

        /** @return how long a gap may be waited for, asked when holding starts */
        long waitNanos();

        /** @return the clock the deadlines are on */
        long nowNanos();

        /**
         * The buffer started holding: {@link #expire} must be called by its {@link #deadline()},
         * which only moves later until the buffer stops holding and starts again.
         */
        void holding(ReorderBuffer<T> buffer);
    }

    /** The datagram was the next expected one and was released, with any run that followed it. */
    public static final int RELEASED = 0;
    /** The datagram is ahead of a gap and is now held: the caller must not reuse it. */
    public static final int HELD = 1;
    /** The datagram's place was already released past: it is refused and counted. */
    public static final int LATE = 2;

    private final Sink<T> sink;
    private final Object[] slots;
    private final long[] arrivals;
    private final int mask;
    /** The next sequence to release; -1 until the first datagram sets the baseline. */
    private long next = -1;
    private int heldNow;
    private long waitNanos;
    private long deadline;
    /** Owner's mark: whether the buffer is on its list of deadlines to watch. */
    private boolean scheduled;

    private final OrderCounters counters;

    /**
     * @param capacity how many datagrams may be held, a power of two, at least 2
     * @param sink     where released datagrams go
     * @param counters what the buffer counts into
     */
    public ReorderBuffer(int capacity, Sink<T> sink, OrderCounters counters) {
        if (capacity < 2 || Integer.bitCount(capacity) != 1) {
            throw new IllegalArgumentException("capacity must be a power of two, at least 2: " + capacity);
        }
        this.sink = sink;
        this.slots = new Object[capacity];
        this.arrivals = new long[capacity];
        this.mask = capacity - 1;
        this.counters = counters;
    }

    /**
     * Takes one datagram that the duplicate window accepted.
     *
     * @param sequence its sequence number, non-negative
     * @return {@link #RELEASED}, {@link #HELD} or {@link #LATE}
     */
    public int offer(long sequence, T item) {
        if (next < 0) {
            next = sequence; // the first datagram sets the baseline: nothing before it is awaited
        }
        if (sequence == next) {
            sink.release(item);
            next++;
            if (heldNow > 0) {
                releaseRun(Reason.FILLED);
                rearm();
            }
            return RELEASED;
        }
        if (sequence < next) {
            counters.late();
            return LATE;
        }
        if (sequence - next > mask) {
            makeRoomFor(sequence);
            if (sequence == next) {
                return offer(sequence, item);
            }
        }
        int slot = (int) sequence & mask;
        if (slots[slot] != null) {
            // Cannot happen while the window admits each number once; refused rather than overwrite.
            counters.late();
            return LATE;
        }
        long now = sink.nowNanos();
        slots[slot] = item;
        arrivals[slot] = now;
        counters.held();
        if (heldNow++ == 0) {
            waitNanos = sink.waitNanos();
            deadline = now + waitNanos;
            sink.holding(this);
        }
        return HELD;
    }

    /**
     * @return whether {@link #offer} would hold a datagram of this number (rather than release it
     *         at once or refuse it as late), before any room is made for it
     */
    public boolean wouldHold(long sequence) {
        return next >= 0 && sequence > next;
    }

    /**
     * Gives up on the gap before the first held datagram and releases the run that follows it,
     * before their wait is over: the owner needs the memory. At least one datagram goes out.
     */
    public void releaseFirstRun() {
        if (heldNow == 0) {
            return;
        }
        skipGap();
        releaseRun(Reason.BUDGET);
        rearm();
    }

    /** @return when the earliest-held datagram arrived; valid while holding */
    public long earliestArrival() {
        return deadline - waitNanos;
    }

    /** Marks the buffer as watched by its owner; @return false if it already was */
    public boolean schedule() {
        boolean was = scheduled;
        scheduled = true;
        return !was;
    }

    /** Its owner no longer watches the buffer's deadline (it holds nothing). */
    public void unschedule() {
        scheduled = false;
    }

    /** @return whether anything is held */
    public boolean isHolding() {
        return heldNow > 0;
    }

    /** @return when the oldest held datagram will have waited long enough; valid while holding */
    public long deadline() {
        return deadline;
    }

    /**
     * Gives up on the gaps whose wait is over and releases what follows them, in order.
     *
     * @return whether anything is still held
     */
    public boolean expire(long nowNanos) {
        while (heldNow > 0 && nowNanos - deadline >= 0) {
            skipGap();
            releaseRun(Reason.TIMEOUT);
            rearm();
        }
        return heldNow > 0;
    }

    /**
     * The peer restarted its numbering: releases everything held, in order (the gaps before it will
     * never be filled), and takes the next datagram as the new baseline.
     */
    public void restart() {
        while (heldNow > 0) {
            skipGap();
            releaseRun(Reason.FILLED);
        }
        next = -1;
    }

    /**
     * The socket is closing: forgets everything held without releasing it.
     *
     * @param onDiscard takes each held datagram back
     */
    public void discard(Consumer<T> onDiscard) {
        for (int i = 0; i < slots.length && heldNow > 0; i++) {
            @SuppressWarnings("unchecked")
            T item = (T) slots[i];
            if (item != null) {
                slots[i] = null;
                heldNow--;
                counters.discarded();
                onDiscard.accept(item);
            }
        }
    }

    public OrderCounters counters() {
        return counters;
    }

    /** Releases past held datagrams and gaps until {@code sequence} fits in the ring. */
    private void makeRoomFor(long sequence) {
        long room = sequence - mask; // the lowest next that lets sequence fit
        while (heldNow > 0 && next < room) {
            if (slots[(int) next & mask] == null) {
                counters.skipped(1);
                next++;
            } else {
                releaseOne(Reason.ROOM);
            }
        }
        if (next < room) {
            // Nothing held any more: the rest of the gap is skipped in one step.
            counters.skipped(room - next);
            next = room;
        }
        if (heldNow > 0) {
            releaseRun(Reason.ROOM);
            rearm();
        }
    }

    /** Skips the gap at {@link #next}; there is a held datagram after it. */
    private void skipGap() {
        long start = next;
        while (slots[(int) next & mask] == null) {
            next++;
        }
        counters.skipped(next - start);
    }

    /** Releases the held run that starts at {@link #next}. */
    private void releaseRun(Reason reason) {
        while (heldNow > 0 && slots[(int) next & mask] != null) {
            releaseOne(reason);
        }
    }

    private void releaseOne(Reason reason) {
        int slot = (int) next & mask;
        @SuppressWarnings("unchecked")
        T item = (T) slots[slot];
        slots[slot] = null;
        heldNow--;
        next++;
        counters.released(reason);
        sink.release(item);
    }

    /** After a release with more still held: the deadline of the earliest-held datagram. */
    private void rearm() {
        if (heldNow == 0) {
            return;
        }
        long earliest = Long.MAX_VALUE;
        int seen = 0;
        for (long s = next; seen < heldNow; s++) {
            int slot = (int) s & mask;
            if (slots[slot] != null) {
                seen++;
                if (earliest == Long.MAX_VALUE || arrivals[slot] - earliest < 0) {
                    earliest = arrivals[slot];
                }
            }
        }
        deadline = earliest + waitNanos;
    }
}
