package org.mptunnel.internal.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class HkdfTest {

    private final Hkdf hkdf = new Hkdf();
    private final byte[] ikm = Hex.bytes("0b".repeat(22));

    @Test
    void rfc5869TestCase1() {
        byte[] prk = hkdf.extract(Hex.bytes("000102030405060708090a0b0c"), ikm);
        assertThat(Hex.hex(prk)).isEqualTo("077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5");
        assertThat(Hex.hex(hkdf.expand(prk, Hex.bytes("f0f1f2f3f4f5f6f7f8f9"), 42))).isEqualTo(
                "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
    }

    @Test
    void rfc5869TestCase3EmptySaltAndInfo() {
        byte[] prk = hkdf.extract(new byte[0], ikm);
        assertThat(Hex.hex(prk)).isEqualTo("19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04");
        assertThat(Hex.hex(hkdf.expand(prk, new byte[0], 42))).isEqualTo(
                "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
    }

    @Test
    void hkdf2IsTheTwoHalvesOfA64ByteExpansionAndMayOverwriteTheChainingKey() {
        byte[] ck = Hex.bytes("000102030405060708090a0b0c");
        byte[] okm = hkdf.expand(hkdf.extract(ck, ikm), new byte[0], 64);
        byte[] out1 = ck.clone();
        out1 = Arrays.copyOf(out1, 32);
        byte[] chain = Hex.bytes("000102030405060708090a0b0c");
        byte[] k = new byte[32];
        byte[] newCk = new byte[32];
        hkdf.hkdf2(chain, ikm, newCk, k);
        assertThat(newCk).isEqualTo(Arrays.copyOf(okm, 32));
        assertThat(k).isEqualTo(Arrays.copyOfRange(okm, 32, 64));

        byte[] inPlace = new byte[32];
        byte[] k2 = new byte[32];
        byte[] expected = new byte[32];
        hkdf.hkdf2(inPlace.clone(), ikm, expected, new byte[32]);
        hkdf.hkdf2(inPlace, ikm, inPlace, k2);
        assertThat(inPlace).isEqualTo(expected);
    }
}
