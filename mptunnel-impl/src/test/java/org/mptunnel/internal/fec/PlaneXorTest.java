package org.mptunnel.internal.fec;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The coding loop against a byte-by-byte XOR: every source count and length up to 40, any offsets. */
class PlaneXorTest {

    @Test
    void sumsEveryRangeExactly() {
        Random random = new Random(11);
        for (int n = 0; n <= 9; n++) {
            for (int length = 0; length <= 40; length++) {
                byte[][] source = new byte[n][];
                int[] offset = new int[n];
                for (int s = 0; s < n; s++) {
                    source[s] = new byte[length + 13];
                    random.nextBytes(source[s]);
                    offset[s] = random.nextInt(14);
                }
                byte[] out = new byte[length + 20];
                random.nextBytes(out);
                byte[] expected = out.clone();
                int at = random.nextInt(21);
                for (int i = 0; i < length; i++) {
                    int sum = 0;
                    for (int s = 0; s < n; s++) {
                        sum ^= source[s][offset[s] + i];
                    }
                    expected[at + i] = (byte) sum;
                }
                PlaneXor.sum(source, offset, n, out, at, length);
                assertThat(out).as("n=%d length=%d", n, length).isEqualTo(expected);
            }
        }
    }
}
