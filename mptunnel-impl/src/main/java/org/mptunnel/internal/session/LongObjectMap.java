package org.mptunnel.internal.session;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Open-addressing map from {@code long} to object, with linear probing and backward-shift removal,
 * so that looking a session up by its 64-bit id neither boxes nor allocates. Grows by doubling
 * (allocation only while the table grows). Not thread-safe: the I/O thread owns it.
 */
final class LongObjectMap<V> {

    /** Per-table secret mixed into the hash, so that crafted ids cannot be made to collide. */
    private final long seed;
    private long[] keys;
    private Object[] values;
    private int mask;
    private int size;

    LongObjectMap(int initialCapacity) {
        this(initialCapacity, ThreadLocalRandom.current().nextLong());
    }

    /** With a chosen hash secret: tests pin it so that a table's layout can be reproduced. */
    LongObjectMap(int initialCapacity, long seed) {
        this.seed = seed;
        int capacity = Math.max(8, Integer.highestOneBit(Math.max(1, initialCapacity - 1)) << 1);
        keys = new long[capacity];
        values = new Object[capacity];
        mask = capacity - 1;
    }

    int size() {
        return size;
    }

    /** @return the table's length, which grows by doubling */
    int capacity() {
        return keys.length;
    }

    @SuppressWarnings("unchecked")
    V get(long key) {
        for (int i = slot(key); ; i = (i + 1) & mask) {
            Object value = values[i];
            if (value == null) {
                return null;
            }
            if (keys[i] == key) {
                return (V) value;
            }
        }
    }

    void put(long key, V value) {
        if (value == null) {
            throw new NullPointerException("value");
        }
        if ((size + 1) * 2 > keys.length) {
            grow();
        }
        for (int i = slot(key); ; i = (i + 1) & mask) {
            if (values[i] == null) {
                keys[i] = key;
                values[i] = value;
                size++;
                return;
            }
            if (keys[i] == key) {
                values[i] = value;
                return;
            }
        }
    }

    @SuppressWarnings("unchecked")
    V remove(long key) {
        for (int i = slot(key); ; i = (i + 1) & mask) {
            Object value = values[i];
            if (value == null) {
                return null;
            }
            if (keys[i] == key) {
                shiftBack(i);
                size--;
                return (V) value;
            }
        }
    }

    /**
     * @param slot 0 to {@link #capacity()} - 1
     * @return the value in that slot, or null if it is empty; for iterating without a lambda (and
     *         so without allocating) while nothing is added or removed
     */
    @SuppressWarnings("unchecked")
    V valueAt(int slot) {
        return (V) values[slot];
    }

    /** Closes the gap at {@code hole} by moving back entries whose probe chain runs through it. */
    private void shiftBack(int hole) {
        int i = hole;
        while (true) {
            i = (i + 1) & mask;
            if (values[i] == null) {
                break;
            }
            int home = slot(keys[i]);
            // The entry at i may move into the hole unless its home lies cyclically in (hole, i].
            boolean homeBetween = hole <= i ? (home > hole && home <= i) : (home > hole || home <= i);
            if (!homeBetween) {
                keys[hole] = keys[i];
                values[hole] = values[i];
                hole = i;
            }
        }
        values[hole] = null;
        keys[hole] = 0;
    }

    private void grow() {
        long[] oldKeys = keys;
        Object[] oldValues = values;
        keys = new long[oldKeys.length * 2];
        values = new Object[oldValues.length * 2];
        mask = keys.length - 1;
        size = 0;
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldValues[i] != null) {
                @SuppressWarnings("unchecked")
                V value = (V) oldValues[i];
                put(oldKeys[i], value);
            }
        }
    }

    /** @return the key's home slot in the current table */
    int slot(long key) {
        // fmix64 of MurmurHash3 over the seeded key.
        long h = key ^ seed;
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return (int) h & mask;
    }
}
