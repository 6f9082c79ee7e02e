package org.mptunnel.examples.flow;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link IntMap} against {@link HashMap} under seeded random puts and removes: deletion by shifting
 * back must leave every remaining key reachable, through growth too. Keys come from a small range,
 * with the high bits flow ids carry, so that they collide and long runs form.
 */
class IntMapTest {

    @Test
    void behavesAsAHashMapUnderRandomPutsAndRemoves() {
        Random random = new Random(15);
        for (int round = 0; round < 300; round++) {
            int generation = random.nextInt(4) << 20;
            int range = 1 + random.nextInt(64);
            IntMap<String> map = new IntMap<>();
            Map<Integer, String> expected = new HashMap<>();
            for (int op = 0; op < 400; op++) {
                int key = random.nextInt(range) | generation;
                if (random.nextBoolean()) {
                    String value = "v" + key + "." + op; // removal compares values by identity
                    map.put(key, value);
                    expected.put(key, value);
                } else {
                    map.remove(key, expected.getOrDefault(key, "absent"));
                    expected.remove(key);
                }
                assertThat(map.size()).isEqualTo(expected.size());
            }
            for (int key = 0; key < range; key++) {
                assertThat(map.get(key | generation)).as("round %d, key %d", round, key)
                        .isEqualTo(expected.get(key | generation));
            }
            List<String> values = new ArrayList<>();
            map.forEachValue(values::add);
            assertThat(values).containsExactlyInAnyOrderElementsOf(expected.values());
        }
    }

    @Test
    void removingWithAnotherValueKeepsTheEntry() {
        IntMap<String> map = new IntMap<>();
        map.put(7, "kept");
        map.remove(7, "other");
        map.remove(8, "kept");
        assertThat(map.get(7)).isEqualTo("kept");
        assertThat(map.size()).isEqualTo(1);
    }
}
