package org.mptunnel.internal.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.KeyPair;
import java.security.SecureRandom;
import org.junit.jupiter.api.Test;

class X25519Test {

    private final X25519 x = new X25519(new SecureRandom());

    @Test
    void rfc7748Section52FirstVector() {
        byte[] out = new byte[32];
        assertThat(x.agree(
                x.privateKey(Hex.bytes("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4")),
                Hex.bytes("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c"), out)).isTrue();
        assertThat(Hex.hex(out)).isEqualTo("c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552");
    }

    @Test
    void rfc7748Section61DiffieHellman() {
        byte[] alice = Hex.bytes("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
        byte[] bob = Hex.bytes("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
        byte[] basePoint = new byte[32];
        basePoint[0] = 9;
        byte[] alicePublic = new byte[32];
        byte[] bobPublic = new byte[32];
        x.agree(x.privateKey(alice), basePoint, alicePublic);
        x.agree(x.privateKey(bob), basePoint, bobPublic);
        assertThat(Hex.hex(alicePublic)).isEqualTo("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
        assertThat(Hex.hex(bobPublic)).isEqualTo("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");

        byte[] k1 = new byte[32];
        byte[] k2 = new byte[32];
        x.agree(x.privateKey(alice), bobPublic, k1);
        x.agree(x.privateKey(bob), alicePublic, k2);
        assertThat(Hex.hex(k1)).isEqualTo("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
        assertThat(k2).isEqualTo(k1);
    }

    @Test
    void encodesGeneratedPublicKeysAsTheRfcDoes() {
        KeyPair a = x.generate();
        KeyPair b = x.generate();
        byte[] k1 = new byte[32];
        byte[] k2 = new byte[32];
        assertThat(x.agree(a.getPrivate(), X25519.encode(b.getPublic()), k1)).isTrue();
        assertThat(x.agree(b.getPrivate(), X25519.encode(a.getPublic()), k2)).isTrue();
        assertThat(k1).isEqualTo(k2);
    }

    @Test
    void refusesLowOrderPoints() {
        KeyPair a = x.generate();
        byte[] out = new byte[32];
        assertThat(x.agree(a.getPrivate(), new byte[32], out)).isFalse();
        byte[] one = new byte[32];
        one[0] = 1;
        assertThat(x.agree(a.getPrivate(), one, out)).isFalse();
        assertThat(out).containsOnly(0);
    }
}
