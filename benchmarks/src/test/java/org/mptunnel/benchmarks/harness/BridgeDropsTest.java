package org.mptunnel.benchmarks.harness;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class BridgeDropsTest {

    private static final BridgeDrops.Direction THERE = BridgeDrops.Direction.TO_SERVER;
    private static final BridgeDrops.Direction BACK = BridgeDrops.Direction.TO_CLIENT;

    @Test
    void anFecDataDatagramSentOnceIsGoneWhenItsOneCopyIsDropped() {
        BridgeDrops drops = new BridgeDrops();
        drops.add(line("to-target", fecData(42, false)));

        assertThat(drops.everyCopyDropped(THERE, 42)).isTrue();
        assertThat(drops.everyCopyDropped(BACK, 42)).isFalse(); // the other direction is another datagram
        assertThat(drops.everyCopyDropped(THERE, 43)).isFalse();
        assertThat(drops.dropped(THERE, 42)).isEqualTo(1);
    }

    @Test
    void aPayloadWithoutMpclientsFlowPrefixIsReadAsWell() {
        BridgeDrops drops = new BridgeDrops();
        byte[] withoutFlow = new byte[64];
        ByteBuffer.wrap(withoutFlow).put(fecData(0, false), 0, 32).putLong(32, 55);
        drops.add(line("to-target", withoutFlow));

        assertThat(drops.everyCopyDropped(THERE, 55)).isTrue();
        assertThat(drops.unread()).isZero();
    }

    @Test
    void anFecDataDatagramSentTwiceNeedsBothCopiesDropped() {
        BridgeDrops drops = new BridgeDrops();
        drops.add(line("to-client", fecData(7, true)));
        assertThat(drops.everyCopyDropped(BACK, 7)).isFalse();

        drops.add(line("to-client", fecData(7, true)));
        assertThat(drops.everyCopyDropped(BACK, 7)).isTrue();
    }

    @Test
    void aDataDatagramGoesOutOnEveryPathSoItsDropsNeverMakeItRebuilt() {
        BridgeDrops drops = new BridgeDrops();
        for (int i = 0; i < 3; i++) {
            drops.add(line("to-target", data(9)));
        }

        assertThat(drops.dropped(THERE, 9)).isEqualTo(3);
        assertThat(drops.everyCopyDropped(THERE, 9)).isFalse();
    }

    @Test
    void repairsKeepalivesAndSealedDatagramsNameNoDatagram() {
        BridgeDrops drops = new BridgeDrops();
        byte[] repair = fecData(5, false);
        repair[3] = 9;
        byte[] keepalive = ByteBuffer.allocate(64).putShort((short) 0x4D50).put((byte) 1).put((byte) 2).array();
        byte[] sealed = fecData(6, false);
        sealed[2] = 2;
        byte[] truncated = java.util.Arrays.copyOf(fecData(8, false), 48);
        for (byte[] b : new byte[][] {repair, keepalive, sealed, truncated}) {
            drops.add(line("to-target", b));
        }

        assertThat(drops.unread()).isEqualTo(4);
        assertThat(drops.everyCopyDropped(THERE, 5)).isFalse();
        assertThat(drops.everyCopyDropped(THERE, 6)).isFalse();
        assertThat(drops.everyCopyDropped(THERE, 8)).isFalse();
    }

    @Test
    void aLineThatIsNotADropIsRefused() {
        BridgeDrops drops = new BridgeDrops();
        assertThatThrownBy(() -> drops.add("to-target 64")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> drops.add("sideways 64 4d50")).isInstanceOf(IllegalArgumentException.class);
    }

    /**
     * An FEC_DATA datagram's first 64 bytes (docs/PROTOCOL.md) as mpclient sends it: a flow prefix,
     * then the generator's {@code sequence}.
     */
    static byte[] fecData(long sequence, boolean twice) {
        ByteBuffer b = ByteBuffer.allocate(64);
        b.putShort((short) 0x4D50).put((byte) 1).put((byte) 8).putShort((short) 0).putShort((short) 1009)
                .putLong(0x1234).putLong(777).putInt(3).put((byte) 2).put((byte) 8).put((byte) 4)
                .put((byte) (twice ? 1 : 0)).putInt(0xFF464C01).put((byte) 0).putInt(0x10000)
                .putLong(sequence).putLong(123_456_789L);
        return b.array();
    }

    /** A DATA datagram's first 64 bytes as mpclient sends it, carrying the generator's {@code sequence}. */
    private static byte[] data(long sequence) {
        ByteBuffer b = ByteBuffer.allocate(64);
        b.putShort((short) 0x4D50).put((byte) 1).put((byte) 1).putShort((short) 0).putShort((short) 1009)
                .putLong(0x1234).putLong(778).putInt(0xFF464C01).put((byte) 0).putInt(0x10000).putLong(sequence)
                .putLong(123_456_789L);
        return b.array();
    }

    static String line(String direction, byte[] prefix) {
        return direction + " 1032 " + HexFormat.of().formatHex(prefix);
    }
}
