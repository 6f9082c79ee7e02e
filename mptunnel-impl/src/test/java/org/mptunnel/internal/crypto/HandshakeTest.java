package org.mptunnel.internal.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.provider.EnumSource;
import org.mptunnel.internal.crypto.Handshake.Failure;
import org.mptunnel.internal.crypto.Handshake.Initiation;
import org.mptunnel.internal.crypto.Handshake.Initiator;
import org.mptunnel.internal.crypto.Handshake.Keys;
import org.mptunnel.internal.crypto.Handshake.Responder;

class HandshakeTest {

    private static final byte[] PSK = Hex.bytes("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    private static final byte[] OTHER_PSK = Hex.bytes("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff000102030405060708090a0b0c0d0e0f");
    private static final long SESSION = 0x1122334455667788L;
    private static final long NOW = 1_764_000_000_000_000L; // µs, fixed
    private static final long SKEW = 600_000_000L;

    /** A fixed seed: the ephemeral keys are reproducible (tests only; the engine uses real entropy). */
    private static X25519 x25519(long seed) {
        try {
            SecureRandom random = SecureRandom.getInstance("SHA1PRNG");
            random.setSeed(seed);
            return new X25519(random);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /** The server's per-session record of accepted timestamps. */
    private final Map<Long, Long> accepted = new HashMap<>();

    private long last(long session) {
        return accepted.getOrDefault(session, Long.MIN_VALUE);
    }

    private Initiation read(Responder r, ByteBuffer init) {
        return r.readInitiation(init, init.limit(), this::last, NOW);
    }

    private static ByteBuffer initiation(Initiator i, long timestamp) {
        ByteBuffer b = ByteBuffer.allocate(Handshake.INITIATION_LENGTH);
        i.writeInitiation(b, SESSION, timestamp, 1);
        return b;
    }

    private static void assertPair(Keys a, Keys b, long counter) {
        byte[] msg = {1, 2, 3, 4, 5};
        ByteBuffer sealed = ByteBuffer.allocate(msg.length + Aead.TAG_LENGTH);
        a.send.seal(1, counter, ByteBuffer.allocate(0), ByteBuffer.wrap(msg), sealed);
        ByteBuffer out = ByteBuffer.allocate(msg.length);
        assertThat(b.receive.open(1, counter, ByteBuffer.allocate(0), sealed.flip(), out)).isEqualTo(msg.length);
        assertThat(out.array()).isEqualTo(msg);
    }

    @ParameterizedTest
    @EnumSource(Aead.Suite.class)
    void theRightKeyGivesBothSidesMatchingKeysAndAResponseSmallerThanTheInitiation(Aead.Suite suite) {
        Initiator client = new Initiator(PSK, suite, x25519(1));
        Responder server = new Responder(PSK, suite, x25519(2), SKEW);

        ByteBuffer init = initiation(client, NOW);
        assertThat(init.limit()).isEqualTo(84);
        Initiation accepted = read(server, init);
        assertThat(accepted.failure).isNull();
        assertThat(accepted.sessionId).isEqualTo(SESSION);
        assertThat(accepted.timestampMicros).isEqualTo(NOW);
        assertThat(accepted.generation).isEqualTo(1);

        ByteBuffer response = ByteBuffer.allocate(Handshake.RESPONSE_LENGTH);
        Keys serverKeys = server.writeResponse(accepted, response);
        assertThat(Handshake.RESPONSE_LENGTH).isLessThan(Handshake.INITIATION_LENGTH);
        Keys clientKeys = client.readResponse(response, response.limit());

        assertThat(clientKeys).isNotNull();
        assertThat(client.pending()).isFalse();
        assertThat(clientKeys.generation).isEqualTo(1);
        assertPair(clientKeys, serverKeys, 7);
        assertPair(serverKeys, clientKeys, 7);
        // The two directions have different keys.
        ByteBuffer sealed = ByteBuffer.allocate(16);
        clientKeys.send.seal(1, 9, ByteBuffer.allocate(0), ByteBuffer.allocate(0), sealed);
        assertThat(clientKeys.receive.open(1, 9, ByteBuffer.allocate(0), sealed.flip(), ByteBuffer.allocate(0)))
                .isEqualTo(-1);
    }

    @Test
    void aWrongPreSharedKeyFailsAuthenticationAtTheResponder() {
        Initiator client = new Initiator(OTHER_PSK, Aead.Suite.CHACHA20_POLY1305, x25519(1));
        Responder server = new Responder(PSK, Aead.Suite.CHACHA20_POLY1305, x25519(2), SKEW);
        assertThat(read(server, initiation(client, NOW)).failure).isEqualTo(Failure.AUTHENTICATION);
    }

    @Test
    void aResponderWithAnotherKeyCannotCompleteTheHandshake() {
        Initiator client = new Initiator(PSK, Aead.Suite.CHACHA20_POLY1305, x25519(1));
        Initiator impostorClient = new Initiator(OTHER_PSK, Aead.Suite.CHACHA20_POLY1305, x25519(3));
        Responder impostor = new Responder(OTHER_PSK, Aead.Suite.CHACHA20_POLY1305, x25519(2), SKEW);
        // The impostor answers an initiation it could read (its own client's), relabelled.
        ByteBuffer init = initiation(client, NOW);
        Initiation its = read(impostor, initiation(impostorClient, NOW));
        ByteBuffer response = ByteBuffer.allocate(Handshake.RESPONSE_LENGTH);
        impostor.writeResponse(its, response);
        assertThat(client.readResponse(response, response.limit())).isNull();
        assertThat(client.pending()).isTrue();
        assertThat(read(impostor, init).failure).isEqualTo(Failure.AUTHENTICATION);
    }

    @Test
    void aSuiteMismatchIsToldApart() {
        Initiator client = new Initiator(PSK, Aead.Suite.AES_256_GCM, x25519(1));
        Responder server = new Responder(PSK, Aead.Suite.CHACHA20_POLY1305, x25519(2), SKEW);
        assertThat(read(server, initiation(client, NOW)).failure).isEqualTo(Failure.WRONG_SUITE);
    }

    @Test
    void aFlippedBitAnywhereInTheInitiationIsRefused() {
        Initiator client = new Initiator(PSK, Aead.Suite.CHACHA20_POLY1305, x25519(1));
        Responder server = new Responder(PSK, Aead.Suite.CHACHA20_POLY1305, x25519(2), SKEW);
        byte[] good = initiation(client, NOW).array();
        for (int bit = 0; bit < good.length * 8; bit++) {
            byte[] bad = good.clone();
            bad[bit / 8] ^= (byte) (1 << (bit % 8));
            Initiation result = read(server, ByteBuffer.wrap(bad));
            assertThat(result.failure).as("bit %d", bit).isNotNull();
        }
        assertThat(read(server, ByteBuffer.wrap(good)).ok()).isTrue();
    }

    @Test
    void aFlippedBitAnywhereInTheResponseIsRefusedAndTheInitiatorStillWaits() {
        Initiator client = new Initiator(PSK, Aead.Suite.CHACHA20_POLY1305, x25519(1));
        Responder server = new Responder(PSK, Aead.Suite.CHACHA20_POLY1305, x25519(2), SKEW);
        ByteBuffer response = ByteBuffer.allocate(Handshake.RESPONSE_LENGTH);
        Keys serverKeys = server.writeResponse(read(server, initiation(client, NOW)), response);
        byte[] good = response.array();
        for (int bit = 0; bit < good.length * 8; bit++) {
            byte[] bad = good.clone();
            bad[bit / 8] ^= (byte) (1 << (bit % 8));
            assertThat(client.readResponse(ByteBuffer.wrap(bad), bad.length)).as("bit %d", bit).isNull();
            assertThat(client.pending()).isTrue();
        }
        Keys clientKeys = client.readResponse(ByteBuffer.wrap(good), good.length);
        assertPair(clientKeys, serverKeys, 1);
    }

    @Test
    void aReplayedInitiationIsRefusedWhileTheServerRemembersTheSession() {
        Initiator client = new Initiator(PSK, Aead.Suite.CHACHA20_POLY1305, x25519(1));
        Responder server = new Responder(PSK, Aead.Suite.CHACHA20_POLY1305, x25519(2), SKEW);
        ByteBuffer first = initiation(client, NOW);
        byte[] captured = first.array().clone();
        Initiation ok = read(server, first);
        assertThat(ok.ok()).isTrue();
        accepted.put(ok.sessionId, ok.timestampMicros);
        server.writeResponse(ok, ByteBuffer.allocate(Handshake.RESPONSE_LENGTH));

        assertThat(read(server, ByteBuffer.wrap(captured)).failure).isEqualTo(Failure.REPLAY);
        // An older initiation of the same session, never seen, is refused too.
        assertThat(read(server, initiation(client, NOW - 1)).failure).isEqualTo(Failure.REPLAY);
        // The client's next one (a rekey) is accepted.
        long next = Handshake.nextTimestamp(NOW, NOW);
        assertThat(next).isEqualTo(NOW + 1);
        assertThat(read(server, initiation(client, next)).ok()).isTrue();
    }

    @Test
    void aServerThatForgotTheSessionRefusesInitiationsOutsideTheSkew() {
        Initiator client = new Initiator(PSK, Aead.Suite.CHACHA20_POLY1305, x25519(1));
        Responder server = new Responder(PSK, Aead.Suite.CHACHA20_POLY1305, x25519(2), SKEW);
        assertThat(read(server, initiation(client, NOW - SKEW - 1)).failure).isEqualTo(Failure.CLOCK_SKEW);
        assertThat(read(server, initiation(client, NOW + SKEW + 1)).failure).isEqualTo(Failure.CLOCK_SKEW);
        assertThat(read(server, initiation(client, NOW - SKEW)).ok()).isTrue();
    }

    @Test
    void aResponseToAnEarlierHandshakeDoesNotCompleteALaterOne() {
        Initiator client = new Initiator(PSK, Aead.Suite.CHACHA20_POLY1305, x25519(1));
        Responder server = new Responder(PSK, Aead.Suite.CHACHA20_POLY1305, x25519(2), SKEW);
        ByteBuffer oldResponse = ByteBuffer.allocate(Handshake.RESPONSE_LENGTH);
        server.writeResponse(read(server, initiation(client, NOW)), oldResponse);
        assertThat(client.readResponse(oldResponse.duplicate(), Handshake.RESPONSE_LENGTH)).isNotNull();

        initiation(client, NOW + 1);
        assertThat(client.readResponse(oldResponse.duplicate(), Handshake.RESPONSE_LENGTH)).isNull();
        assertThat(client.pending()).isTrue();
        // Nor does any response when nothing is pending.
        Initiator idle = new Initiator(PSK, Aead.Suite.CHACHA20_POLY1305, x25519(3));
        assertThat(idle.readResponse(oldResponse.duplicate(), Handshake.RESPONSE_LENGTH)).isNull();
    }

    @Test
    void aResponseForAnotherSessionIsRefused() {
        Initiator client = new Initiator(PSK, Aead.Suite.CHACHA20_POLY1305, x25519(1));
        Responder server = new Responder(PSK, Aead.Suite.CHACHA20_POLY1305, x25519(2), SKEW);
        ByteBuffer response = ByteBuffer.allocate(Handshake.RESPONSE_LENGTH);
        server.writeResponse(read(server, initiation(client, NOW)), response);
        response.putLong(8, SESSION + 1);
        assertThat(client.readResponse(response, Handshake.RESPONSE_LENGTH)).isNull();
    }

    @Test
    void aLowOrderEphemeralKeyFromAKeyHolderGetsNoResponse() {
        // Only a holder of the key can make an initiation authenticate; with a low-order point as
        // its ephemeral key, the DH result would be zero: refused.
        Responder server = new Responder(PSK, Aead.Suite.CHACHA20_POLY1305, x25519(2), SKEW);
        Initiator client = new Initiator(PSK, Aead.Suite.CHACHA20_POLY1305, x25519(1));
        ByteBuffer init = initiation(client, NOW);
        Initiation ok = read(server, init);
        Initiation forgedPoint = new Initiation(null, ok.sessionId, ok.timestampMicros, ok.generation, ok.state,
                new byte[32]);
        ByteBuffer out = ByteBuffer.allocate(Handshake.RESPONSE_LENGTH);
        assertThat(server.writeResponse(forgedPoint, out)).isNull();
        assertThat(out.array()).containsOnly(0);
    }

    /** Seeded fuzz: random and mutated messages of every length never throw, and never pass. */
    @Test
    void theParsersNeverThrowOnRandomOrMutatedInput() {
        Random random = new Random(20261125L);
        Initiator client = new Initiator(PSK, Aead.Suite.CHACHA20_POLY1305, x25519(1));
        Responder server = new Responder(PSK, Aead.Suite.CHACHA20_POLY1305, x25519(2), SKEW);
        byte[] init = initiation(client, NOW).array();
        ByteBuffer response = ByteBuffer.allocate(Handshake.RESPONSE_LENGTH);
        server.writeResponse(read(server, ByteBuffer.wrap(init)), response);
        byte[] resp = response.array();
        client.writeInitiation(ByteBuffer.allocate(Handshake.INITIATION_LENGTH), SESSION, NOW + 5, 2);

        for (int round = 0; round < 20_000; round++) {
            byte[] base = switch (round % 3) {
                case 0 -> init;
                case 1 -> resp;
                default -> new byte[random.nextInt(200)];
            };
            byte[] m = java.util.Arrays.copyOf(base, random.nextInt(8) == 0 ? random.nextInt(200) : base.length);
            if (round % 3 == 2) {
                random.nextBytes(m);
                if (m.length >= 4) {
                    m[0] = 0x4D;
                    m[1] = 0x50;
                    m[2] = 2;
                    m[3] = (byte) (4 + random.nextInt(2));
                }
            } else {
                for (int k = 1 + random.nextInt(4); k > 0 && m.length > 0; k--) {
                    m[random.nextInt(m.length)] ^= (byte) (1 + random.nextInt(255));
                }
            }
            int length = m.length;
            ByteBuffer in = ByteBuffer.wrap(m);
            Initiation r = server.readInitiation(in, length, this::last, NOW);
            boolean same = java.util.Arrays.equals(m, init);
            assertThat(r.ok()).isEqualTo(same);
            assertThat(client.readResponse(in, length)).isNull();
            // A length that disagrees with the buffer is refused too.
            assertThat(server.readInitiation(in, length + 1, this::last, NOW).ok()).isFalse();
        }
    }
}
