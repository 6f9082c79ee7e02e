package org.mptunnel.internal.legacy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

class LfsrTest {

    /** The register as the original describes it: one bit per step, 32 steps. */
    static int reference(int state) {
        int s = state;
        for (int step = 0; step < 32; step++) {
            int bit = (s ^ (s >>> 2) ^ (s >>> 6) ^ (s >>> 7)) & 1;
            s = (s >>> 1) | (bit << 31);
        }
        return s;
    }

    @Property(seed = "20260117")
    void wordAtOnceAdvanceEqualsThirtyTwoSingleSteps(@ForAll int state) {
        assertThat(Lfsr.next(state)).isEqualTo(reference(state));
    }

    @Test
    void edgeStatesAdvanceAsTheReference() {
        for (int state : new int[] {0, 1, -1, Integer.MIN_VALUE, Integer.MAX_VALUE, 0x80, 0x0100_0000, 0xFE00_0000}) {
            assertThat(Lfsr.next(state)).as("state %08x", state).isEqualTo(reference(state));
        }
    }

    @Test
    void keyStreamIsTheUnsignedStateModulo255() {
        // A state with the top bit set: a signed remainder would be negative and differ.
        int iv = 0x6B8B4567;
        ByteBuffer buffer = ByteBuffer.allocateDirect(64);
        Lfsr.apply(buffer, 0, 64, iv);
        int state = iv;
        for (int i = 0; i < 64; i++) {
            state = reference(state);
            assertThat(buffer.get(i) & 0xFF).as("byte %d", i).isEqualTo((int) ((state & 0xFFFF_FFFFL) % 255));
        }
    }

    @Test
    void applyingTwiceRestoresTheBytesAndTouchesOnlyTheRange() {
        SplittableRandom random = new SplittableRandom(7);
        byte[] original = new byte[300];
        for (int i = 0; i < original.length; i++) {
            original[i] = (byte) random.nextInt();
        }
        ByteBuffer buffer = ByteBuffer.allocateDirect(original.length).put(0, original);
        buffer.position(5);

        Lfsr.apply(buffer, 4, 260, 12345);
        byte[] once = new byte[original.length];
        buffer.get(0, once);
        assertThat(once).isNotEqualTo(original);
        assertThat(once[3]).isEqualTo(original[3]);
        assertThat(once[260]).isEqualTo(original[260]);

        Lfsr.apply(buffer, 4, 260, 12345);
        byte[] twice = new byte[original.length];
        buffer.get(0, twice);
        assertThat(twice).isEqualTo(original);
        assertThat(buffer.position()).isEqualTo(5);
        assertThat(buffer.limit()).isEqualTo(original.length);
    }
}
