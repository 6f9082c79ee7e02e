package org.mptunnel.internal.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ReplyLogTest {

    private static ByteBuffer datagram(int tag, int length) {
        byte[] bytes = new byte[length];
        Arrays.fill(bytes, (byte) tag);
        return ByteBuffer.wrap(bytes);
    }

    private static int tagOf(ByteBuffer datagram) {
        return datagram.get(0);
    }

    @Test
    void keepsDatagramsInOrderWithWhenAndWhere() {
        ReplyLog log = new ReplyLog();
        assertThat(log.add(datagram(1, 100), 10, 0b01)).isTrue();
        assertThat(log.add(datagram(2, 200), 20, 0)).isTrue();
        assertThat(log.size()).isEqualTo(2);
        assertThat(tagOf(log.datagram(0))).isEqualTo(1);
        assertThat(log.datagram(1).limit()).isEqualTo(200);
        assertThat(log.sentNanos(1)).isEqualTo(20);
        assertThat(log.sentOn(0)).isEqualTo(0b01);
        assertThat(log.holds()).isTrue();
        log.markSent(1, 0b10);
        assertThat(log.holds()).isFalse();
        assertThat(log.sentOn(1)).isEqualTo(0b10);
    }

    /** A server answering a new client with a burst before its first path is validated: all held. */
    @Test
    void aBurstOfSmallRepliesIsHeldWhole() {
        ReplyLog log = new ReplyLog();
        for (int i = 0; i < 300; i++) {
            assertThat(log.add(datagram(i, 28), i, 0)).as("held reply %d", i).isTrue();
        }
        assertThat(log.heldCount()).isEqualTo(300);
        assertThat(tagOf(log.datagram(299))).isEqualTo((byte) 299);
    }

    @Test
    void theOldestSentGoForRoomAndTheArenaWrapsWithoutDamage() {
        ReplyLog log = new ReplyLog();
        for (int i = 0; i < 1_000; i++) {
            assertThat(log.add(datagram(i, 1_000 + i % 700), i, 1)).isTrue();
            int total = 0;
            for (int k = 0; k < log.size(); k++) {
                ByteBuffer kept = log.datagram(k);
                total += kept.limit();
                int tag = tagOf(kept);
                for (int b = 0; b < kept.limit(); b++) {
                    assertThat(kept.get(b)).isEqualTo((byte) tag);
                }
            }
            assertThat(total).isLessThanOrEqualTo(ReplyLog.MAX_BYTES);
            assertThat(log.size()).isLessThanOrEqualTo(ReplyLog.MAX_ENTRIES);
            assertThat(tagOf(log.datagram(log.size() - 1))).isEqualTo((byte) i);
        }
    }

    @Test
    void heldDatagramsAreNeverEvictedAndWhatDoesNotFitBehindThemIsRefused() {
        ReplyLog log = new ReplyLog();
        // Once one is held, every later one is held behind it: held ones are the newest.
        assertThat(log.add(datagram(1, 40_000), 1, 1)).isTrue();
        assertThat(log.add(datagram(2, 20_000), 2, 0)).isTrue();
        assertThat(log.add(datagram(3, 20_000), 3, 0)).as("the sent one goes for room").isTrue();
        assertThat(tagOf(log.datagram(0))).isEqualTo(2);
        assertThat(log.add(datagram(4, 30_000), 4, 0)).as("past 64 KiB of held ones").isFalse();
        assertThat(log.size()).isEqualTo(2);
        log.clear();
        for (int i = 0; i < ReplyLog.MAX_ENTRIES; i++) {
            log.add(datagram(5, 24), 5, 0);
        }
        assertThat(log.size()).isEqualTo(ReplyLog.MAX_ENTRIES);
        assertThat(log.add(datagram(6, 24), 6, 0)).as("every entry held").isFalse();
        assertThat(log.add(datagram(7, ReplyLog.MAX_BYTES + 1), 7, 1)).isFalse();
    }

    @Test
    void clearForgetsEverything() {
        ReplyLog log = new ReplyLog();
        log.add(datagram(1, 100), 1, 0);
        log.clear();
        assertThat(log.size()).isZero();
        assertThat(log.holds()).isFalse();
        assertThat(log.add(datagram(2, 65_536), 2, 1)).as("the largest, into a new arena").isTrue();
    }
}
