package org.mptunnel.internal.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.mptunnel.internal.wire.Header.MALFORMED;
import static org.mptunnel.internal.wire.Header.TYPE_DATA;
import static org.mptunnel.internal.wire.Header.TYPE_KEEPALIVE;
import static org.mptunnel.internal.wire.Header.TYPE_KEEPALIVE_ACK;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mptunnel.TunnelConfig;

class HeaderTest {

    private static final long SESSION = 0x0123_4567_89AB_CDEFL;
    private static final long SEQUENCE = 42;

    /** A whole datagram of the given type in a buffer of exactly its length; payload bytes are 0xEE. */
    private static ByteBuffer datagram(byte type, long session, long sequence, int payloadLength) {
        ByteBuffer buffer = Header.allocate(Header.LENGTH + payloadLength);
        for (int i = Header.LENGTH; i < buffer.capacity(); i++) {
            buffer.put(i, (byte) 0xEE);
        }
        Header.write(buffer, type, session, sequence, payloadLength);
        return buffer;
    }

    private static ByteBuffer data(int payloadLength) {
        return datagram(TYPE_DATA, SESSION, SEQUENCE, payloadLength);
    }

    private static int check(ByteBuffer datagram) {
        return Header.check(datagram, datagram.capacity());
    }

    private static String hex(ByteBuffer buffer, int from, int to) {
        byte[] bytes = new byte[to - from];
        buffer.get(from, bytes);
        return HexFormat.of().formatHex(bytes);
    }

    // --- round trips -------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 1400, TunnelConfig.MAX_PAYLOAD_LIMIT, Header.MAX_PAYLOAD_LENGTH})
    void dataRoundTripsForPayloadLength(int payloadLength) {
        ByteBuffer buffer = data(payloadLength);

        assertThat(check(buffer)).isEqualTo(TYPE_DATA);
        assertThat(Header.type(buffer)).isEqualTo(TYPE_DATA);
        assertThat(Header.payloadLength(buffer)).isEqualTo(payloadLength);
        assertThat(Header.sessionId(buffer)).isEqualTo(SESSION);
        assertThat(Header.sequence(buffer)).isEqualTo(SEQUENCE);
    }

    @Test
    void keepaliveRoundTripsWithItsPayloadSize() {
        ByteBuffer buffer = datagram(TYPE_KEEPALIVE, SESSION, SEQUENCE, Probe.KEEPALIVE_LENGTH);

        assertThat(check(buffer)).isEqualTo(TYPE_KEEPALIVE);
        assertThat(Header.type(buffer)).isEqualTo(TYPE_KEEPALIVE);
        assertThat(Header.payloadLength(buffer)).isEqualTo(Probe.KEEPALIVE_LENGTH);
        assertThat(Header.sessionId(buffer)).isEqualTo(SESSION);
        assertThat(Header.sequence(buffer)).isEqualTo(SEQUENCE);
    }

    @Test
    void keepaliveAckRoundTripsWithItsPayloadSize() {
        ByteBuffer buffer = datagram(TYPE_KEEPALIVE_ACK, SESSION, SEQUENCE, Probe.ACK_LENGTH);

        assertThat(check(buffer)).isEqualTo(TYPE_KEEPALIVE_ACK);
        assertThat(Header.type(buffer)).isEqualTo(TYPE_KEEPALIVE_ACK);
        assertThat(Header.payloadLength(buffer)).isEqualTo(Probe.ACK_LENGTH);
        assertThat(Header.sessionId(buffer)).isEqualTo(SESSION);
        assertThat(Header.sequence(buffer)).isEqualTo(SEQUENCE);
    }

    @ParameterizedTest
    @ValueSource(longs = {0, 1, -1, Long.MIN_VALUE, Long.MAX_VALUE})
    void sessionIdIsAnyUnsigned64BitValue(long session) {
        ByteBuffer buffer = datagram(TYPE_DATA, session, SEQUENCE, 3);

        assertThat(check(buffer)).isEqualTo(TYPE_DATA);
        assertThat(Header.sessionId(buffer)).isEqualTo(session);
    }

    @ParameterizedTest
    @ValueSource(longs = {0, 1, Integer.MAX_VALUE + 1L, Long.MAX_VALUE})
    void acceptsEveryNonNegativeSequence(long sequence) {
        ByteBuffer buffer = datagram(TYPE_DATA, SESSION, sequence, 3);

        assertThat(check(buffer)).isEqualTo(TYPE_DATA);
        assertThat(Header.sequence(buffer)).isEqualTo(sequence);
    }

    @Test
    void checksOnlyTheGivenLengthOfALargerBuffer() {
        ByteBuffer buffer = Header.allocate(2048);
        Header.write(buffer, TYPE_DATA, SESSION, SEQUENCE, 10);

        assertThat(Header.check(buffer, Header.LENGTH + 10)).isEqualTo(TYPE_DATA);
        assertThat(Header.check(buffer, Header.LENGTH + 11)).isEqualTo(MALFORMED);
    }

    @Test
    void worksOnHeapBuffersToo() {
        ByteBuffer buffer = ByteBuffer.allocate(Header.LENGTH + 5);
        Header.write(buffer, TYPE_DATA, SESSION, SEQUENCE, 5);

        assertThat(check(buffer)).isEqualTo(TYPE_DATA);
        assertThat(Header.sessionId(buffer)).isEqualTo(SESSION);
    }

    // --- byte layout -------------------------------------------------------------------------

    @Test
    void writesTheDocumentedBigEndianLayout() {
        ByteBuffer buffer = Header.allocate(Header.LENGTH);
        Header.write(buffer, TYPE_KEEPALIVE_ACK, 0x0102_0304_0506_0708L, 0x1112_1314_1516_1718L, 0xA0B);

        assertThat(hex(buffer, 0, Header.LENGTH)).isEqualTo(
                "4d50" + "01" + "03" + "0000" + "0a0b" + "0102030405060708" + "1112131415161718");
    }

    @Test
    void documentedOffsetsMatchTheLayout() {
        assertThat(Header.LENGTH).isEqualTo(24);
        assertThat(Header.MAGIC).isEqualTo((short) 0x4D50);
        assertThat(Header.VERSION).isEqualTo((byte) 1);
        assertThat(new int[] {Header.MAGIC_OFFSET, Header.VERSION_OFFSET, Header.TYPE_OFFSET, Header.FLAGS_OFFSET,
                Header.PAYLOAD_LENGTH_OFFSET, Header.SESSION_ID_OFFSET, Header.SEQUENCE_OFFSET})
                .containsExactly(0, 2, 3, 4, 6, 8, 16);
    }

    @Test
    void payloadLengthFieldIsUnsigned() {
        ByteBuffer buffer = data(0xFFFF);

        assertThat(hex(buffer, Header.PAYLOAD_LENGTH_OFFSET, Header.PAYLOAD_LENGTH_OFFSET + 2)).isEqualTo("ffff");
        assertThat(Header.payloadLength(buffer)).isEqualTo(0xFFFF);
    }

    @Test
    void allocatesADirectBigEndianBuffer() {
        ByteBuffer buffer = Header.allocate(100);

        assertThat(buffer.isDirect()).isTrue();
        assertThat(buffer.order()).isEqualTo(ByteOrder.BIG_ENDIAN);
        assertThat(buffer.capacity()).isEqualTo(100);
    }

    @Test
    void maxPayloadLimitLeavesRoomForTheHeaderInTheLargestUdpPayload() {
        assertThat(TunnelConfig.MAX_PAYLOAD_LIMIT).isEqualTo(65_507 - Header.LENGTH);
    }

    // --- rejections --------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 8, 16, 23})
    void rejectsDatagramShorterThanTheHeader(int length) {
        ByteBuffer buffer = data(0);

        assertThat(Header.check(buffer, length)).isEqualTo(MALFORMED);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1})
    void rejectsWrongMagic(int offset) {
        ByteBuffer buffer = data(4);
        buffer.put(offset, (byte) (buffer.get(offset) ^ 0x01));

        assertThat(check(buffer)).isEqualTo(MALFORMED);
    }

    @ParameterizedTest
    @ValueSource(bytes = {0, 2, -1})
    void rejectsWrongVersion(byte version) {
        ByteBuffer buffer = data(4);
        buffer.put(Header.VERSION_OFFSET, version);

        assertThat(check(buffer)).isEqualTo(MALFORMED);
    }

    @ParameterizedTest
    @ValueSource(ints = {Header.FLAGS_OFFSET, Header.FLAGS_OFFSET + 1})
    void rejectsNonzeroFlags(int offset) {
        ByteBuffer buffer = data(4);
        buffer.put(offset, (byte) 0x01);

        assertThat(check(buffer)).isEqualTo(MALFORMED);
    }

    @Test
    void rejectsPayloadLengthThatClaimsMoreThanArrived() {
        ByteBuffer buffer = data(10);
        buffer.putShort(Header.PAYLOAD_LENGTH_OFFSET, (short) 11);

        assertThat(check(buffer)).isEqualTo(MALFORMED);
    }

    @Test
    void rejectsPayloadLengthThatClaimsLessThanArrived() {
        ByteBuffer buffer = data(10);
        buffer.putShort(Header.PAYLOAD_LENGTH_OFFSET, (short) 9);

        assertThat(check(buffer)).isEqualTo(MALFORMED);
    }

    @Test
    void rejectsMaximalPayloadLengthOnAShortDatagram() {
        ByteBuffer buffer = data(10);
        buffer.putShort(Header.PAYLOAD_LENGTH_OFFSET, (short) 0xFFFF);

        assertThat(check(buffer)).isEqualTo(MALFORMED);
    }

    @ParameterizedTest
    @ValueSource(bytes = {0, 4, 127, -1, -128})
    void rejectsUnknownType(byte type) {
        ByteBuffer buffer = datagram(type, SESSION, SEQUENCE, 4);

        assertThat(check(buffer)).isEqualTo(MALFORMED);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 15, 17, 24})
    void rejectsKeepaliveWithWrongPayloadSize(int payloadLength) {
        ByteBuffer buffer = datagram(TYPE_KEEPALIVE, SESSION, SEQUENCE, payloadLength);

        assertThat(check(buffer)).isEqualTo(MALFORMED);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 16, 23, 25, 48})
    void rejectsKeepaliveAckWithWrongPayloadSize(int payloadLength) {
        ByteBuffer buffer = datagram(TYPE_KEEPALIVE_ACK, SESSION, SEQUENCE, payloadLength);

        assertThat(check(buffer)).isEqualTo(MALFORMED);
    }

    @ParameterizedTest
    @ValueSource(longs = {-1, Long.MIN_VALUE})
    void rejectsNegativeSequence(long sequence) {
        assertThat(check(datagram(TYPE_DATA, SESSION, sequence, 4))).isEqualTo(MALFORMED);
        assertThat(check(datagram(TYPE_KEEPALIVE, SESSION, sequence, Probe.KEEPALIVE_LENGTH))).isEqualTo(MALFORMED);
    }

    // --- properties --------------------------------------------------------------------------

    /**
     * An independent statement of validity, straight from the protocol description: used to say
     * exactly which random inputs {@code check} must accept.
     */
    private static boolean isValid(byte[] bytes) {
        if (bytes.length < 24) {
            return false;
        }
        int payload = bytes.length - 24;
        boolean fixedFieldsOk = bytes[0] == 0x4D && bytes[1] == 0x50 && bytes[2] == 1 && bytes[4] == 0 && bytes[5] == 0
                && ((bytes[6] & 0xFF) << 8 | (bytes[7] & 0xFF)) == payload
                && bytes[16] >= 0;
        return fixedFieldsOk && (bytes[3] == 1 || bytes[3] == 2 && payload == 40 || bytes[3] == 3 && payload == 40);
    }

    @Property(tries = 2000, seed = "20240601")
    void randomBytesNeverThrowAndAreRejected(@ForAll @Size(max = 80) byte[] bytes) {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);

        assertThatCode(() -> Header.check(buffer, bytes.length)).doesNotThrowAnyException();
        assertThat(Header.check(buffer, bytes.length)).isEqualTo(isValid(bytes) ? bytes[3] : MALFORMED);
    }

    /** Random bytes, some with a plausible header prefix patched in, so that both answers occur. */
    @Provide
    Arbitrary<byte[]> nearlyValid() {
        Arbitrary<byte[]> raw = Arbitraries.bytes().array(byte[].class).ofMinSize(24).ofMaxSize(80);
        Arbitrary<Integer> patchMask = Arbitraries.integers().between(0, 15);
        return Combinators.combine(raw, patchMask).as((bytes, mask) -> {
            byte[] copy = bytes.clone();
            int payload = copy.length - 24;
            if ((mask & 1) != 0) {
                copy[0] = 0x4D;
                copy[1] = 0x50;
                copy[2] = 1;
            }
            if ((mask & 2) != 0) {
                copy[4] = 0;
                copy[5] = 0;
            }
            if ((mask & 4) != 0) {
                copy[6] = (byte) (payload >>> 8);
                copy[7] = (byte) payload;
            }
            if ((mask & 8) != 0) {
                copy[3] = (byte) (1 + Math.floorMod(copy[3], 3));
                copy[16] &= 0x7F;
            }
            return copy;
        });
    }

    @Property(tries = 2000, seed = "20240602")
    void acceptsExactlyTheValidDatagrams(@ForAll("nearlyValid") byte[] bytes) {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);

        assertThat(Header.check(buffer, bytes.length)).isEqualTo(isValid(bytes) ? bytes[3] : MALFORMED);
    }

    @Property(tries = 1000, seed = "20240603")
    void anySingleByteChangeInMagicVersionFlagsOrLengthIsRejected(
            @ForAll @IntRange(min = 1, max = 3) int typeChoice,
            @ForAll long session,
            @ForAll @LongRange(min = 0) long sequence,
            @ForAll @IntRange(max = 1500) int dataLength,
            @ForAll("headerRegionOffsets") int offset,
            @ForAll @IntRange(min = 1, max = 255) int xorMask) {
        byte type = (byte) typeChoice;
        int payloadLength = type == TYPE_DATA ? dataLength : type == TYPE_KEEPALIVE ? Probe.KEEPALIVE_LENGTH : Probe.ACK_LENGTH;
        ByteBuffer buffer = datagram(type, session, sequence, payloadLength);
        assertThat(check(buffer)).isEqualTo(type);

        buffer.put(offset, (byte) (buffer.get(offset) ^ xorMask));

        assertThat(check(buffer)).isEqualTo(MALFORMED);
    }

    @Provide
    Arbitrary<Integer> headerRegionOffsets() {
        // magic 0-1, version 2, flags 4-5, payload length 6-7: everything but the type byte
        return Arbitraries.of(0, 1, 2, 4, 5, 6, 7);
    }
}
