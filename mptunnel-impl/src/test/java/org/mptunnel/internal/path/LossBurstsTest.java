package org.mptunnel.internal.path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mptunnel.internal.bridge.GilbertElliott;

/**
 * The burst estimate on seeded Gilbert–Elliott loss (mpbridge's model), reported in intervals of
 * 5 to 20 datagrams as the peer's per-path reports come at 2,000 datagrams a second and a keepalive
 * every 10 ms, over 15,000 datagrams.
 */
class LossBurstsTest {

    private static final int DATAGRAMS = 15_000;

    private static LossBursts fed(GilbertElliott model, long seed, int shortest, int longest) {
        GilbertElliott.Chain chain = model.start(seed);
        SplittableRandom lengths = new SplittableRandom(seed * 31);
        LossBursts bursts = new LossBursts();
        for (int total = 0; total < DATAGRAMS; ) {
            int n = lengths.nextInt(shortest, longest + 1);
            int lost = 0;
            for (int d = 0; d < n; d++) {
                lost += chain.loseNext() ? 1 : 0;
            }
            bursts.add(n, lost);
            total += n;
        }
        return bursts;
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
    void tellsBurstsOfTenFromIndependentLossAtTheSameMean(long seed) {
        double bursty = fed(GilbertElliott.bursts(0.05, 10), seed, 5, 20).meanBurst();
        double independent = fed(GilbertElliott.bursts(0.05, 1 / 0.95), seed, 5, 20).meanBurst();

        assertThat(bursty).isBetween(6.0, 15.0);
        assertThat(independent).as("independent runs are 1 / (1 - 0.05) = 1.05 long").isBetween(1.0, 1.15);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 20, 400})
    void followsTheBurstLengthWhateverTheReportsSpan(int shortest) {
        // reports of one datagram see no pair: the estimate rests on the longer ones among them
        for (double burst : new double[] {3, 10, 30}) {
            double estimate = fed(GilbertElliott.bursts(0.05, burst), 11, shortest, 2 * shortest).meanBurst();
            assertThat(estimate).as("bursts of %s, reports of %s to %s", burst, shortest, 2 * shortest)
                    .isBetween(burst * 0.6, burst * 1.6);
        }
    }

    @Test
    void independentLossAtHighRatesIsNotTakenForBursts() {
        for (double loss : new double[] {0.01, 0.2, 0.3}) {
            double estimate = fed(GilbertElliott.bursts(loss, 1 / (1 - loss)), 5, 5, 20).meanBurst();
            assertThat(estimate).as("loss %s", loss).isBetween(1.0, 1.1 / (1 - loss));
        }
    }

    @Test
    void tooFewLossesToTellAreTakenAsIndependent() {
        LossBursts bursts = new LossBursts();
        bursts.add(100, 20); // one burst of 20: a single event says nothing of how long they usually are
        bursts.add(100, 0);
        assertThat(bursts.meanBurst()).isEqualTo(1);
        assertThat(new LossBursts().meanBurst()).isEqualTo(1);
    }

    @Test
    void datagramsCountedLostByOneReportAndFoundByTheNextAreNotABurst() {
        // The sender counts datagrams it is still sending when the probe leaves; the receiver
        // finds them in the next report: 4 counted lost in one report every third, paid back next.
        GilbertElliott.Chain chain = GilbertElliott.bursts(0.05, 1 / 0.95).start(3);
        LossBursts bursts = new LossBursts();
        for (int report = 0; report < 1_000; report++) {
            int lost = 0;
            for (int d = 0; d < 15; d++) {
                lost += chain.loseNext() ? 1 : 0;
            }
            int inFlight = report % 3 == 0 ? 4 : report % 3 == 1 ? -4 : 0;
            bursts.add(15, lost + inFlight);
        }
        assertThat(bursts.meanBurst()).isBetween(1.0, 1.15);
    }

    @Test
    void theClosedFormCountsThePairsOfADirectSum() {
        for (long n : new long[] {0, 1, 2, 7, 40}) {
            for (double lambda : new double[] {0, 0.3, 0.9, 0.999}) {
                double sum = 0;
                for (int d = 1; d < n; d++) {
                    sum += 2 * (n - d) * Math.pow(lambda, d);
                }
                assertThat(LossBursts.pairsWithin(n, lambda)).isCloseTo(sum, within(1e-9 * Math.max(1, sum)));
            }
        }
    }
}
