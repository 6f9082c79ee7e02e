package org.mptunnel.internal.fec;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/** Any k of the k + m shards rebuild the data, for codes up to the tunnel's k = 32, m = 16. Fixed seeds. */
class ReedSolomonProperties {

    private final ReedSolomon rs = new ReedSolomon(32, 16, 8);

    @Property(tries = 400, seed = "20261204")
    void anyKOfNRebuildTheData(@ForAll @IntRange(min = 1, max = 32) int k,
                               @ForAll @IntRange(min = 1, max = 16) int m,
                               @ForAll @IntRange(min = 0, max = 40) int words,
                               @ForAll long seed) {
        Random random = new Random(seed);
        int length = 8 * words;
        byte[][] data = new byte[k][length];
        for (byte[] d : data) {
            random.nextBytes(d);
        }
        byte[][] repair = new byte[m][length];
        rs.encode(data, k, repair, m, length);

        // Keep exactly k shards, chosen at random among the k + m.
        int n = k + m;
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int r = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[r];
            order[r] = t;
        }
        boolean[] dataPresent = new boolean[k];
        boolean[] repairPresent = new boolean[m];
        byte[][] received = new byte[k][length];
        for (int i = 0; i < k; i++) {
            int shard = order[i];
            if (shard < k) {
                dataPresent[shard] = true;
                received[shard] = data[shard].clone();
            } else {
                repairPresent[shard - k] = true;
            }
        }
        int lost = 0;
        for (boolean p : dataPresent) {
            lost += p ? 0 : 1;
        }
        assertThat(rs.decode(received, dataPresent, k, repair, repairPresent, m, length)).isEqualTo(lost);
        assertThat(received).isDeepEqualTo(data);
    }
}
