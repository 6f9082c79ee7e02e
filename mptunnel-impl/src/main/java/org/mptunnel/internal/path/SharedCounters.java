package org.mptunnel.internal.path;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A few 64-bit counters that application threads update concurrently (atomic adds), kept together
 * in cache lines of their own: padded on both sides, so that the I/O thread's single-writer
 * {@link Counter}s, allocated beside them, never share their line. One send then touches one
 * line per object for all its counts, not one line per count shared with the I/O thread's.
 * Any thread reads.
 */
public final class SharedCounters {

    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(long[].class);
    /** 128 bytes each side: a cache line and the one the adjacent-line prefetcher pairs with it. */
    private static final int PAD = 16;

    private final long[] slots;

    /** @param count how many counters */
    public SharedCounters(int count) {
        this.slots = new long[PAD + count + PAD];
    }

    /** Any thread: adds atomically. @return the value before the add */
    public long getAndAdd(int counter, long delta) {
        return (long) SLOT.getAndAdd(slots, PAD + counter, delta);
    }

    /** Any thread: adds atomically. */
    public void add(int counter, long delta) {
        SLOT.getAndAdd(slots, PAD + counter, delta);
    }

    /** Before the counters are shared: sets a starting value. */
    public void start(int counter, long value) {
        SLOT.setRelease(slots, PAD + counter, value);
    }

    /** @return the count, as recently as this thread can see it */
    public long get(int counter) {
        return (long) SLOT.getOpaque(slots, PAD + counter);
    }
}
