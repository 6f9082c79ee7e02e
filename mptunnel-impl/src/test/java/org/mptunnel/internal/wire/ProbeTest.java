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
import org.junit.jupiter.params.provider.ValueSource;

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
                .isEqualTo("0102030405060708" + "a1b2" + "0000" + "c1d2e3f4" + "00".repeat(24));
        assertThat(new int[] {Probe.ORIGIN_TIME_OFFSET, Probe.PATH_INDEX_OFFSET, Probe.SMOOTHED_RTT_OFFSET,
                Probe.EPOCH_OFFSET, Probe.RECEIVED_OFFSET, Probe.PASSED_OFFSET}).containsExactly(24, 32, 36, 40, 48, 56);
        assertThat(Probe.keepaliveValid(buffer)).isTrue();
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
    void ackEchoesTheKeepaliveAndAddsThePathReportTheEpochAndTheReport() {
        ByteBuffer buffer = keepalive(9, -5L, 2, 777);
        String echoed = hex(buffer, Header.SESSION_ID_OFFSET, Probe.REPORT_LAYOUT_OFFSET);

        Probe.turnIntoAck(buffer, 0x7766_5544_3322_1100L, 0x0102_0304L, 0x0A0B_0C0DL, 0x1_8765_4321L);

        assertThat(buffer.position()).isZero();
        assertThat(buffer.limit()).isEqualTo(Header.LENGTH + Probe.ACK_LENGTH);
        assertThat(Probe.ACK_LENGTH).as("an ack is no longer than its keepalive").isEqualTo(Probe.KEEPALIVE_LENGTH);
        assertThat(Header.check(buffer, buffer.limit())).isEqualTo(Header.TYPE_KEEPALIVE_ACK);
        assertThat(Probe.ackValid(buffer)).isTrue();
        assertThat(hex(buffer, Header.SESSION_ID_OFFSET, Probe.REPORT_LAYOUT_OFFSET)).isEqualTo(echoed);
        assertThat(hex(buffer, Probe.REPORT_LAYOUT_OFFSET, Header.LENGTH + Probe.ACK_LENGTH))
                .as("layout 1, the path's count mod 2^32, then the epoch and the session's report")
                .isEqualTo("0001" + "87654321" + "7766554433221100" + "0000000001020304" + "000000000a0b0c0d");
        assertThat(Probe.reportLayout(buffer)).isEqualTo(Probe.PATH_REPORT);
        assertThat(Probe.pathArrived(buffer)).isEqualTo(0x8765_4321L);
        assertThat(Probe.epoch(buffer)).isEqualTo(0x7766_5544_3322_1100L);
        assertThat(Probe.received(buffer)).isEqualTo(0x0102_0304L);
        assertThat(Probe.passed(buffer)).isEqualTo(0x0A0B_0C0DL);
        assertThat(Probe.originTime(buffer)).isEqualTo(-5L);
        assertThat(Probe.pathIndex(buffer)).isEqualTo(2);
    }

    @Test
    void ackCanBeMadeFromAKeepaliveReceivedIntoAnExactSizeBuffer() {
        // a receive buffer whose limit ends at the keepalive still has room for the ack
        ByteBuffer buffer = Header.allocate(Header.LENGTH + Probe.ACK_LENGTH);
        Probe.writeKeepalive(buffer, SESSION, 1, 2, 3, 4);
        assertThat(buffer.limit()).isEqualTo(Header.LENGTH + Probe.KEEPALIVE_LENGTH);

        Probe.turnIntoAck(buffer, 99, 0, 0, 0);

        assertThat(Header.check(buffer, buffer.limit())).isEqualTo(Header.TYPE_KEEPALIVE_ACK);
        assertThat(Probe.epoch(buffer)).isEqualTo(99);
    }

    @ParameterizedTest
    @CsvSource({
            "0, 0, true",
            "5, 5, true",
            "5, 9, true",
            "6, 5, false",
            "-1, 5, false",
            "-1, -1, false",
            "0, -9223372036854775808, false",
    })
    void anAckReportsNoMoreReceivedThanPassedAndNothingNegative(long received, long passed, boolean valid) {
        ByteBuffer buffer = keepalive(1, 0, 0, 0);
        Probe.turnIntoAck(buffer, 7, received, passed, 0);

        assertThat(Header.check(buffer, buffer.limit())).isEqualTo(Header.TYPE_KEEPALIVE_ACK);
        assertThat(Probe.ackValid(buffer)).isEqualTo(valid);
    }

    @ParameterizedTest
    @ValueSource(ints = {40, 47, 48, 55, 56, 63})
    void aKeepaliveWithAnyReservedByteSetIsNotValid(int offset) {
        ByteBuffer buffer = keepalive(1, 0, 0, 0);
        buffer.put(offset, (byte) 1);

        assertThat(Header.check(buffer, buffer.limit())).isEqualTo(Header.TYPE_KEEPALIVE);
        assertThat(Probe.keepaliveValid(buffer)).isFalse();
    }

    @Test
    void aKeepaliveCarriesAPathReportInWhatWasReserved() {
        ByteBuffer buffer = keepalive(4, 1, 2, 3);
        Probe.addPathReport(buffer, 0x0102_0304_0506_0708L, 0x1112_1314_1516_1718L);

        assertThat(hex(buffer, Probe.REPORT_LAYOUT_OFFSET, Probe.SMOOTHED_RTT_OFFSET)).isEqualTo("0001");
        assertThat(hex(buffer, Probe.EPOCH_OFFSET, Header.LENGTH + Probe.KEEPALIVE_LENGTH))
                .isEqualTo("0102030405060708" + "1112131415161718" + "00".repeat(8));
        assertThat(Probe.smoothedRttMicros(buffer)).isEqualTo(3);
        assertThat(Probe.keepaliveValid(buffer)).isTrue();
        assertThat(Probe.reportAckNumber(buffer)).isEqualTo(0x0102_0304_0506_0708L);
        assertThat(Probe.reportArrived(buffer)).isEqualTo(0x1112_1314_1516_1718L);
    }

    @ParameterizedTest
    @CsvSource({
            "56, 1", // the reserved last 8 bytes
            "40, -128", // a negative ack number
            "48, -128", // a negative count
    })
    void aPathReportWithItsReservedBytesSetOrANegativeCountIsNotValid(int offset, byte value) {
        ByteBuffer buffer = keepalive(4, 1, 2, 3);
        Probe.addPathReport(buffer, 5, 6);
        buffer.put(offset, value);

        assertThat(Probe.keepaliveValid(buffer)).isFalse();
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 0x100, 0xFFFF})
    void aKeepaliveOfAnUnknownReportLayoutIsNotValid(int layout) {
        ByteBuffer buffer = keepalive(4, 1, 2, 3);
        buffer.putShort(Probe.REPORT_LAYOUT_OFFSET, (short) layout);

        assertThat(Probe.keepaliveValid(buffer)).isFalse();
    }

    @Property(tries = 500, seed = "20240604")
    void keepaliveAndAckRoundTrip(@ForAll long session, @ForAll @LongRange(min = 0) long probeNumber,
                                  @ForAll long originTime, @ForAll @IntRange(max = 0xFFFF) int pathIndex,
                                  @ForAll @LongRange(min = 0, max = 0xFFFF_FFFFL) long rtt, @ForAll long epoch,
                                  @ForAll @LongRange(min = 0) long received, @ForAll @LongRange(min = 0) long extra) {
        long passed = received + Math.min(extra, Long.MAX_VALUE - received);
        ByteBuffer buffer = Header.allocate(Header.LENGTH + Probe.ACK_LENGTH);
        Probe.writeKeepalive(buffer, session, probeNumber, originTime, pathIndex, rtt);

        assertThat(Header.check(buffer, buffer.limit())).isEqualTo(Header.TYPE_KEEPALIVE);
        assertThat(Probe.keepaliveValid(buffer)).isTrue();

        Probe.turnIntoAck(buffer, epoch, received, passed, 0);

        assertThat(Header.check(buffer, buffer.limit())).isEqualTo(Header.TYPE_KEEPALIVE_ACK);
        assertThat(Probe.ackValid(buffer)).isTrue();
        assertThat(Probe.received(buffer)).isEqualTo(received);
        assertThat(Probe.passed(buffer)).isEqualTo(passed);
        assertThat(Header.sessionId(buffer)).isEqualTo(session);
        assertThat(Header.sequence(buffer)).isEqualTo(probeNumber);
        assertThat(Probe.originTime(buffer)).isEqualTo(originTime);
        assertThat(Probe.pathIndex(buffer)).isEqualTo(pathIndex);
        assertThat(Probe.epoch(buffer)).isEqualTo(epoch);
    }
}
