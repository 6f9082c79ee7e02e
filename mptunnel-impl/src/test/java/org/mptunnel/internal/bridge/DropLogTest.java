package org.mptunnel.internal.bridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class DropLogTest {

    @Test
    void oneLinePerDropWithItsDirectionLengthAndFirstBytesInHex() throws Exception {
        DropLog log = new DropLog();
        ByteBuffer longOne = ByteBuffer.allocate(100);
        for (int i = 0; i < 100; i++) {
            longOne.put(i, (byte) i);
        }
        log.record(ByteBuffer.wrap(new byte[] {(byte) 0xAB, 0x01}), true);
        log.record(longOne, false);
        log.record(ByteBuffer.allocate(0), false);

        StringBuilder text = new StringBuilder();
        log.writeTo(text);

        StringBuilder first64 = new StringBuilder();
        for (int i = 0; i < DropLog.PREFIX; i++) {
            first64.append(String.format("%02x", i));
        }
        assertThat(text.toString()).isEqualTo("to-target 2 ab01\n" + "to-client 100 " + first64 + "\n" + "to-client 0 \n");
        assertThat(longOne.position()).isZero(); // the bridge may still send it on: left as it was
        assertThat(log.recorded()).isEqualTo(3);
    }

    @Test
    void growsPastItsFirstStorageAndCountsWhatIsBeyondItsBound() throws Exception {
        DropLog log = new DropLog(3_000);
        for (int i = 0; i < 3_005; i++) {
            log.record(ByteBuffer.allocate(4).putInt(0, i), i % 2 == 0);
        }

        StringBuilder text = new StringBuilder();
        log.writeTo(text);
        String[] lines = text.toString().split("\n");
        assertThat(log.recorded()).isEqualTo(3_000);
        assertThat(log.unrecorded()).isEqualTo(5);
        assertThat(lines).hasSize(3_000);
        assertThat(lines[2_999]).isEqualTo(String.format("to-client 4 %08x", 2_999));
        assertThat(lines[1_024]).isEqualTo(String.format("to-target 4 %08x", 1_024));
    }

    @Test
    void refusesABoundBelowOne() {
        assertThatThrownBy(() -> new DropLog(0)).isInstanceOf(IllegalArgumentException.class);
    }
}
