package org.mptunnel.internal.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.HexFormat;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ProbeTest {

    private static final long SESSION = 0x0A0B_0C0D_0E0F_1011L;

    private static ByteBuffer keepalive(long probeNumber, long originTime, int pathIndex, long rtt) {
        ByteBuffer buffer = Header.allocate(2048);
        // junk where the probe goes, so that every byte the codec leaves alone would show
        for (int i = 0; i < buffer.capacity(); i++) {
            buffer.put(i, (byte) 0xEE);
        }
        Probe.writeKeepalive(buffer, SESSION, probeNumber, originTime, pathIndex, rtt);
        return buffer;
    }

    private static String hex(ByteBuffer buffer, int from, int to) {
        byte[] bytes = new byte[to - from];
        buffer.get(from, bytes);
        return HexFormat.of().formatHex(bytes);
    }

    @Test
    void keepaliveIsAWholeValidDatagram() {
        ByteBuffer buffer = keepalive(7, 123_456_789L, 3, 2500);

        assertThat(buffer.position()).isZero();
        assertThat(buffer.limit()).isEqualTo(Header.LENGTH + Probe.KEEPALIVE_LENGTH);
        assertThat(Header.check(buffer, buffer.limit())).isEqualTo(Header.TYPE_KEEPALIVE);
        assertThat(Header.sessionId(buffer)).isEqualTo(SESSION);
        assertThat(Header.sequence(buffer)).isEqualTo(7);
        assertThat(Probe.originTime(buffer)).isEqualTo(123_456_789L);
        assertThat(Probe.pathIndex(buffer)).isEqualTo(3);
        assertThat(Probe.smoothedRttMicros(buffer)).isEqualTo(2500);
    }

    @Test
    void keepaliveBodyHasTheDocumentedLayout() {
        ByteBuffer buffer = keepalive(1, 0x0102_0304_0506_0708L, 0xA1B2, 0xC1D2_E3F4L);

        assertThat(hex(buffer, Header.LENGTH, Header.LENGTH + Probe.KEEPALIVE_LENGTH))
                .isEqualTo("0102030405060708" + "a1b2" + "0000" + "c1d2e3f4");
        assertThat(new int[] {Probe.ORIGIN_TIME_OFFSET, Probe.PATH_INDEX_OFFSET, Probe.SMOOTHED_RTT_OFFSET,
                Probe.EPOCH_OFFSET}).containsExactly(24, 32, 36, 40);
    }

    @ParameterizedTest
    @CsvSource({
            "0, 0",
            "-1, 0",
            "-9223372036854775808, 0",
            "4294967295, 4294967295",
            "4294967296, 4294967295",
            "9223372036854775807, 4294967295",
    })
    void smoothedRttIsClampedToAnUnsigned32BitField(long given, long read) {
        assertThat(Probe.smoothedRttMicros(keepalive(1, 0, 0, given))).isEqualTo(read);
    }

    @Test
    void pathIndexIsUnsigned16Bit() {
        assertThat(Probe.pathIndex(keepalive(1, 0, 0xFFFF, 0))).isEqualTo(0xFFFF);
    }

    @Test
    void ackEchoesTheKeepaliveAndAddsTheEpoch() {
        ByteBuffer buffer = keepalive(9, -5L, 2, 777);
        String echoed = hex(buffer, Header.SESSION_ID_OFFSET, Header.LENGTH + Probe.KEEPALIVE_LENGTH);

        Probe.turnIntoAck(buffer, 0x7766_5544_3322_1100L);

        assertThat(buffer.position()).isZero();
        assertThat(buffer.limit()).isEqualTo(Header.LENGTH + Probe.ACK_LENGTH);
        assertThat(Header.check(buffer, buffer.limit())).isEqualTo(Header.TYPE_KEEPALIVE_ACK);
        assertThat(hex(buffer, Header.SESSION_ID_OFFSET, Header.LENGTH + Probe.KEEPALIVE_LENGTH)).isEqualTo(echoed);
        assertThat(hex(buffer, Probe.EPOCH_OFFSET, Probe.EPOCH_OFFSET + 8)).isEqualTo("7766554433221100");
        assertThat(Probe.epoch(buffer)).isEqualTo(0x7766_5544_3322_1100L);
        assertThat(Probe.originTime(buffer)).isEqualTo(-5L);
        assertThat(Probe.pathIndex(buffer)).isEqualTo(2);
        assertThat(Probe.smoothedRttMicros(buffer)).isEqualTo(777);
    }

    @Test
    void ackCanBeMadeFromAKeepaliveReceivedIntoAnExactSizeBuffer() {
        // a receive buffer whose limit ends at the keepalive still has room for the ack
        ByteBuffer buffer = Header.allocate(Header.LENGTH + Probe.ACK_LENGTH);
        Probe.writeKeepalive(buffer, SESSION, 1, 2, 3, 4);
        assertThat(buffer.limit()).isEqualTo(Header.LENGTH + Probe.KEEPALIVE_LENGTH);

        Probe.turnIntoAck(buffer, 99);

        assertThat(Header.check(buffer, buffer.limit())).isEqualTo(Header.TYPE_KEEPALIVE_ACK);
        assertThat(Probe.epoch(buffer)).isEqualTo(99);
    }

    @Property(tries = 500, seed = "20240604")
    void keepaliveAndAckRoundTrip(@ForAll long session, @ForAll @LongRange(min = 0) long probeNumber,
                                  @ForAll long originTime, @ForAll @IntRange(max = 0xFFFF) int pathIndex,
                                  @ForAll @LongRange(min = 0, max = 0xFFFF_FFFFL) long rtt, @ForAll long epoch) {
        ByteBuffer buffer = Header.allocate(Header.LENGTH + Probe.ACK_LENGTH);
        Probe.writeKeepalive(buffer, session, probeNumber, originTime, pathIndex, rtt);

        assertThat(Header.check(buffer, buffer.limit())).isEqualTo(Header.TYPE_KEEPALIVE);

        Probe.turnIntoAck(buffer, epoch);

        assertThat(Header.check(buffer, buffer.limit())).isEqualTo(Header.TYPE_KEEPALIVE_ACK);
        assertThat(Header.sessionId(buffer)).isEqualTo(session);
        assertThat(Header.sequence(buffer)).isEqualTo(probeNumber);
        assertThat(Probe.originTime(buffer)).isEqualTo(originTime);
        assertThat(Probe.pathIndex(buffer)).isEqualTo(pathIndex);
        assertThat(Probe.smoothedRttMicros(buffer)).isEqualTo(rtt);
        assertThat(Probe.epoch(buffer)).isEqualTo(epoch);
    }
}
