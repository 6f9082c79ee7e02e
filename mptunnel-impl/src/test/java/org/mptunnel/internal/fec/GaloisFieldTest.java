package org.mptunnel.internal.fec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The field's tables against its definition, exhaustively over all 256 × 256 products. */
class GaloisFieldTest {

    /** Carry-less multiplication, reduced by the polynomial bit by bit: the definition, no tables. */
    private static int slowMul(int a, int b) {
        int product = 0;
        for (int bit = 0; bit < 8; bit++) {
            if ((b >>> bit & 1) != 0) {
                product ^= a << bit;
            }
        }
        for (int bit = 14; bit >= 8; bit--) {
            if ((product >>> bit & 1) != 0) {
                product ^= GaloisField.POLYNOMIAL << (bit - 8);
            }
        }
        return product;
    }

    @Test
    void everyProductMatchesTheDefinition() {
        for (int a = 0; a < 256; a++) {
            for (int b = 0; b < 256; b++) {
                assertThat(GaloisField.mul(a, b)).as("%d * %d", a, b).isEqualTo(slowMul(a, b));
            }
        }
    }

    /** Bit b of c·x is the parity of the bits of x that bitRow(c, b) selects. */
    @Test
    void theBitMatricesMultiply() {
        for (int c = 0; c < 256; c++) {
            for (int x = 0; x < 256; x++) {
                int product = 0;
                for (int bit = 0; bit < 8; bit++) {
                    product |= (Integer.bitCount(GaloisField.bitRow(c, bit) & x) & 1) << bit;
                }
                assertThat(product).as("%d * %d", c, x).isEqualTo(slowMul(c, x));
            }
        }
    }

    @Test
    void twoGeneratesEveryNonZeroElement() {
        Set<Integer> powers = new HashSet<>();
        int x = 1;
        for (int i = 0; i < 255; i++) {
            powers.add(x);
            x = GaloisField.mul(x, 2);
        }
        assertThat(x).isEqualTo(1);
        assertThat(powers).hasSize(255).doesNotContain(0);
    }

    @Test
    void divisionUndoesMultiplication() {
        for (int a = 0; a < 256; a++) {
            for (int b = 1; b < 256; b++) {
                assertThat(GaloisField.div(GaloisField.mul(a, b), b)).isEqualTo(a);
            }
        }
        for (int a = 1; a < 256; a++) {
            assertThat(GaloisField.mul(a, GaloisField.inverse(a))).isEqualTo(1);
        }
        assertThatThrownBy(() -> GaloisField.inverse(0)).isInstanceOf(ArithmeticException.class);
    }

    @Test
    void multiplicationDistributesOverAddition() {
        for (int a = 0; a < 256; a += 7) {
            for (int b = 0; b < 256; b++) {
                for (int c = 0; c < 256; c += 5) {
                    assertThat(GaloisField.mul(a, b ^ c)).isEqualTo(GaloisField.mul(a, b) ^ GaloisField.mul(a, c));
                }
            }
        }
    }
}
