package org.mptunnel.internal.fec;

/**
 * Arithmetic in GF(2⁸): bytes are polynomials over GF(2) of degree below 8, added and subtracted
 * by XOR (callers write {@code ^}) and multiplied modulo x⁸ + x⁴ + x³ + x² + 1
 * ({@value #POLYNOMIAL}). That polynomial is primitive,
 * so 2 generates the 255 non-zero elements and the log and exp tables cover the field; it is also
 * the one most Reed–Solomon erasure codes use (RAID-6, Jerasure, Backblaze), which makes other
 * implementations a ready cross-check. All tables are built once, at class initialisation.
 */
final class GaloisField {

    /** The reduction polynomial, bit 8 included. */
    static final int POLYNOMIAL = 0x11D;

    /** exp[i] = 2^i, for i in [0, 510): twice round, so that log a + log b needs no reduction. */
    private static final byte[] EXP = new byte[510];
    /** log[a] for a ≠ 0; log[0] is unused. */
    private static final int[] LOG = new int[256];
    /**
     * Multiplication by c as a matrix over GF(2): BIT_ROWS[8c + b] has bit b' set when bit b of
     * c·2^b' is 1, that is, when bit b' of x feeds bit b of c·x. 2 KB.
     */
    private static final byte[] BIT_ROWS = new byte[256 * 8];

    static {
        int x = 1;
        for (int i = 0; i < 255; i++) {
            EXP[i] = (byte) x;
            EXP[i + 255] = (byte) x;
            LOG[x] = i;
            x <<= 1;
            if (x > 0xFF) {
                x ^= POLYNOMIAL;
            }
        }
        for (int c = 0; c < 256; c++) {
            for (int in = 0; in < 8; in++) {
                int product = mul(c, 1 << in);
                for (int out = 0; out < 8; out++) {
                    BIT_ROWS[8 * c + out] |= (byte) ((product >>> out & 1) << in);
                }
            }
        }
    }

    private GaloisField() {
    }

    /** @return a·b, for a and b in [0, 255] */
    static int mul(int a, int b) {
        return a == 0 || b == 0 ? 0 : EXP[LOG[a] + LOG[b]] & 0xFF;
    }

    /** @return a / b; b must not be 0 */
    static int div(int a, int b) {
        if (b == 0) {
            throw new ArithmeticException("division by zero in GF(2^8)");
        }
        return a == 0 ? 0 : EXP[LOG[a] + 255 - LOG[b]] & 0xFF;
    }

    /** @return 1 / a; a must not be 0 */
    static int inverse(int a) {
        return div(1, a);
    }

    /**
     * @return the bits of x that, added, give bit {@code bit} of c·x: bit b' is set if bit b' of x
     *         is one of them
     */
    static int bitRow(int c, int bit) {
        return BIT_ROWS[8 * c + bit] & 0xFF;
    }
}
