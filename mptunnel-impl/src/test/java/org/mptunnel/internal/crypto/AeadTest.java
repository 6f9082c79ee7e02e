package org.mptunnel.internal.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AeadTest {

    // RFC 8439, section 2.8.2.
    private static final byte[] KEY = Hex.bytes(
            "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
    private static final int PREFIX = 0x07000000;
    private static final long COUNTER = 0x4041424344454647L;
    private static final byte[] AAD = Hex.bytes("50515253c0c1c2c3c4c5c6c7");
    private static final byte[] PLAINTEXT = ("Ladies and Gentlemen of the class of '99: If I could offer you"
            + " only one tip for the future, sunscreen would be it.").getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CIPHERTEXT = Hex.bytes(
            "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
            + "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
            + "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
            + "3ff4def08e4b7a9de576d26586cec64b6116");
    private static final byte[] TAG = Hex.bytes("1ae10b594f09e26a7e902ecbd0600691");

    @Test
    void sealsTheRfc8439Vector() {
        ByteBuffer out = ByteBuffer.allocate(PLAINTEXT.length + Aead.TAG_LENGTH);
        int n = new Aead(KEY).seal(PREFIX, COUNTER, ByteBuffer.wrap(AAD), ByteBuffer.wrap(PLAINTEXT), out);

        assertThat(n).isEqualTo(PLAINTEXT.length + 16);
        assertThat(Arrays.copyOf(out.array(), PLAINTEXT.length)).isEqualTo(CIPHERTEXT);
        assertThat(Arrays.copyOfRange(out.array(), PLAINTEXT.length, n)).isEqualTo(TAG);
    }

    @Test
    void opensTheRfc8439Vector() {
        ByteBuffer sealed = ByteBuffer.allocate(CIPHERTEXT.length + 16).put(CIPHERTEXT).put(TAG).flip();
        ByteBuffer out = ByteBuffer.allocate(CIPHERTEXT.length);

        assertThat(new Aead(KEY).open(PREFIX, COUNTER, ByteBuffer.wrap(AAD), sealed, out))
                .isEqualTo(PLAINTEXT.length);
        assertThat(out.array()).isEqualTo(PLAINTEXT);
    }

    // The GCM specification's test cases 13 and 14 (AES-256, zero key, zero 96-bit IV).
    @Test
    void aes256GcmVectors() {
        ByteBuffer empty = ByteBuffer.allocate(16);
        new Aead(Aead.Suite.AES_256_GCM, new byte[32]).seal(0, 0, ByteBuffer.allocate(0), ByteBuffer.allocate(0), empty);
        assertThat(Hex.hex(empty.array())).isEqualTo("530f8afbc74536b9a963b4f1c4cb738b");

        ByteBuffer block = ByteBuffer.allocate(32);
        new Aead(Aead.Suite.AES_256_GCM, new byte[32]).seal(0, 0, ByteBuffer.allocate(0), ByteBuffer.allocate(16), block);
        assertThat(Hex.hex(block.array()))
                .isEqualTo("cea7403d4d606b6e074ec5d3baf39d18" + "d0d1c8a799996bf0265b98b5d48ab919");
        ByteBuffer back = ByteBuffer.allocate(16);
        Aead opener = new Aead(Aead.Suite.AES_256_GCM, new byte[32]);
        assertThat(opener.open(0, 0, ByteBuffer.allocate(0), block.flip(), back)).isEqualTo(16);
        assertThat(back.array()).containsOnly(0);
        block.put(3, (byte) 1).rewind();
        assertThat(opener.open(0, 0, ByteBuffer.allocate(0), block, ByteBuffer.allocate(16))).isEqualTo(-1);
    }

    @Test
    void anyFlippedBitOfCiphertextTagOrAadFailsAndWritesNothing() {
        Aead aead = new Aead(KEY);
        byte[] sealed = new byte[CIPHERTEXT.length + 16];
        System.arraycopy(CIPHERTEXT, 0, sealed, 0, CIPHERTEXT.length);
        System.arraycopy(TAG, 0, sealed, CIPHERTEXT.length, 16);
        for (int bit = 0; bit < (sealed.length + AAD.length) * 8; bit++) {
            byte[] c = sealed.clone();
            byte[] a = AAD.clone();
            int i = bit / 8;
            if (i < c.length) {
                c[i] ^= (byte) (1 << (bit % 8));
            } else {
                a[i - c.length] ^= (byte) (1 << (bit % 8));
            }
            ByteBuffer out = ByteBuffer.allocate(c.length);
            assertThat(aead.open(PREFIX, COUNTER, ByteBuffer.wrap(a), ByteBuffer.wrap(c), out)).isEqualTo(-1);
            assertThat(out.position()).isZero();
        }
    }

    @Test
    void opensTheSameNonceTwiceInARowButRefusesToSealTwice() {
        Aead aead = new Aead(KEY);
        ByteBuffer sealed = ByteBuffer.allocate(CIPHERTEXT.length + 16).put(CIPHERTEXT).put(TAG).flip();
        for (int i = 0; i < 3; i++) {
            assertThat(aead.open(PREFIX, COUNTER, ByteBuffer.wrap(AAD), sealed.duplicate(),
                    ByteBuffer.allocate(CIPHERTEXT.length))).isEqualTo(PLAINTEXT.length);
        }
        Aead sender = new Aead(KEY);
        sender.seal(PREFIX, COUNTER, ByteBuffer.wrap(AAD), ByteBuffer.wrap(PLAINTEXT), ByteBuffer.allocate(200));
        org.assertj.core.api.Assertions.assertThatIllegalStateException().isThrownBy(() -> sender.seal(
                PREFIX, COUNTER, ByteBuffer.wrap(AAD), ByteBuffer.wrap(PLAINTEXT), ByteBuffer.allocate(200)));
    }

    @Test
    void theNoncePrefixAndCounterBothCount() {
        Aead aead = new Aead(KEY);
        byte[] sealed = new byte[CIPHERTEXT.length + 16];
        System.arraycopy(CIPHERTEXT, 0, sealed, 0, CIPHERTEXT.length);
        System.arraycopy(TAG, 0, sealed, CIPHERTEXT.length, 16);
        ByteBuffer out = ByteBuffer.allocate(sealed.length);
        assertThat(aead.open(PREFIX + 1, COUNTER, ByteBuffer.wrap(AAD), ByteBuffer.wrap(sealed), out)).isEqualTo(-1);
        assertThat(aead.open(PREFIX, COUNTER + 1, ByteBuffer.wrap(AAD), ByteBuffer.wrap(sealed), out)).isEqualTo(-1);
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(Aead.Suite.class)
    void roundTripsDirectBuffersOfEverySizeAndRejectsShortInput(Aead.Suite suite) {
        Random random = new Random(42);
        Aead sender = new Aead(suite, KEY);
        Aead receiver = new Aead(suite, KEY);
        ByteBuffer aad = ByteBuffer.allocateDirect(24);
        for (int size = 0; size < 2000; size += 37) {
            byte[] p = new byte[size];
            random.nextBytes(p);
            ByteBuffer in = ByteBuffer.allocateDirect(size).put(p).flip();
            ByteBuffer sealed = ByteBuffer.allocateDirect(size + 16);
            sender.seal(1, size, aad.clear(), in, sealed);
            ByteBuffer opened = ByteBuffer.allocateDirect(size);
            assertThat(receiver.open(1, size, aad.clear(), sealed.flip(), opened)).isEqualTo(size);
            byte[] back = new byte[size];
            opened.flip().get(back);
            assertThat(back).isEqualTo(p);
        }
        assertThat(receiver.open(1, 0, aad.clear(), ByteBuffer.allocate(15), ByteBuffer.allocate(15)))
                .isEqualTo(-1);
    }
}
