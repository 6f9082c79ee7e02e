package org.mptunnel.internal.fec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The codec's erasure patterns, exhaustively for small codes, its recipe cache and its limits. */
class ReedSolomonTest {

    private static byte[][] randomShards(Random random, int count, int length) {
        byte[][] shards = new byte[count][length];
        for (byte[] s : shards) {
            random.nextBytes(s);
        }
        return shards;
    }

    private static byte[][] copy(byte[][] shards) {
        byte[][] c = new byte[shards.length][];
        for (int i = 0; i < shards.length; i++) {
            c[i] = shards[i].clone();
        }
        return c;
    }

    /**
     * Every k ≤ 6, m ≤ 4 and every subset of the k + m shards lost: with at most m lost the data
     * comes back exactly, with more decode refuses and changes nothing.
     */
    @Test
    void everyErasurePatternOfSmallCodes() {
        Random random = new Random(20261204);
        ReedSolomon rs = new ReedSolomon(6, 4, 4);
        int patterns = 0;
        for (int k = 1; k <= 6; k++) {
            for (int m = 1; m <= 4; m++) {
                int n = k + m;
                byte[][] data = randomShards(random, k, 16);
                byte[][] repair = new byte[m][16];
                rs.encode(data, k, repair, m, 16);
                for (int lost = 0; lost < 1 << n; lost++) {
                    byte[][] d = copy(data);
                    boolean[] dataPresent = new boolean[k];
                    boolean[] repairPresent = new boolean[m];
                    for (int s = 0; s < n; s++) {
                        boolean present = (lost >>> s & 1) == 0;
                        if (s < k) {
                            dataPresent[s] = present;
                            if (!present) {
                                Arrays.fill(d[s], (byte) 0x5A);
                            }
                        } else {
                            repairPresent[s - k] = present;
                        }
                    }
                    int erased = Integer.bitCount(lost);
                    int dataErased = Integer.bitCount(lost & ((1 << k) - 1));
                    int result = rs.decode(d, dataPresent, k, repair, repairPresent, m, 16);
                    if (erased <= m) {
                        assertThat(result).as("k=%d m=%d lost=%s", k, m, Integer.toBinaryString(lost)).isEqualTo(dataErased);
                        assertThat(d).isDeepEqualTo(data);
                        patterns++;
                    } else if (dataErased > 0) {
                        assertThat(result).isEqualTo(-1);
                        for (int j = 0; j < k; j++) {
                            assertThat(dataPresent[j]).isEqualTo((lost >>> j & 1) == 0);
                        }
                    }
                }
            }
        }
        // Σ over k ≤ 6, m ≤ 4 of Σₑ≤ₘ C(k + m, e): every recoverable pattern was tried.
        assertThat(patterns).isEqualTo(1517);
    }

    /** A one-entry cache, patterns alternating: every decode after a collision recomputes correctly. */
    @Test
    void recipesThatCollideInTheCacheAreRecomputed() {
        Random random = new Random(3);
        ReedSolomon rs = new ReedSolomon(8, 4, 1);
        byte[][] data = randomShards(random, 8, 64);
        byte[][] repair = new byte[4][64];
        rs.encode(data, 8, repair, 4, 64);
        int[][] lostSets = {{0, 1}, {2, 7}, {0, 1}, {5}, {1, 3, 6}, {2, 7}, {1, 3, 6}};
        for (int[] lostSet : lostSets) {
            byte[][] d = copy(data);
            boolean[] present = new boolean[8];
            Arrays.fill(present, true);
            for (int j : lostSet) {
                present[j] = false;
                d[j] = new byte[64];
            }
            boolean[] repairPresent = {false, true, true, true, true};
            assertThat(rs.decode(d, present, 8, repair, Arrays.copyOf(repairPresent, 4), 4, 64)).isEqualTo(lostSet.length);
            assertThat(d).as("lost %s", Arrays.toString(lostSet)).isDeepEqualTo(data);
        }
    }

    /** The coefficients depend on neither k nor m: a short group codes as the first columns of a long one. */
    @Test
    void repairsOfFewerDataShardsAreTheFirstColumns() {
        Random random = new Random(4);
        byte[][] data = randomShards(random, 5, 24);
        byte[][] small = new byte[2][24];
        byte[][] large = new byte[6][24];
        new ReedSolomon(3, 2, 1).encode(data, 3, small, 2, 24);
        new ReedSolomon(32, 16, 1).encode(data, 3, large, 6, 24);
        assertThat(large[0]).isEqualTo(small[0]);
        assertThat(large[1]).isEqualTo(small[1]);
    }

    @Test
    void repairZeroIsTheXorOfTheData() {
        Random random = new Random(5);
        byte[][] data = randomShards(random, 7, 16);
        byte[][] repair = new byte[3][16];
        new ReedSolomon(7, 3, 1).encode(data, 7, repair, 3, 16);
        byte[] xor = new byte[16];
        for (byte[] d : data) {
            for (int i = 0; i < 16; i++) {
                xor[i] ^= d[i];
            }
        }
        assertThat(repair[0]).isEqualTo(xor);
    }

    @Test
    void limits() {
        assertThat(new ReedSolomon(255, 1, 1).maxData()).isEqualTo(255);
        assertThat(new ReedSolomon(128, 128, 1).maxRepair()).isEqualTo(128);
        assertThatThrownBy(() -> new ReedSolomon(200, 57, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ReedSolomon(0, 1, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ReedSolomon(4, -1, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ReedSolomon(4, 2, 0)).isInstanceOf(IllegalArgumentException.class);
        ReedSolomon rs = new ReedSolomon(4, 2, 1);
        assertThatThrownBy(() -> rs.encode(new byte[5][8], 5, new byte[2][8], 2, 8))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> rs.encode(new byte[4][12], 4, new byte[2][12], 2, 12))
                .hasMessageContaining("multiple of 8");
    }
}
