package org.mptunnel.internal.order;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.mptunnel.OrderingStats;

class ReorderBufferTest {

    private static final long WAIT = 10;

    /** Records what the buffer releases; time is set by the test. */
    private static final class Recorder implements ReorderBuffer.Sink<Long> {
        final List<Long> released = new ArrayList<>();
        long now;
        int holdingCalls;

        @Override
        public void release(Long item) {
            released.add(item);
        }

        @Override
        public long waitNanos() {
            return WAIT;
        }

        @Override
        public long nowNanos() {
            return now;
        }

        @Override
        public void holding(ReorderBuffer<Long> buffer) {
            holdingCalls++;
        }
    }

    private final Recorder sink = new Recorder();
    private final OrderCounters totals = new OrderCounters(null);
    private final ReorderBuffer<Long> buffer = new ReorderBuffer<>(8, sink, new OrderCounters(totals));

    private int offer(long sequence) {
        return buffer.offer(sequence, sequence);
    }

    private OrderingStats stats() {
        return buffer.counters().snapshot();
    }

    @Test
    void inOrderDatagramsPassStraightThroughFromTheFirstOnesNumber() {
        for (long s = 100; s < 110; s++) {
            assertThat(offer(s)).isEqualTo(ReorderBuffer.RELEASED);
        }
        assertThat(sink.released).containsExactly(100L, 101L, 102L, 103L, 104L, 105L, 106L, 107L, 108L, 109L);
        assertThat(stats()).isEqualTo(OrderingStats.NONE);
        assertThat(buffer.isHolding()).isFalse();
    }

    @Test
    void aDatagramAheadIsHeldUntilItsGapIsFilledThenTheRunGoesOut() {
        offer(0);
        assertThat(offer(2)).isEqualTo(ReorderBuffer.HELD);
        assertThat(offer(3)).isEqualTo(ReorderBuffer.HELD);
        assertThat(sink.released).containsExactly(0L);
        assertThat(buffer.isHolding()).isTrue();
        assertThat(sink.holdingCalls).isEqualTo(1);

        assertThat(offer(1)).isEqualTo(ReorderBuffer.RELEASED);

        assertThat(sink.released).containsExactly(0L, 1L, 2L, 3L);
        assertThat(buffer.isHolding()).isFalse();
        assertThat(stats()).isEqualTo(new OrderingStats(2, 0, 0, 0, 0, 0));
    }

    @Test
    void aGapIsGivenUpOnWhenTheEarliestHeldDatagramHasWaitedAndOnlyThen() {
        offer(0);
        sink.now = 1_000;
        offer(3);
        sink.now = 1_004;
        offer(5);
        assertThat(buffer.deadline()).isEqualTo(1_000 + WAIT);

        assertThat(buffer.expire(1_000 + WAIT - 1)).isTrue();
        assertThat(sink.released).containsExactly(0L);

        // 1 and 2 are given up on, 3 goes out; 4 is another gap, waited for on 5's own clock.
        assertThat(buffer.expire(1_000 + WAIT)).isTrue();
        assertThat(sink.released).containsExactly(0L, 3L);
        assertThat(buffer.deadline()).isEqualTo(1_004 + WAIT);

        assertThat(buffer.expire(1_004 + WAIT)).isFalse();
        assertThat(sink.released).containsExactly(0L, 3L, 5L);
        assertThat(stats()).isEqualTo(new OrderingStats(2, 2, 0, 3, 0, 0));
    }

    @Test
    void aDatagramWhoseGapWasGivenUpOnIsLateAndRefused() {
        offer(0);
        offer(2);
        buffer.expire(WAIT);

        assertThat(offer(1)).isEqualTo(ReorderBuffer.LATE);
        assertThat(offer(3)).isEqualTo(ReorderBuffer.RELEASED);

        assertThat(sink.released).containsExactly(0L, 2L, 3L);
        assertThat(stats().lateDropped()).isEqualTo(1);
        assertThat(totals.snapshot().lateDropped()).isEqualTo(1);
    }

    @Test
    void aDatagramTooFarAheadReleasesTheOldestHeldInOrderToMakeRoom() {
        offer(0);
        offer(2);
        offer(4);
        offer(5);

        // Capacity 8: 12 fits once next is at least 5, so 1 and 3 are skipped and 2, 4 released.
        assertThat(offer(12)).isEqualTo(ReorderBuffer.HELD);

        assertThat(sink.released).containsExactly(0L, 2L, 4L, 5L);
        assertThat(stats()).isEqualTo(new OrderingStats(4, 0, 3, 2, 0, 1));
        assertThat(offer(6)).isEqualTo(ReorderBuffer.RELEASED);
    }

    @Test
    void aHugeGapWithNothingHeldIsSkippedInOneStep() {
        offer(0);
        offer(2);

        assertThat(offer(1_000_000_000L)).isEqualTo(ReorderBuffer.HELD);

        assertThat(sink.released).containsExactly(0L, 2L);
        // Everything below 1e9 - 7 is skipped: 1, and 3 up to 999,999,992.
        assertThat(stats().skipped()).isEqualTo(1 + (1_000_000_000L - 7 - 3));
        assertThat(offer(1_000_000_000L - 7)).isEqualTo(ReorderBuffer.RELEASED);
    }

    @Test
    void holdingIsBoundedByTheCapacityWhateverArrives() {
        Random random = new Random(42);
        offer(0);
        long highest = 0;
        for (int i = 0; i < 10_000; i++) {
            long s = highest + 1 + random.nextInt(20);
            highest = Math.max(highest, s);
            buffer.offer(s, s);
            assertThat(stats().holding()).isLessThanOrEqualTo(8);
        }
        List<Long> sorted = new ArrayList<>(sink.released);
        sorted.sort(null);
        assertThat(sink.released).isEqualTo(sorted);
    }

    @Test
    void shuffledInputComesOutInOrderWithNothingLostWhenTheGapsFill() {
        Random random = new Random(7);
        List<Long> input = new ArrayList<>();
        for (long s = 0; s < 2_000; s++) {
            input.add(s);
        }
        // Shuffled within blocks of 4, so nothing is more than 3 out of place: within the ring's reach.
        for (int i = 0; i < input.size(); i += 4) {
            java.util.Collections.shuffle(input.subList(i, i + 4), random);
        }
        for (Long s : input) {
            buffer.offer(s, s);
        }
        assertThat(sink.released).hasSize(2_000);
        for (int i = 0; i < 2_000; i++) {
            assertThat(sink.released.get(i)).isEqualTo(i);
        }
        assertThat(stats().skipped()).isZero();
    }

    @Test
    void restartReleasesEverythingHeldInOrderAndTakesANewBaseline() {
        offer(10);
        offer(12);
        offer(14);

        buffer.restart();
        assertThat(sink.released).containsExactly(10L, 12L, 14L);
        assertThat(buffer.isHolding()).isFalse();

        assertThat(offer(1)).isEqualTo(ReorderBuffer.RELEASED);
        assertThat(stats().skipped()).isEqualTo(2);
    }

    @Test
    void discardHandsBackEverythingHeldWithoutReleasingIt() {
        offer(0);
        offer(2);
        offer(3);
        List<Long> back = new ArrayList<>();

        buffer.discard(back::add);

        assertThat(back).containsExactlyInAnyOrder(2L, 3L);
        assertThat(sink.released).containsExactly(0L);
        assertThat(buffer.isHolding()).isFalse();
        assertThat(stats().holding()).isZero();
        assertThat(totals.snapshot().holding()).isZero();
    }

    @Test
    void holdingIsReportedEachTimeHoldingStartsSoThatAnEarlierDeadlineIsSeen() {
        offer(0);
        offer(2);
        offer(1);
        offer(4);

        assertThat(sink.holdingCalls).isEqualTo(2);
    }

    @Test
    void aSessionWhosePeerRestartsItsNumberingReleasesWhatItHolds() {
        org.mptunnel.internal.session.Session session = new org.mptunnel.internal.session.Session(1,
                new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 9), 64,
                new org.mptunnel.internal.path.Path[0], null, 1, new org.mptunnel.internal.session.TunnelCounters(), 0);
        session.reorderWith(buffer);
        offer(5);
        offer(7);

        session.restartInbound();

        assertThat(sink.released).containsExactly(5L, 7L);
        assertThat(offer(1)).isEqualTo(ReorderBuffer.RELEASED);
        assertThat(session.snapshot().ordering().held()).isEqualTo(1);
    }
}
