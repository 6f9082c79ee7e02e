package org.mptunnel.internal.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.security.SecureRandom;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.mptunnel.internal.wire.Sealed;

/**
 * Property-based fuzzing of everything protocol v2 parses before it trusts a sender: the
 * responder's INITIATION parser, the initiator's RESPONSE parser (with a handshake pending) and
 * the transport's header check and open. Fixed seeds, so that a failure reproduces. No input may
 * throw, and none but the genuine messages may pass.
 */
class HandshakeFuzzProperties {

    private static final byte[] PSK = Hex.bytes("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    private static final long SESSION = 0x0102030405060708L;
    private static final long NOW = 1_764_000_000_000_000L;

    private static X25519 x25519(long seed) {
        try {
            SecureRandom random = SecureRandom.getInstance("SHA1PRNG");
            random.setSeed(seed);
            return new X25519(random);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    private final Handshake.Responder responder = new Handshake.Responder(PSK, Aead.Suite.AES_256_GCM, x25519(1), 600_000_000L);
    private final Handshake.Initiator initiator = new Handshake.Initiator(PSK, Aead.Suite.AES_256_GCM, x25519(2));
    private final byte[] initiation;
    private final byte[] response;
    private final Transport transport;

    HandshakeFuzzProperties() {
        Handshake.Initiator first = new Handshake.Initiator(PSK, Aead.Suite.AES_256_GCM, x25519(3));
        ByteBuffer init = ByteBuffer.allocate(Handshake.INITIATION_LENGTH);
        first.writeInitiation(init, SESSION, NOW, 1);
        initiation = init.array();
        Handshake.Initiation accepted = responder.readInitiation(init, initiation.length, id -> Long.MIN_VALUE, NOW);
        ByteBuffer resp = ByteBuffer.allocate(Handshake.RESPONSE_LENGTH);
        Handshake.Keys serverKeys = responder.writeResponse(accepted, resp);
        response = resp.array();
        transport = new Transport(serverKeys, 0, 1_000_000_000L);
        // A handshake of another initiator is pending, so that its response parser runs in full.
        initiator.writeInitiation(ByteBuffer.allocate(Handshake.INITIATION_LENGTH), SESSION, NOW + 1, 1);
    }

    /** Random bytes behind a version 2 prefix of every type, of every length up to 200. */
    @Property(tries = 3000, seed = "20261125")
    void anyBytesBehindAVersion2PrefixNeverThrowAndNeverPass(@ForAll @Size(max = 200) byte[] bytes,
                                                            @ForAll @IntRange(min = 0, max = 6) int type) {
        if (bytes.length >= 4) {
            bytes[0] = 0x4D;
            bytes[1] = 0x50;
            bytes[2] = 2;
            bytes[3] = (byte) type;
        }
        assertRefusedEverywhere(bytes);
    }

    /** The genuine messages with one to four bytes changed, and cut or extended. */
    @Property(tries = 3000, seed = "20261126")
    void mutatedGenuineMessagesNeverThrowAndNeverPass(@ForAll("mutations") byte[] bytes) {
        assertRefusedEverywhere(bytes);
    }

    @Provide
    Arbitrary<byte[]> mutations() {
        Arbitrary<Boolean> whichMessage = Arbitraries.of(true, false);
        Arbitrary<int[]> edits = Arbitraries.integers().between(0, Integer.MAX_VALUE).array(int[].class).ofMinSize(1).ofMaxSize(4);
        Arbitrary<Integer> lengthChange = Arbitraries.integers().between(-3, 3);
        return Combinators.combine(whichMessage, edits, lengthChange).as((init, positions, delta) -> {
            byte[] base = init ? initiation : response;
            byte[] copy = java.util.Arrays.copyOf(base, Math.max(0, base.length + (positions.length == 1 ? delta : 0)));
            for (int p : positions) {
                if (copy.length > 0) {
                    copy[p % copy.length] ^= (byte) (1 + (p >>> 8) % 255);
                }
            }
            return copy;
        }).filter(b -> !java.util.Arrays.equals(b, initiation) && !java.util.Arrays.equals(b, response));
    }

    private void assertRefusedEverywhere(byte[] bytes) {
        ByteBuffer in = ByteBuffer.wrap(bytes.clone());
        assertThat(responder.readInitiation(in, bytes.length, id -> Long.MIN_VALUE, NOW).ok()).isFalse();
        assertThat(initiator.pending()).isTrue();
        assertThat(initiator.readResponse(ByteBuffer.wrap(bytes.clone()), bytes.length)).isNull();
        assertThat(initiator.pending()).as("a refused response leaves the handshake waiting").isTrue();
        ByteBuffer sealed = ByteBuffer.allocate(Math.max(bytes.length, 1)).put(bytes).clear();
        if (Sealed.check(sealed, bytes.length) > 0) {
            assertThat(transport.open(sealed, bytes.length, 0)).isEqualTo(-1);
        }
    }
}
