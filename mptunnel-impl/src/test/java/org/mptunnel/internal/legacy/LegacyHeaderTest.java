package org.mptunnel.internal.legacy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LegacyHeaderTest {

    private static ByteBuffer datagram(int iv, int type, int id, int buflen, int payloadLength) {
        ByteBuffer b = ByteBuffer.allocate(LegacyHeader.LENGTH + payloadLength).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(iv).putInt(type).putInt(id).putInt(buflen);
        return b.order(ByteOrder.BIG_ENDIAN); // the engine's buffers are big-endian
    }

    @Test
    void fieldsAreLittleEndianWhateverTheBufferOrder() {
        ByteBuffer b = ByteBuffer.allocateDirect(LegacyHeader.LENGTH + 3);
        LegacyHeader.encode(b, false, 0x11223344, LegacyHeader.TYPE_DATA, 0x01020304, 3);

        assertThat(b.get(0)).isEqualTo((byte) 0x44);
        assertThat(b.get(3)).isEqualTo((byte) 0x11);
        assertThat(b.get(4)).isEqualTo((byte) 2);
        assertThat(b.get(8)).isEqualTo((byte) 0x04);
        assertThat(b.get(12)).isEqualTo((byte) 3);
        assertThat(LegacyHeader.iv(b)).isEqualTo(0x11223344);
        assertThat(LegacyHeader.id(b)).isEqualTo(0x01020304);
        assertThat(LegacyHeader.check(b, LegacyHeader.LENGTH + 3, false)).isEqualTo(LegacyHeader.TYPE_DATA);
    }

    @Test
    void obfuscatedRoundTripRestoresHeaderAndPayload() {
        ByteBuffer b = ByteBuffer.allocateDirect(LegacyHeader.LENGTH + 5);
        b.put(LegacyHeader.LENGTH, new byte[] {1, 2, 3, 4, 5});
        LegacyHeader.encode(b, true, 0xCAFEBABE, LegacyHeader.TYPE_DATA, 77, 5);
        assertThat(b.get(LegacyHeader.LENGTH)).as("payload obfuscated").isNotEqualTo((byte) 1);

        assertThat(LegacyHeader.check(b, LegacyHeader.LENGTH + 5, true)).isEqualTo(LegacyHeader.TYPE_DATA);
        assertThat(LegacyHeader.id(b)).isEqualTo(77);
        byte[] payload = new byte[5];
        b.get(LegacyHeader.LENGTH, payload);
        assertThat(payload).containsExactly(1, 2, 3, 4, 5);
    }

    @Test
    void controlIsValid() {
        assertThat(LegacyHeader.check(datagram(0, LegacyHeader.TYPE_CONTROL, 9, 0, 0), LegacyHeader.LENGTH, false))
                .isEqualTo(LegacyHeader.TYPE_CONTROL);
    }

    @ParameterizedTest
    @ValueSource(ints = {LegacyHeader.TYPE_NONE, 3, -1, 0x0200})
    void unknownTypeIsMalformed(int type) {
        assertThat(LegacyHeader.check(datagram(0, type, 1, 2, 2), LegacyHeader.LENGTH + 2, false))
                .isEqualTo(LegacyHeader.MALFORMED);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 3, -2, Integer.MAX_VALUE})
    void buflenOtherThanWhatArrivedIsMalformed(int buflen) {
        assertThat(LegacyHeader.check(datagram(0, LegacyHeader.TYPE_DATA, 1, buflen, 2), LegacyHeader.LENGTH + 2, false))
                .isEqualTo(LegacyHeader.MALFORMED);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 15})
    void shorterThanAHeaderIsMalformed(int length) {
        assertThat(LegacyHeader.check(ByteBuffer.allocate(16), length, true)).isEqualTo(LegacyHeader.MALFORMED);
        assertThat(LegacyHeader.check(ByteBuffer.allocate(16), length, false)).isEqualTo(LegacyHeader.MALFORMED);
    }

    @Test
    void ivIsIgnoredInPlainMode() {
        ByteBuffer b = datagram(0x704B7B44, LegacyHeader.TYPE_DATA, 1, 1, 1);
        assertThat(LegacyHeader.check(b, LegacyHeader.LENGTH + 1, false)).isEqualTo(LegacyHeader.TYPE_DATA);
    }

    @Test
    void idsPastTwoToTheThirtyOneCountOnAsUnsigned() {
        assertThat(LegacyHeader.sequence(1)).isEqualTo(1L);
        assertThat(LegacyHeader.sequence(Integer.MIN_VALUE)).isEqualTo(1L << 31);
        assertThat(LegacyHeader.sequence(-1)).isEqualTo((1L << 32) - 1);
    }
}
