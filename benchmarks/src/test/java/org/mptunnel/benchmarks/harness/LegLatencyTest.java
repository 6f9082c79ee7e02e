package org.mptunnel.benchmarks.harness;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class LegLatencyTest {

    private static final long MS = 1_000_000;
    private static final long FIRST = 100;

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

        LegLatency there = LegLatency.of(TIMES, drops, BridgeDrops.Direction.TO_SERVER);
        LegLatency back = LegLatency.of(TIMES, drops, BridgeDrops.Direction.TO_CLIENT);

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

        LegLatency there = LegLatency.of(TIMES, drops, BridgeDrops.Direction.TO_SERVER);

        assertThat(there.rebuiltOver(Duration.ofMillis(12))).isEqualTo(1);
        assertThat(there.rebuiltOver(Duration.ofMillis(9))).isEqualTo(2);
        assertThat(there.rebuiltOver(Duration.ofMillis(15))).isZero();
    }

    @Test
    void nothingRebuiltHasNoPercentiles() {
        LegLatency there = LegLatency.of(TIMES, new BridgeDrops(), BridgeDrops.Direction.TO_SERVER);

        assertThat(there.rebuiltCount()).isZero();
        assertThat(there.rebuiltMillis(99)).isNaN();
        assertThat(there.rebuiltOver(Duration.ZERO)).isZero();
        assertThat(there.carriedCount()).isEqualTo(4);
    }

    private static String fecDataDropped(String direction, long sequence) {
        return BridgeDropsTest.line(direction, BridgeDropsTest.fecData(sequence, false));
    }
}
