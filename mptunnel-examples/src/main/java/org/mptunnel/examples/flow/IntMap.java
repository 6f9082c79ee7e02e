package org.mptunnel.examples.flow;

import java.util.Arrays;
import java.util.function.Consumer;

/**
 * A map from int keys to values without boxing, so that looking a flow up by its id allocates
 * nothing: open addressing with linear probing, deletion by shifting back (no tombstones), doubling
 * past three quarters full. Not thread-safe: its owner guards it.
 *
 * @param <V> the values
 */
public final class IntMap<V> {

    private int[] keys;
    private Object[] values;
    private int size;

    /** An empty map with room for a few entries. */
    public IntMap() {
        keys = new int[8];
        values = new Object[8];
    }

    /** @return the value of {@code key}, or null */
    @SuppressWarnings("unchecked")
    public V get(int key) {
        int mask = keys.length - 1;
        for (int i = mix(key) & mask; values[i] != null; i = (i + 1) & mask) {
            if (keys[i] == key) {
                return (V) values[i];
            }
        }
        return null;
    }

    /** Sets {@code key} to {@code value} (not null). */
    public void put(int key, V value) {
        if ((size + 1) * 4 > keys.length * 3) {
            grow();
        }
        int mask = keys.length - 1;
        int i = mix(key) & mask;
        for (; values[i] != null; i = (i + 1) & mask) {
            if (keys[i] == key) {
                values[i] = value;
                return;
            }
        }
        keys[i] = key;
        values[i] = value;
        size++;
    }

    /** Removes {@code key} if it maps to {@code value}. */
    public void remove(int key, V value) {
        int mask = keys.length - 1;
        int i = mix(key) & mask;
        for (; values[i] != null; i = (i + 1) & mask) {
            if (keys[i] == key) {
                if (values[i] != value) {
                    return;
                }
                break;
            }
        }
        if (values[i] == null) {
            return;
        }
        values[i] = null;
        size--;
        // Shift back the entries of the run after it that probed past this slot.
        for (int j = (i + 1) & mask; values[j] != null; j = (j + 1) & mask) {
            int home = mix(keys[j]) & mask;
            if (((j - home) & mask) >= ((j - i) & mask)) {
                keys[i] = keys[j];
                values[i] = values[j];
                values[j] = null;
                i = j;
            }
        }
    }

    /** @return the number of entries */
    public int size() {
        return size;
    }

    /** Calls {@code action} with every value. */
    @SuppressWarnings("unchecked")
    public void forEachValue(Consumer<? super V> action) {
        for (Object v : values) {
            if (v != null) {
                action.accept((V) v);
            }
        }
    }

    /** Removes every entry. */
    public void clear() {
        Arrays.fill(values, null);
        size = 0;
    }

    private void grow() {
        int[] oldKeys = keys;
        Object[] oldValues = values;
        keys = new int[oldKeys.length * 2];
        values = new Object[oldValues.length * 2];
        size = 0;
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldValues[i] != null) {
                @SuppressWarnings("unchecked")
                V v = (V) oldValues[i];
                put(oldKeys[i], v);
            }
        }
    }

    /** Spreads ids that differ only in their high bits (a slot's generations) over the table. */
    private static int mix(int key) {
        int h = key * 0x9E3779B9;
        return h ^ (h >>> 16);
    }
}
