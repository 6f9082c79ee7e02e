package org.mptunnel.internal.path;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A 64-bit event counter that any thread may read while it is being counted. Writers say which
 * contract they rely on: {@link #increment} for a counter with one writing thread (the I/O thread),
 * {@link #incrementShared} where application threads may count concurrently.
 */
public final class Counter {

    private static final VarHandle VALUE;

    static {
        try {
            VALUE = MethodHandles.lookup().findVarHandle(Counter.class, "value", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private long value;

    /**
     * Single writer only. The writer reads its own last value plainly; the opaque store keeps a
     * reader on another thread from seeing a torn 64-bit value, and costs no fence.
     */
    public void increment() {
        VALUE.setOpaque(this, value + 1);
    }

    /** Single writer only; see {@link #increment}. */
    public void add(long delta) {
        VALUE.setOpaque(this, value + delta);
    }

    /** Any number of writers: an atomic add, since two threads may count at once. */
    public void incrementShared() {
        VALUE.getAndAdd(this, 1L);
    }

    /** Any number of writers; see {@link #incrementShared}. */
    public void addShared(long delta) {
        VALUE.getAndAdd(this, delta);
    }

    /**
     * A handle on a {@code long} field of the caller's class that is counted the way this class
     * counts (single writer, opaque store, any reader): for the few counters bumped per datagram,
     * kept inline in the object that owns them, which saves the load of a {@link Counter} per count.
     *
     * @param lookup the owner's {@code MethodHandles.lookup()}
     */
    public static VarHandle inline(MethodHandles.Lookup lookup, String field) {
        try {
            return lookup.findVarHandle(lookup.lookupClass(), field, long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** @return the count, as recently as this thread can see it */
    public long get() {
        return (long) VALUE.getOpaque(this);
    }
}
