package org.mptunnel.benchmarks.harness;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class LegLatencyTest {

    private static final long MS = 1_000_000;
    private static final long FIRST = 100;
    private static final Duration DEADLINE = Duration.ofMillis(5);

    /**
     * Five datagrams from sequence 100, sent 1 ms apart: 101 rebuilt on the way there (its one copy
     * dropped there), 103 rebuilt on the way back, 104 never back; the rest carried.
     */
    private static final EchoTimes TIMES = new EchoTimes(FIRST,
            new long[] {1 * MS, 2 * MS, 3 * MS, 4 * MS, 5 * MS},
            new long[] {11 * MS, 16 * MS, 13 * MS, 14 * MS, 15 * MS},
            new long[] {21 * MS, 26 * MS, 23 * MS, 31 * MS, 0});

    @Test
    void rebuiltDatagramsAreKeptApartFromCarriedOnesOnEachLeg() {
        BridgeDrops drops = new BridgeDrops();
        drops.add(fecDataDropped("to-target", FIRST + 1));
        drops.add(fecDataDropped("to-client", FIRST + 3));
        drops.add(fecDataDropped("to-target", FIRST + 4)); // never back: not known on either leg

        LegLatency there = LegLatency.of(TIMES, drops, BridgeDrops.Direction.TO_SERVER, DEADLINE);
        LegLatency back = LegLatency.of(TIMES, drops, BridgeDrops.Direction.TO_CLIENT, DEADLINE);

        assertThat(there.carriedCount()).isEqualTo(3);
        assertThat(there.rebuiltCount()).isEqualTo(1);
        assertThat(there.carriedMillis(50)).isCloseTo(10, within(0.01));
        assertThat(there.rebuiltMillis(50)).isCloseTo(14, within(0.02));
        assertThat(back.carriedCount()).isEqualTo(3);
        assertThat(back.rebuiltCount()).isEqualTo(1);
        assertThat(back.carriedMillis(100)).isCloseTo(10, within(0.01));
        assertThat(back.rebuiltMillis(100)).isCloseTo(17, within(0.02));
    }

    @Test
    void countsTheRebuiltOnesOverABound() {
        BridgeDrops drops = new BridgeDrops();
        drops.add(fecDataDropped("to-target", FIRST + 1)); // 14 ms there
        drops.add(fecDataDropped("to-target", FIRST + 2)); // 10 ms there

        LegLatency there = LegLatency.of(TIMES, drops, BridgeDrops.Direction.TO_SERVER, DEADLINE);

        assertThat(there.rebuiltOver(Duration.ofMillis(12))).isEqualTo(1);
        assertThat(there.rebuiltOver(Duration.ofMillis(9))).isEqualTo(2);
        assertThat(there.rebuiltOver(Duration.ofMillis(15))).isZero();
        assertThat(there.carriedOver(Duration.ofMillis(9))).isEqualTo(2); // 100 and 103, 10 ms each
        assertThat(there.carriedOver(Duration.ofMillis(10))).isZero();
    }

    @Test
    void nothingRebuiltHasNoPercentiles() {
        LegLatency there = LegLatency.of(TIMES, new BridgeDrops(), BridgeDrops.Direction.TO_SERVER, DEADLINE);

        assertThat(there.rebuiltCount()).isZero();
        assertThat(there.rebuiltMillis(99)).isNaN();
        assertThat(there.rebuiltOver(Duration.ZERO)).isZero();
        assertThat(there.carriedCount()).isEqualTo(4);
    }

    @Test
    void latenessIsMeasuredAgainstTheCarriedDatagramsThatLeftWithinTheDeadlineAfter() {
        // 0 rebuilt there after 14 ms, carried 1 (1 ms later) took 12 ms: late by 2 ms, within the deadline.
        // 3 rebuilt there after 25 ms, carried 4 (1 ms later) took 12 ms: 13 ms late, beyond it.
        // 6 and 7 rebuilt, with nothing carried within 5 ms after them (8 left 6 ms after 7): not checked.
        EchoTimes times = new EchoTimes(FIRST,
                new long[] {0, 1 * MS, 20 * MS, 21 * MS, 22 * MS, 40 * MS, 60 * MS, 61 * MS, 67 * MS},
                new long[] {14 * MS, 13 * MS, 30 * MS, 46 * MS, 34 * MS, 50 * MS, 99 * MS, 99 * MS, 77 * MS},
                new long[] {100 * MS, 100 * MS, 100 * MS, 100 * MS, 100 * MS, 100 * MS, 200 * MS, 200 * MS, 200 * MS});
        BridgeDrops drops = new BridgeDrops();
        for (long i : new long[] {0, 3, 6, 7}) {
            drops.add(fecDataDropped("to-target", FIRST + i));
        }

        LegLatency there = LegLatency.of(times, drops, BridgeDrops.Direction.TO_SERVER, DEADLINE);

        assertThat(there.rebuiltCount()).isEqualTo(4);
        assertThat(there.latenessChecked()).isEqualTo(2);
        assertThat(there.beyondDeadline()).isEqualTo(1);
        assertThat(there.latenessMillis(100)).isCloseTo(13, within(0.02));
        assertThat(there.latenessMillis(50)).isCloseTo(2, within(0.01));
    }

    private static String fecDataDropped(String direction, long sequence) {
        return BridgeDropsTest.line(direction, BridgeDropsTest.fecData(sequence, false));
    }
}
