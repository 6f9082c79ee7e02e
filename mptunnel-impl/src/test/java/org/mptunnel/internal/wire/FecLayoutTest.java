package org.mptunnel.internal.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** FEC_DATA and FEC_REPAIR as docs/PROTOCOL.md lays them out, and what {@link Header#check} refuses. */
class FecLayoutTest {

    private static ByteBuffer data(int k, int m, int index, int flags, int payload) {
        ByteBuffer b = Header.allocate(Fec.DATA_PAYLOAD_OFFSET + payload);
        Header.write(b, Header.TYPE_FEC_DATA, 0x0102030405060708L, 77, Fec.DATA_PAYLOAD_OFFSET - Header.LENGTH + payload);
        Fec.writeData(b, 0xA1B2C3D4, index, k, m, flags);
        return b;
    }

    private static ByteBuffer repair(int k, int m, long first, int repairPayload) {
        ByteBuffer b = Header.allocate(Fec.REPAIR_PAYLOAD_OFFSET + repairPayload);
        Header.write(b, Header.TYPE_FEC_REPAIR, 0x0102030405060708L, 5, Fec.REPAIR_PAYLOAD_OFFSET - Header.LENGTH + repairPayload);
        Fec.writeRepair(b, 0xA1B2C3D4, k, m, first);
        return b;
    }

    @Test
    void aDataBlockIsGroupIndexKMFlagsBeforeThePayload() {
        ByteBuffer b = data(8, 4, 3, Fec.FLAG_DUPLICATED, 2);
        byte[] head = new byte[Fec.DATA_PAYLOAD_OFFSET];
        b.get(0, head);
        assertThat(HexFormat.of().formatHex(head)).isEqualTo(
                "4d500108" + "0000" + "000a" + "0102030405060708" + "000000000000004d" + "a1b2c3d4" + "03" + "08" + "04" + "01");
        assertThat(Header.check(b, b.capacity())).isEqualTo(Header.TYPE_FEC_DATA);
        assertThat(Fec.group(b)).isEqualTo(0xA1B2C3D4);
        assertThat(Fec.dataIndex(b)).isEqualTo(3);
        assertThat(Fec.duplicated(b)).isTrue();
    }

    @Test
    void aRepairBlockIsGroupKMReservedAndTheFirstSequence() {
        ByteBuffer b = repair(8, 4, 0x1122334455667788L, Fec.MIN_REPAIR_PAYLOAD);
        byte[] head = new byte[Fec.REPAIR_PAYLOAD_OFFSET];
        b.get(0, head);
        assertThat(HexFormat.of().formatHex(head)).isEqualTo(
                "4d500109" + "0000" + "001a" + "0102030405060708" + "0000000000000005" + "a1b2c3d4" + "08" + "04" + "0000"
                        + "1122334455667788");
        assertThat(Header.check(b, b.capacity())).isEqualTo(Header.TYPE_FEC_REPAIR);
        assertThat(Fec.firstSequence(b)).isEqualTo(0x1122334455667788L);
    }

    @Test
    void blocksOutsideTheLimitsAreMalformed() {
        assertThat(Header.check(data(0, 4, 0, 0, 10), Fec.DATA_PAYLOAD_OFFSET + 10)).isEqualTo(Header.MALFORMED);
        assertThat(Header.check(data(33, 4, 0, 0, 10), Fec.DATA_PAYLOAD_OFFSET + 10)).isEqualTo(Header.MALFORMED);
        assertThat(Header.check(data(8, 0, 0, 0, 10), Fec.DATA_PAYLOAD_OFFSET + 10)).isEqualTo(Header.MALFORMED);
        assertThat(Header.check(data(8, 17, 0, 0, 10), Fec.DATA_PAYLOAD_OFFSET + 10)).isEqualTo(Header.MALFORMED);
        assertThat(Header.check(data(8, 4, 8, 0, 10), Fec.DATA_PAYLOAD_OFFSET + 10)).as("index ≥ k").isEqualTo(Header.MALFORMED);
        assertThat(Header.check(data(8, 4, 0, 2, 10), Fec.DATA_PAYLOAD_OFFSET + 10)).as("unknown flag").isEqualTo(Header.MALFORMED);
        assertThat(Header.check(data(8, 4, 0, 0, Fec.MAX_CODED_PAYLOAD + 1), Fec.DATA_PAYLOAD_OFFSET + Fec.MAX_CODED_PAYLOAD + 1))
                .as("longer than a coded payload may be").isEqualTo(Header.MALFORMED);
        assertThat(Header.check(data(8, 4, 0, 0, Fec.MAX_CODED_PAYLOAD), Fec.DATA_PAYLOAD_OFFSET + Fec.MAX_CODED_PAYLOAD))
                .isEqualTo(Header.TYPE_FEC_DATA);
        assertThat(Header.check(repair(8, 4, -1, 10), Fec.REPAIR_PAYLOAD_OFFSET + 10)).as("negative first").isEqualTo(Header.MALFORMED);
        assertThat(Header.check(repair(8, 4, 0, Fec.MIN_REPAIR_PAYLOAD - 1), Fec.REPAIR_PAYLOAD_OFFSET + Fec.MIN_REPAIR_PAYLOAD - 1))
                .isEqualTo(Header.MALFORMED);
        assertThat(Header.check(repair(8, 4, 0, Fec.MAX_REPAIR_PAYLOAD + 1), Fec.REPAIR_PAYLOAD_OFFSET + Fec.MAX_REPAIR_PAYLOAD + 1))
                .isEqualTo(Header.MALFORMED);
        ByteBuffer reserved = repair(8, 4, 0, 10);
        reserved.putShort(Fec.REPAIR_RESERVED_OFFSET, (short) 1);
        assertThat(Header.check(reserved, reserved.capacity())).isEqualTo(Header.MALFORMED);
    }

    @Test
    void groupNumbersUnwrapNearTheNewest() {
        assertThat(Fec.unwrapGroup(-1, 5)).isEqualTo(5);
        assertThat(Fec.unwrapGroup(-1, -1)).isEqualTo(0xFFFF_FFFFL);
        assertThat(Fec.unwrapGroup(0xFFFF_FFF0L, 3)).as("past the wrap").isEqualTo(0x1_0000_0003L);
        assertThat(Fec.unwrapGroup(0x1_0000_0003L, -16)).as("just before the wrap").isEqualTo(0xFFFF_FFF0L);
        assertThat(Fec.unwrapGroup(100, 90)).isEqualTo(90);
        assertThat(Fec.unwrapGroup(3, -5)).as("before the first group").isEqualTo(-5);
    }
}
