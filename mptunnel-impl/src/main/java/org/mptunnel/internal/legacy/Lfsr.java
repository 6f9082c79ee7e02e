package org.mptunnel.internal.legacy;

import java.nio.ByteBuffer;

/**
 * The C mptunnel's obfuscation: a 32-bit Fibonacci LFSR (taps on bits 0, 2, 6 and 7, shifting
 * right, the new bit entering at bit 31) seeded with the datagram's IV. Each obfuscated byte is
 * XORed with {@code next(state) % 255}, the state taken as unsigned, where {@code next} runs the
 * register 32 steps. XOR makes encoding and decoding the same operation.
 *
 * <p>This is obfuscation, not encryption: the IV travels in clear and the key stream follows from it.
 */
public final class Lfsr {

    /** The 25 low bits of a 32-step advance depend only on the old state; see {@link #next}. */
    private static final long FIRST_PASS_MASK = (1L << 25) - 1;

    private Lfsr() {
    }

    /**
     * Runs the register 32 steps. Stepping one bit at a time would cost 32 iterations per byte; here
     * the whole word is computed at once. After 32 steps the new bit made at step {@code j} sits at
     * bit {@code j}, and it is {@code x[j] ^ x[j+2] ^ x[j+6] ^ x[j+7]} over the sequence {@code x}
     * of the old state's bits followed by the new bits. Bits 0 to 24 read only old bits, so one
     * shifted XOR of the old state gives them; bits 25 to 31 also read new bits 0 to 6, which a
     * second pass over the old state extended by those new bits supplies.
     *
     * @param state the register
     * @return the register after 32 steps
     */
    public static int next(int state) {
        long old = state & 0xFFFF_FFFFL;
        long first = old ^ (old >>> 2) ^ (old >>> 6) ^ (old >>> 7);
        long extended = old | ((first & FIRST_PASS_MASK) << 32);
        return (int) (extended ^ (extended >>> 2) ^ (extended >>> 6) ^ (extended >>> 7));
    }

    /**
     * Obfuscates, or restores, {@code buffer[from, to)} in place with the key stream of {@code iv}.
     * Absolute accesses: the buffer's position and limit are untouched.
     */
    public static void apply(ByteBuffer buffer, int from, int to, int iv) {
        int state = iv;
        for (int i = from; i < to; i++) {
            state = next(state);
            buffer.put(i, (byte) (buffer.get(i) ^ Integer.remainderUnsigned(state, 255)));
        }
    }
}
