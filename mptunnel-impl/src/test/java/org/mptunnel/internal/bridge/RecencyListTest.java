package org.mptunnel.internal.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

class RecencyListTest {

    /**
     * Against a model: a LinkedHashSet where marking used is remove-then-add. Operations are
     * encoded as integers: item {@code op % 8}, marked used if {@code op / 8} is even, else removed.
     */
    @Property(tries = 300, seed = "20261204")
    void keepsItemsInOrderOfLastUse(@ForAll @Size(max = 200) List<@IntRange(min = 0, max = 15) Integer> ops) {
        RecencyList<Integer> list = new RecencyList<>();
        List<RecencyList.Node<Integer>> nodes = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            nodes.add(new RecencyList.Node<>(i));
        }
        LinkedHashSet<Integer> model = new LinkedHashSet<>();
        for (int op : ops) {
            int item = op % 8;
            model.remove(item);
            if (op / 8 == 0) {
                model.add(item);
                list.markUsed(nodes.get(item));
            } else {
                list.remove(nodes.get(item));
            }
            assertThat(list.size()).isEqualTo(model.size());
            assertThat(list.leastRecent()).isEqualTo(model.isEmpty() ? null : model.iterator().next());
        }
        List<Integer> drained = new ArrayList<>();
        for (Integer oldest = list.leastRecent(); oldest != null; oldest = list.leastRecent()) {
            drained.add(oldest);
            list.remove(nodes.get(oldest));
        }
        assertThat(drained).containsExactlyElementsOf(model);
    }
}
