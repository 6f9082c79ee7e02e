package org.mptunnel.internal.session;

import java.nio.ByteBuffer;

/**
 * A server session's latest data datagrams, in the order they were sent, each with when it was
 * sent and the set of paths it went out on (an empty set: held, on no path yet). A path validated
 * late is sent what it missed (docs/PROTOCOL.md, "First replies on every path"), and a datagram
 * no path could carry waits here for the first validation.
 *
 * <p>Bounded: at most {@link #MAX_ENTRIES} datagrams and {@link #MAX_BYTES} bytes, in one arena
 * that starts small, doubles as needed and is {@linkplain #clear dropped}, with its index, when the
 * session stops logging (nothing stays). A new datagram makes room by evicting
 * the oldest that went out; held ones are never evicted, and a datagram that does not fit behind
 * them is refused. Not thread-safe: {@link Session} guards it.
 */
final class ReplyLog {

    /** The most bytes kept per session: one datagram of the largest size, or many small replies. */
    static final int MAX_BYTES = 65_536;
    /**
     * The most datagrams kept per session: enough for a burst of small replies sent before the
     * first path is validated (a server answering a new client with 300 at once lost all past the
     * 64th when this was 64), while {@link #MAX_BYTES} bounds the memory.
     */
    static final int MAX_ENTRIES = 1_024;
    private static final int FIRST_ARENA_BYTES = 4_096;

    private byte[] arena;
    /** The index, allocated with the arena and dropped with it (24 KiB while logging). */
    private int[] start;
    private int[] length;
    private long[] sentNanos;
    /** The paths each datagram went out on, as {@code Path.bit()}s; 0: held. */
    private long[] sentOn;
    private int oldest;
    private int count;
    private int bytes;
    private int held;

    /** @return how many datagrams are kept */
    int size() {
        return count;
    }

    /** @return how many datagrams wait for a path to be validated */
    int heldCount() {
        return held;
    }

    /** @return whether a datagram waits for a path to be validated */
    boolean holds() {
        return held > 0;
    }

    /**
     * Keeps a copy of {@code datagram} (position 0 to its limit), evicting the oldest datagrams
     * that went out if it needs their room.
     *
     * @param on the paths it went out on; 0 to hold it
     * @return false if it cannot be kept (longer than {@link #MAX_BYTES}, or held ones in the way)
     */
    boolean add(ByteBuffer datagram, long nowNanos, long on) {
        int length = datagram.limit();
        if (length > MAX_BYTES) {
            return false;
        }
        if (arena == null) {
            start = new int[MAX_ENTRIES];
            this.length = new int[MAX_ENTRIES];
            sentNanos = new long[MAX_ENTRIES];
            sentOn = new long[MAX_ENTRIES];
            arena = new byte[Math.max(FIRST_ARENA_BYTES, Integer.highestOneBit(Math.max(1, length - 1)) << 1)];
        }
        int at;
        while (count == MAX_ENTRIES || (at = place(length)) < 0) {
            if (count < MAX_ENTRIES && arena.length < MAX_BYTES) {
                grow(length);
            } else if (count > 0 && sentOn[oldest] != 0) {
                evictOldest();
            } else {
                return false;
            }
        }
        int slot = slot(count);
        datagram.get(0, arena, at, length);
        start[slot] = at;
        this.length[slot] = length;
        sentNanos[slot] = nowNanos;
        sentOn[slot] = on;
        count++;
        bytes += length;
        if (on == 0) {
            held++;
        }
        return true;
    }

    /** @return the i-th oldest datagram, a view of the arena (position 0 to its limit) */
    ByteBuffer datagram(int i) {
        int slot = slot(i);
        return ByteBuffer.wrap(arena, start[slot], length[slot]).slice();
    }

    long sentNanos(int i) {
        return sentNanos[slot(i)];
    }

    long sentOn(int i) {
        return sentOn[slot(i)];
    }

    /** The i-th oldest datagram went out on {@code path} (a {@code Path.bit()}) too. */
    void markSent(int i, long path) {
        int slot = slot(i);
        if (sentOn[slot] == 0) {
            held--;
        }
        sentOn[slot] |= path;
    }

    /** Forgets everything and drops the arena. */
    void clear() {
        arena = null;
        start = null;
        length = null;
        sentNanos = null;
        sentOn = null;
        oldest = 0;
        count = 0;
        bytes = 0;
        held = 0;
    }

    private int slot(int i) {
        return (oldest + i) % MAX_ENTRIES;
    }

    /** @return where a datagram of {@code length} bytes fits after the newest, or -1 */
    private int place(int length) {
        if (count == 0) {
            return length <= arena.length ? 0 : -1;
        }
        int first = start[oldest];
        int newest = slot(count - 1);
        int end = start[newest] + this.length[newest];
        if (first < end) { // one run [first, end): room after it, or before it
            return arena.length - end >= length ? end : first >= length ? 0 : -1;
        }
        return first - end >= length ? end : -1; // wrapped: room between the newest and the oldest
    }

    private void evictOldest() {
        bytes -= length[oldest];
        oldest = (oldest + 1) % MAX_ENTRIES;
        count--;
    }

    /** Doubles the arena (up to {@link #MAX_BYTES}) until {@code length} more bytes fit, the kept ones packed at its start. */
    private void grow(int length) {
        int capacity = arena.length;
        while (capacity < MAX_BYTES && capacity < bytes + length) {
            capacity <<= 1;
        }
        if (capacity == arena.length) {
            capacity = Math.min(MAX_BYTES, capacity << 1);
        }
        byte[] bigger = new byte[capacity];
        int at = 0;
        for (int i = 0; i < count; i++) {
            int slot = slot(i);
            System.arraycopy(arena, start[slot], bigger, at, this.length[slot]);
            start[slot] = at;
            at += this.length[slot];
        }
        arena = bigger;
    }
}
