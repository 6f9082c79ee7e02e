package org.mptunnel.internal.fec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The encoder's and decoder's bookkeeping: the ring, expiry, refusals and allocation. */
class FecGroupTest {

    private final List<String> recovered = new ArrayList<>();
    private final FecDecoder decoder = new FecDecoder(4, 2, 100, 2,
            (group, index, payload) -> recovered.add(group + "/" + index + ":" + text(payload)));

    private static ByteBuffer ascii(String s) {
        return ByteBuffer.wrap(s.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    }

    private static String text(ByteBuffer b) {
        byte[] bytes = new byte[b.remaining()];
        b.duplicate().get(bytes);
        return new String(bytes, java.nio.charset.StandardCharsets.US_ASCII);
    }

    /** A copy of repair payload i of the encoder's latest group. */
    private static ByteBuffer repair(FecEncoder encoder, int i) {
        ByteBuffer r = encoder.repair(i);
        return ByteBuffer.allocate(r.remaining()).put(r).flip();
    }

    /** Group of "a", "bb", "ccc", "dddd" from a k = 4, m = 2 encoder: its two repairs. */
    private static ByteBuffer[] repairsOfFullGroup() {
        FecEncoder encoder = new FecEncoder(4, 2, 100);
        for (String s : new String[] {"a", "bb", "ccc", "dddd"}) {
            encoder.add(ascii(s));
        }
        return new ByteBuffer[] {repair(encoder, 0), repair(encoder, 1)};
    }

    @Test
    void encoderNumbersGroupsAndTellsWhenOneOpens() {
        FecEncoder encoder = new FecEncoder(3, 1, 10);
        assertThat(encoder.group()).isEqualTo(-1);
        assertThat(encoder.closeGroup()).isFalse();
        assertThatThrownBy(() -> encoder.repair(0)).isInstanceOf(IllegalStateException.class);
        assertThat(encoder.add(ascii("x"))).isZero();
        assertThat(encoder.openCount()).isEqualTo(1);
        assertThat(encoder.add(ascii("y"))).isEqualTo(1);
        assertThat(encoder.add(ascii("z"))).isEqualTo(2);
        assertThat(encoder.openCount()).isZero();
        assertThat(encoder.group()).isZero();
        // Shards of 1 + 2 bytes rounded up to 8, then k' and the index.
        assertThat(encoder.repair(0).remaining()).isEqualTo(8 + 2);
        assertThat(encoder.add(ascii("long one"))).isZero();
        assertThat(encoder.group()).isEqualTo(1);
        assertThat(encoder.closeGroup()).isTrue();
        ByteBuffer r = encoder.repair(0);
        assertThat(r.remaining()).isEqualTo(16 + 2);
        assertThat(r.get(r.limit() - 2)).as("k'").isEqualTo((byte) 1);
        assertThat(encoder.closeGroup()).isFalse();
        assertThatThrownBy(() -> encoder.add(ByteBuffer.allocate(11))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new FecEncoder(4, 0, 10)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new FecEncoder(4, 1, 65_536)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void rebuildsWhenTheLastNeededShardArrivesWhateverItsKind() {
        ByteBuffer[] repairs = repairsOfFullGroup();
        decoder.repair(7, repairs[1]);
        decoder.data(7, 2, ascii("ccc"));
        decoder.repair(7, repairs[0]);
        assertThat(recovered).isEmpty();
        decoder.data(7, 0, ascii("a"));
        assertThat(recovered).containsExactly("7/1:bb", "7/3:dddd");
        // The group is done: late copies and repairs change nothing.
        decoder.data(7, 1, ascii("bb"));
        decoder.repair(7, repairs[1]);
        assertThat(decoder.datagramsRecovered()).isEqualTo(2);
        assertThat(decoder.malformed()).isZero();
    }

    @Test
    void aGroupThatCannotCompleteExpiresWhenANewerOneTakesItsSlot() {
        ByteBuffer[] repairs = repairsOfFullGroup();
        decoder.data(0, 0, ascii("a"));
        decoder.repair(0, repairs[0]);
        decoder.data(1, 0, ascii("a"));
        assertThat(decoder.groupsExpired()).isZero();
        decoder.data(2, 0, ascii("a"));
        assertThat(decoder.groupsExpired()).isEqualTo(1);
        assertThat(decoder.datagramsLost()).as("group 0 had 4, 1 arrived").isEqualTo(3);
        // Group 1 never heard of a repair: it expires, its losses unknown.
        decoder.data(3, 0, ascii("a"));
        assertThat(decoder.groupsExpired()).isEqualTo(2);
        assertThat(decoder.datagramsLost()).isEqualTo(3);
        // Group 0 is out of the ring now.
        decoder.repair(0, repairs[1]);
        decoder.data(1, 1, ascii("bb"));
        assertThat(decoder.tooOld()).isEqualTo(2);
        assertThat(recovered).isEmpty();
    }

    @Test
    void aWholeGroupDoesNotExpire() {
        for (int j = 0; j < 4; j++) {
            decoder.data(0, j, ascii("x"));
        }
        decoder.data(1, 0, ascii("x"));
        decoder.repair(1, repairsOfFullGroup()[0]);
        decoder.data(1, 1, ascii("x"));
        decoder.data(1, 2, ascii("x"));
        decoder.data(1, 3, ascii("x"));
        decoder.data(2, 0, ascii("x"));
        decoder.data(3, 0, ascii("x"));
        assertThat(decoder.groupsExpired()).isZero();
    }

    @Test
    void refusesInputOutsideTheLimitsOrAtOddsWithItsGroup() {
        ByteBuffer[] repairs = repairsOfFullGroup();
        decoder.data(0, 4, ascii("x"));
        decoder.data(0, -1, ascii("x"));
        decoder.data(-1, 0, ascii("x"));
        decoder.data(0, 0, ByteBuffer.allocate(101));
        decoder.repair(0, ByteBuffer.allocate(3));
        decoder.repair(0, ByteBuffer.allocate(104 + 8 + 2));
        decoder.repair(0, ByteBuffer.allocate(12 + 2));
        decoder.repair(0, ByteBuffer.wrap(new byte[] {0, 0, 0, 0, 0, 0, 0, 0, /* k' */ 0, 0}));
        decoder.repair(0, ByteBuffer.wrap(new byte[] {0, 0, 0, 0, 0, 0, 0, 0, /* k' */ 5, 0}));
        decoder.repair(0, ByteBuffer.wrap(new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 1, /* index */ 2}));
        assertThat(decoder.malformed()).isEqualTo(10);

        // Group 1: data index 3 arrived, so a repair saying k' = 2 disagrees with it.
        decoder.data(1, 3, ascii("dddd"));
        decoder.repair(1, ByteBuffer.wrap(new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 2, 0}));
        // A datagram longer than the group's shards, once a repair has said their length.
        decoder.repair(1, repairs[0]);
        decoder.data(1, 0, ascii("longer than four"));
        // A second repair of another shape: shards of 16 bytes.
        decoder.repair(1, ByteBuffer.wrap(new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 1}));
        assertThat(decoder.malformed()).isEqualTo(13);

        // None of it stopped the group from being rebuilt.
        decoder.data(1, 2, ascii("ccc"));
        decoder.repair(1, repairs[1]);
        assertThat(recovered).containsExactly("1/0:a", "1/1:bb");
    }

    /** Encoding and decoding a steady stream of groups with losses allocates nothing. */
    @Test
    void steadyStateAllocatesNothing() {
        FecEncoder encoder = new FecEncoder(8, 4, 1200);
        FecDecoder receiver = new FecDecoder(8, 4, 1200, 16, (g, index, payload) -> { });
        ByteBuffer[] datagrams = new ByteBuffer[8];
        for (int j = 0; j < 8; j++) {
            datagrams[j] = ByteBuffer.allocate(100 + 137 * j);
        }
        ByteBuffer repairCopy = ByteBuffer.allocate(1204);
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long thread = Thread.currentThread().getId();
        long before = 0;
        int groups = 20_000;
        for (int g = 0; g < 2 * groups; g++) {
            if (g == groups) {
                before = threads.getThreadAllocatedBytes(thread);
            }
            int count = g % 3 == 0 ? 5 : 8;
            for (int j = 0; j < count; j++) {
                encoder.add(datagrams[j]);
                // One datagram in four lost, on a rotating pattern.
                if ((j + g) % 4 != 0) {
                    receiver.data(encoder.group(), j, datagrams[j]);
                }
            }
            encoder.closeGroup();
            for (int i = 0; i < 4; i++) {
                repairCopy.clear();
                repairCopy.put(encoder.repair(i)).flip();
                receiver.repair(encoder.group(), repairCopy);
            }
        }
        long allocated = threads.getThreadAllocatedBytes(thread) - before;
        assertThat(receiver.datagramsRecovered()).isGreaterThan(groups);
        // Less than a byte per group: no object is allocated per group (the smallest is 16 bytes).
        assertThat(allocated).isLessThan(groups);
    }
}
