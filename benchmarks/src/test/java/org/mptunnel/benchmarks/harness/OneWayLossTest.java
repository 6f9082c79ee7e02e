package org.mptunnel.benchmarks.harness;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class OneWayLossTest {

    @Test
    void aDatagramNotBackWasLostOnTheWayBackOnlyIfItsReplyWasDropped() {
        // 10, 11, 12 and 13 back; 14 not back, its reply dropped; 15 and 16 not back, no reply dropped
        EchoTimes times = new EchoTimes(10, new long[7], new long[7], new long[] {1, 1, 1, 1, 0, 0, 0});
        BridgeDrops drops = new BridgeDrops();
        drops.add(BridgeDropsTest.line("to-client", BridgeDropsTest.fecData(14, true))); // one of two copies
        drops.add(BridgeDropsTest.line("to-target", BridgeDropsTest.fecData(15, false)));
        drops.add(BridgeDropsTest.line("to-client", BridgeDropsTest.fecData(12, false))); // rebuilt: came back

        OneWayLoss loss = OneWayLoss.of(times, drops);

        assertThat(loss).isEqualTo(new OneWayLoss(7, 2, 1));
        assertThat(loss.there()).isCloseTo(2 / 7.0, within(1e-9));
        assertThat(loss.back()).isCloseTo(1 / 5.0, within(1e-9));
    }

    @Test
    void nothingSentLosesNothing() {
        OneWayLoss loss = OneWayLoss.of(EchoTimes.empty(0, 0), new BridgeDrops());
        assertThat(loss.there()).isZero();
        assertThat(loss.back()).isZero();
    }
}
