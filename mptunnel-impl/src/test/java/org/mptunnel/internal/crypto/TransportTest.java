package org.mptunnel.internal.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.mptunnel.internal.crypto.Handshake.Initiator;
import org.mptunnel.internal.crypto.Handshake.Keys;
import org.mptunnel.internal.crypto.Handshake.Responder;
import org.mptunnel.internal.wire.Sealed;
import org.mptunnel.internal.wire.Header;

class TransportTest {

    private static final byte[] PSK = Hex.bytes("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    private static final long SESSION = 42;
    private static final long NOW_MICROS = 1_764_000_000_000_000L;
    private static final long GRACE = 3_000_000_000L;

    private final Initiator client = new Initiator(PSK, Aead.Suite.AES_256_GCM, x25519(1));
    private final Responder server = new Responder(PSK, Aead.Suite.AES_256_GCM, x25519(2), 600_000_000L);
    private long timestamp = NOW_MICROS;

    private static X25519 x25519(long seed) {
        try {
            SecureRandom random = SecureRandom.getInstance("SHA1PRNG");
            random.setSeed(seed);
            return new X25519(random);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /** Runs a handshake; returns {client keys, server keys}. */
    private Keys[] handshake(int generation) {
        ByteBuffer init = ByteBuffer.allocate(Handshake.INITIATION_LENGTH);
        client.writeInitiation(init, SESSION, timestamp++, generation);
        ByteBuffer response = ByteBuffer.allocate(Handshake.RESPONSE_LENGTH);
        Keys serverKeys = server.writeResponse(
                server.readInitiation(init, init.limit(), id -> Long.MIN_VALUE, NOW_MICROS), response);
        Keys clientKeys = client.readResponse(response, response.limit());
        return new Keys[] {clientKeys, serverKeys};
    }

    private static ByteBuffer datagram(byte type, long sequence, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocateDirect(Header.LENGTH + payload.length + Aead.TAG_LENGTH);
        b.putShort(0, Header.MAGIC).put(2, Header.VERSION_SEALED).put(3, type)
                .putLong(8, SESSION).putLong(16, sequence).put(Header.LENGTH, payload);
        return b;
    }

    private static byte[] payload(ByteBuffer b, int n) {
        byte[] out = new byte[n];
        b.get(Header.LENGTH, out);
        return out;
    }

    @Test
    void sealsInPlaceAndOpensInPlace() {
        Keys[] k = handshake(1);
        Transport c = new Transport(k[0], 0, GRACE);
        Transport s = new Transport(k[1], 0, GRACE);
        byte[] p = "hello, tunnel".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        ByteBuffer d = datagram((byte) 1, 7, p);
        int length = c.seal(d, p.length);

        assertThat(length).isEqualTo(24 + p.length + 16);
        assertThat(payload(d, p.length)).isNotEqualTo(p);
        assertThat(Sealed.check(d, length)).isEqualTo(1);
        assertThat(s.open(d, length, 1)).isEqualTo(p.length);
        assertThat(payload(d, p.length)).isEqualTo(p);
    }

    @Test
    void aFlippedBitAnywhereInASealedDatagramIsRefused() {
        Keys[] k = handshake(1);
        Transport c = new Transport(k[0], 0, GRACE);
        Transport s = new Transport(k[1], 0, GRACE);
        byte[] p = new byte[40];
        Arrays.fill(p, (byte) 0x5A);
        ByteBuffer d = datagram((byte) 1, 3, p);
        int length = c.seal(d, p.length);
        byte[] good = new byte[length];
        d.get(0, good);
        for (int bit = 0; bit < length * 8; bit++) {
            byte[] bad = good.clone();
            bad[bit / 8] ^= (byte) (1 << (bit % 8));
            ByteBuffer b = ByteBuffer.allocateDirect(length).put(bad).flip();
            boolean refused = Sealed.check(b, length) < 0 || s.open(b, length, 1) < 0;
            assertThat(refused).as("bit %d", bit).isTrue();
        }
        assertThat(s.open(ByteBuffer.allocateDirect(length).put(good).flip(), length, 1)).isEqualTo(40);
    }

    @Test
    void anotherSessionsKeysOpenNothing() {
        Keys[] old = handshake(1);
        Keys[] fresh = handshake(1);
        Transport oldClient = new Transport(old[0], 0, GRACE);
        Transport server = new Transport(fresh[1], 0, GRACE);
        ByteBuffer d = datagram((byte) 1, 0, new byte[10]);
        int length = oldClient.seal(d, 10);
        assertThat(server.open(d, length, 1)).isEqualTo(-1);
    }

    @Test
    void typeAndSequenceAreTheNonceSoAKeepaliveCannotPassForData() {
        Keys[] k = handshake(1);
        Transport c = new Transport(k[0], 0, GRACE);
        Transport s = new Transport(k[1], 0, GRACE);
        ByteBuffer d = datagram((byte) 2, 5, new byte[16]);
        int length = c.seal(d, 16);
        d.put(3, (byte) 1);
        assertThat(s.open(d, length, 1)).isEqualTo(-1);
    }

    @Test
    void aRekeySwitchesWithoutAGapAndTheOldGenerationExpiresAfterTheGrace() {
        Keys[] first = handshake(1);
        Transport c = new Transport(first[0], 0, GRACE);
        Transport s = new Transport(first[1], 0, GRACE);
        assertThat(c.rekeyDue(1, 120_000_000_000L, 3)).isFalse();
        for (int i = 0; i < 3; i++) {
            c.seal(datagram((byte) 1, i, new byte[1]), 1);
        }
        assertThat(c.rekeyDue(1, 120_000_000_000L, 3)).isTrue();

        // A datagram sealed under generation 1 is still in flight when the rekey completes.
        ByteBuffer inFlight = datagram((byte) 1, 10, new byte[4]);
        int inFlightLength = c.seal(inFlight, 4);

        Keys[] second = handshake(2);
        s.offer(second[1], 100);
        c.install(second[0], 100);
        assertThat(c.generation()).isEqualTo(2);
        assertThat(c.rekeyDue(101, 120_000_000_000L, 3)).isFalse();
        // The server still seals under 1 until it hears 2; the client opens both.
        ByteBuffer reply = datagram((byte) 1, 1_000, new byte[3]);
        int replyLength = s.seal(reply, 3);
        assertThat(reply.getShort(Header.GENERATION_OFFSET)).isEqualTo((short) 1);
        assertThat(c.open(reply, replyLength, 200)).isEqualTo(3);

        ByteBuffer under2 = datagram((byte) 1, 11, new byte[5]);
        int under2Length = c.seal(under2, 5);
        assertThat(under2.getShort(Header.GENERATION_OFFSET)).isEqualTo((short) 2);
        assertThat(s.open(under2, under2Length, 300)).isEqualTo(5);
        assertThat(s.generation()).isEqualTo(2);
        // The old generation's datagram opens during the grace...
        ByteBuffer copy = ByteBuffer.allocateDirect(inFlightLength);
        copy.put(0, inFlight, 0, inFlightLength);
        assertThat(s.open(inFlight, inFlightLength, 400)).isEqualTo(4);
        // ...and not after it.
        assertThat(s.open(copy, inFlightLength, 300 + GRACE)).isEqualTo(-1);
        // An unknown generation opens nothing.
        ByteBuffer under3 = datagram((byte) 1, 12, new byte[5]);
        int under3Length = c.seal(under3, 5);
        under3.putShort(Header.GENERATION_OFFSET, (short) 3);
        assertThat(s.open(under3, under3Length, 500)).isEqualTo(-1);
    }

    /**
     * Two handshakes complete before the responder hears either's keys in use: it still seals under
     * generation 1, which the initiator must open, and a datagram the initiator sealed under
     * generation 2 before it moved on to 3 must open at the responder, whose offer of 3 replaced 2.
     */
    @Test
    void twoHandshakesInARowLoseNothingInEitherDirection() {
        Keys[] first = handshake(1);
        Transport c = new Transport(first[0], 0, GRACE);
        Transport s = new Transport(first[1], 0, GRACE);
        Keys[] second = handshake(2);
        s.offer(second[1], 100);
        c.install(second[0], 100);
        ByteBuffer under2 = datagram((byte) 1, 5, new byte[3]);
        int under2Length = c.seal(under2, 3);
        Keys[] third = handshake(3);
        s.offer(third[1], 200);
        c.install(third[0], 200);

        ByteBuffer reply = datagram((byte) 1, 1_000, new byte[4]);
        int replyLength = s.seal(reply, 4);
        assertThat(reply.getShort(Header.GENERATION_OFFSET)).as("not confirmed yet").isEqualTo((short) 1);
        assertThat(c.open(reply, replyLength, 300)).as("generation 1 still opens at the initiator").isEqualTo(4);
        assertThat(s.open(under2, under2Length, 300)).as("generation 2 still opens at the responder").isEqualTo(3);
        assertThat(s.generation()).as("an older generation does not confirm").isEqualTo(1);
        ByteBuffer under3 = datagram((byte) 1, 6, new byte[2]);
        assertThat(s.open(under3, c.seal(under3, 2), 400)).isEqualTo(2);
        assertThat(s.generation()).isEqualTo(3);
    }

    @Test
    void aRetriedFirstHandshakeReplacesKeysTheInitiatorNeverGot() {
        Keys[] lost = handshake(1); // the response was lost: the client never has lost[0]
        Transport s = new Transport(lost[1], 0, GRACE);
        Keys[] retry = handshake(1);
        s.offer(retry[1], 100);
        Transport c = new Transport(retry[0], 10, GRACE);
        ByteBuffer d = datagram((byte) 1, 0, new byte[2]);
        int length = c.seal(d, 2);
        assertThat(s.open(d, length, 20)).isEqualTo(2);
        ByteBuffer reply = datagram((byte) 1, 0, new byte[2]);
        assertThat(c.open(reply, s.seal(reply, 2), 30)).isEqualTo(2);
    }

    @Test
    void checkRefusesWhatIsNotASealedDatagram() {
        ByteBuffer d = datagram((byte) 1, 0, new byte[0]);
        d.putShort(6, (short) 16);
        assertThat(Sealed.check(d, 40)).isEqualTo(1);
        assertThat(Sealed.check(d, 39)).isEqualTo(-1);
        d.put(2, (byte) 1);
        assertThat(Sealed.check(d, 40)).isEqualTo(-1);
        d.put(2, (byte) 2).put(3, (byte) 4);
        assertThat(Sealed.check(d, 40)).isEqualTo(-1);
        d.put(3, (byte) 1).putLong(16, -1);
        assertThat(Sealed.check(d, 40)).isEqualTo(-1);
    }
}
