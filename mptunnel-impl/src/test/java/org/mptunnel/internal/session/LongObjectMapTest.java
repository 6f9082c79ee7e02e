package org.mptunnel.internal.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class LongObjectMapTest {

    /**
     * The map mixes a random per-instance secret into its hash. Tests pin it, so that a failing
     * run lays out its table the same way again.
     */
    private static final long FIXED_SEED = 0x5EED_0F_7E57L;

    private static <V> LongObjectMap<V> newMap(int initialCapacity) {
        return new LongObjectMap<>(initialCapacity, FIXED_SEED);
    }

    /** The slot the map's own hash gives {@code key} in its current table. */
    private static int home(LongObjectMap<?> map, long key) {
        return map.slot(key);
    }

    private static int capacity(LongObjectMap<?> map) {
        return map.capacity();
    }

    /** The first {@code count} keys from {@code from} upwards whose home slot is {@code slot}. */
    private static long[] keysWithHome(LongObjectMap<?> map, int slot, int count, long from) {
        long[] found = new long[count];
        int n = 0;
        for (long key = from; n < count; key++) {
            if (home(map, key) == slot) {
                found[n++] = key;
            }
        }
        return found;
    }

    private static List<Object> values(LongObjectMap<Object> map) {
        List<Object> values = new ArrayList<>();
        for (int slot = 0; slot < map.capacity(); slot++) {
            if (map.valueAt(slot) != null) {
                values.add(map.valueAt(slot));
            }
        }
        return values;
    }

    // --- examples ----------------------------------------------------------------------------

    @Test
    void emptyMapHasNothingNotEvenKeyZero() {
        LongObjectMap<String> map = newMap(8);

        assertThat(map.size()).isZero();
        assertThat(map.get(0)).isNull();
        assertThat(map.get(-1)).isNull();
        assertThat(map.remove(0)).isNull();
        assertThat(map.size()).isZero();
    }

    @Test
    void putGetOverwriteAndRemove() {
        LongObjectMap<String> map = newMap(8);

        map.put(Long.MIN_VALUE, "min");
        map.put(0, "zero");
        map.put(Long.MAX_VALUE, "max");
        map.put(0, "zero again");

        assertThat(map.size()).isEqualTo(3);
        assertThat(map.get(Long.MIN_VALUE)).isEqualTo("min");
        assertThat(map.get(0)).isEqualTo("zero again");
        assertThat(map.get(Long.MAX_VALUE)).isEqualTo("max");
        assertThat(map.remove(0)).isEqualTo("zero again");
        assertThat(map.remove(0)).isNull();
        assertThat(map.get(0)).isNull();
        assertThat(map.size()).isEqualTo(2);
    }

    @Test
    void rejectsNullValue() {
        LongObjectMap<String> map = newMap(8);

        assertThatThrownBy(() -> map.put(1, null)).isInstanceOf(NullPointerException.class);
        assertThat(map.size()).isZero();
    }

    @Test
    void removingTheHeadOfAProbeChainKeepsTheRestReachable() {
        LongObjectMap<String> map = newMap(16);
        long[] keys = keysWithHome(map, 5, 4, 0);
        for (long key : keys) {
            map.put(key, "v" + key);
        }

        assertThat(map.remove(keys[0])).isEqualTo("v" + keys[0]);

        assertThat(map.get(keys[0])).isNull();
        for (int i = 1; i < keys.length; i++) {
            assertThat(map.get(keys[i])).isEqualTo("v" + keys[i]);
        }
        assertThat(map.remove(keys[2])).isEqualTo("v" + keys[2]);
        assertThat(map.get(keys[1])).isEqualTo("v" + keys[1]);
        assertThat(map.get(keys[3])).isEqualTo("v" + keys[3]);
        assertThat(map.size()).isEqualTo(2);
    }

    @Test
    void removingFromTheMiddleOfAChainMovesBackEntriesFromOtherHomes() {
        LongObjectMap<String> map = newMap(16);
        long[] atFive = keysWithHome(map, 5, 2, 0);
        long[] atSix = keysWithHome(map, 6, 2, 0);
        // slots 5..8: atFive[0], atFive[1], atSix[0], atSix[1]
        map.put(atFive[0], "a");
        map.put(atFive[1], "b");
        map.put(atSix[0], "c");
        map.put(atSix[1], "d");

        map.remove(atFive[0]);

        assertThat(map.get(atFive[1])).isEqualTo("b");
        assertThat(map.get(atSix[0])).isEqualTo("c");
        assertThat(map.get(atSix[1])).isEqualTo("d");

        map.remove(atSix[0]);

        assertThat(map.get(atFive[1])).isEqualTo("b");
        assertThat(map.get(atSix[1])).isEqualTo("d");
        assertThat(map.size()).isEqualTo(2);
    }

    @Test
    void entryAtItsOwnHomeBehindTheHoleStaysPut() {
        LongObjectMap<String> map = newMap(16);
        long first = keysWithHome(map, 5, 1, 0)[0];
        long[] atSix = keysWithHome(map, 6, 1, 0);
        long[] atFive = keysWithHome(map, 5, 2, first + 1);
        // slots: 5 first, 6 atSix (home), 7 atFive[0], 8 atFive[1]
        map.put(first, "first");
        map.put(atSix[0], "six");
        map.put(atFive[0], "five-a");
        map.put(atFive[1], "five-b");

        map.remove(first);

        // the entry at home 6 must not move to 5; the later home-5 entries must move up
        assertThat(map.get(atSix[0])).isEqualTo("six");
        assertThat(map.get(atFive[0])).isEqualTo("five-a");
        assertThat(map.get(atFive[1])).isEqualTo("five-b");
    }

    @Test
    void probeChainWrapsAroundTheEndOfTheTable() {
        LongObjectMap<String> map = newMap(16);
        int last = capacity(map) - 1;
        long[] atLast = keysWithHome(map, last, 3, 0);
        long atZero = keysWithHome(map, 0, 1, 0)[0];
        // slots: last, 0, 1 for atLast; 2 for atZero
        for (long key : atLast) {
            map.put(key, "last" + key);
        }
        map.put(atZero, "zero");

        map.remove(atLast[0]);

        assertThat(map.get(atLast[1])).isEqualTo("last" + atLast[1]);
        assertThat(map.get(atLast[2])).isEqualTo("last" + atLast[2]);
        assertThat(map.get(atZero)).isEqualTo("zero");

        map.remove(atLast[1]);
        map.remove(atLast[2]);

        assertThat(map.get(atZero)).isEqualTo("zero");
        assertThat(map.get(atLast[0])).isNull();
        assertThat(map.size()).isEqualTo(1);
    }

    @Test
    void growsAndKeepsEveryEntry() {
        LongObjectMap<Object> map = newMap(1);
        Map<Long, Object> expected = new HashMap<>();
        for (long i = 0; i < 5000; i++) {
            long key = i * 0x9E37_79B9_7F4A_7C15L;
            String value = "v" + i;
            map.put(key, value);
            expected.put(key, value);
        }

        assertThat(map.size()).isEqualTo(5000);
        assertThat(capacity(map)).isGreaterThanOrEqualTo(2 * 5000);
        expected.forEach((key, value) -> assertThat(map.get(key)).isSameAs(value));
        assertThat(values(map)).containsExactlyInAnyOrderElementsOf(expected.values());
    }

    @Test
    void initialCapacityIsAPowerOfTwoOfAtLeastEight() {
        assertThat(capacity(newMap(0))).isEqualTo(8);
        assertThat(capacity(newMap(8))).isEqualTo(8);
        assertThat(capacity(newMap(9))).isEqualTo(16);
        assertThat(capacity(newMap(2048))).isEqualTo(2048);
    }

    // --- properties against java.util.HashMap -------------------------------------------------

    private static final int PUT = 0;
    private static final int GET = 1;
    private static final int REMOVE = 2;

    /** Keys from a small pool (dense clusters in a small table), edge values and anything at all. */
    @Provide
    Arbitrary<List<Tuple.Tuple2<Integer, Long>>> operations() {
        Arbitrary<Long> keys = Arbitraries.frequencyOf(
                Tuple.of(8, Arbitraries.longs().between(0, 40)),
                Tuple.of(1, Arbitraries.of(Long.MIN_VALUE, -1L, Long.MAX_VALUE)),
                Tuple.of(2, Arbitraries.longs()));
        Arbitrary<Integer> kinds = Arbitraries.frequency(Tuple.of(5, PUT), Tuple.of(3, GET), Tuple.of(3, REMOVE));
        return Combinators.combine(kinds, keys).as(Tuple::of).list().ofMaxSize(600);
    }

    @Property(tries = 300, seed = "20240621")
    void behavesLikeAHashMap(@ForAll @IntRange(min = 0, max = 64) int initialCapacity,
                             @ForAll("operations") List<Tuple.Tuple2<Integer, Long>> operations) {
        LongObjectMap<Object> map = newMap(initialCapacity);
        Map<Long, Object> model = new HashMap<>();
        applyAndCompare(map, model, operations);
    }

    /**
     * Fifteen keys sharing few home slots, including the last slot, in a table of 32 that never
     * grows: long chains that run into each other and wrap round the end.
     */
    @Property(tries = 300, seed = "20240622")
    void behavesLikeAHashMapUnderHeavyCollisions(
            @ForAll("collidingOperations") List<Tuple.Tuple2<Integer, Integer>> operations) {
        LongObjectMap<Object> map = newMap(32);
        int last = capacity(map) - 1;
        long[] pool = new long[15];
        System.arraycopy(keysWithHome(map, last, 6, 0), 0, pool, 0, 6);
        System.arraycopy(keysWithHome(map, 0, 3, 0), 0, pool, 6, 3);
        System.arraycopy(keysWithHome(map, last - 2, 6, 0), 0, pool, 9, 6);

        List<Tuple.Tuple2<Integer, Long>> keyed = new ArrayList<>();
        operations.forEach(op -> keyed.add(Tuple.of(op.get1(), pool[op.get2()])));
        applyAndCompare(map, new HashMap<>(), keyed);
        assertThat(capacity(map)).isEqualTo(32);
    }

    @Provide
    Arbitrary<List<Tuple.Tuple2<Integer, Integer>>> collidingOperations() {
        Arbitrary<Integer> kinds = Arbitraries.frequency(Tuple.of(4, PUT), Tuple.of(3, GET), Tuple.of(3, REMOVE));
        return Combinators.combine(kinds, Arbitraries.integers().between(0, 14)).as(Tuple::of).list().ofMaxSize(300);
    }

    private static void applyAndCompare(LongObjectMap<Object> map, Map<Long, Object> model,
                                        List<Tuple.Tuple2<Integer, Long>> operations) {
        int step = 0;
        for (Tuple.Tuple2<Integer, Long> op : operations) {
            long key = op.get2();
            String description = "step " + step + ": " + op;
            switch (op.get1()) {
                case PUT -> {
                    Object value = new Object();
                    map.put(key, value);
                    model.put(key, value);
                }
                case GET -> assertThat(map.get(key)).as(description).isSameAs(model.get(key));
                default -> assertThat(map.remove(key)).as(description).isSameAs(model.remove(key));
            }
            assertThat(map.size()).as(description).isEqualTo(model.size());
            step++;
        }
        for (Map.Entry<Long, Object> entry : model.entrySet()) {
            assertThat(map.get(entry.getKey())).as("key %d at the end", entry.getKey()).isSameAs(entry.getValue());
        }
        assertThat(values(map)).containsExactlyInAnyOrderElementsOf(model.values());
    }
}
