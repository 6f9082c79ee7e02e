package org.mptunnel.internal.bridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.BitSet;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class GilbertElliottTest {

    private static final int DATAGRAMS = 200_000;
    private static final long SEED = 20_261_204L;

    /**
     * 5 % loss in bursts of 10: about 1,000 bursts in 200,000 datagrams. A burst's length is
     * geometric (mean 10, standard deviation 9.5), so the mean of 1,000 has a standard error of
     * 0.30: the tolerance, 1.0, is 3.3 of them. The loss rate of a renewal process with good runs
     * of mean 190 (sd 190) and bad runs of mean 10 has a standard error of about
     * sqrt((0.95² · 90 + 0.05² · 190²) / (200 · 200,000)) = 0.0021: the tolerance, 0.006, is 2.9.
     */
    @Test
    void measuredLossAndBurstLengthMatchTheConfiguredOnes() {
        GilbertElliott model = GilbertElliott.bursts(0.05, 10);
        Runs runs = Runs.of(model.start(SEED), DATAGRAMS);
        System.out.printf("loss-burst 5%%:10 over %d datagrams: loss %.4f, %d bursts of mean %.2f%n",
                DATAGRAMS, runs.lossRate(), runs.bursts, runs.meanBurst());
        assertThat(model.meanLoss()).isCloseTo(0.05, within(1e-12));
        assertThat(runs.lossRate()).isCloseTo(0.05, within(0.006));
        assertThat(runs.meanBurst()).isCloseTo(10, within(1.0));
    }

    /** The same test tells bursts from independent loss of the same mean, whose runs average 1.05. */
    @Test
    void independentLossAtTheSameMeanHasNoBursts() {
        GilbertElliott independent = new GilbertElliott(0, 1, 0.05, 0);
        Runs runs = Runs.of(independent.start(SEED), DATAGRAMS);
        assertThat(runs.lossRate()).isCloseTo(0.05, within(0.003));
        assertThat(runs.meanBurst()).isCloseTo(1 / 0.95, within(0.05));
    }

    /** Explicit parameters with loss in both states: the measured loss is the stationary mix. */
    @Test
    void explicitParametersLoseTheStationaryMix() {
        GilbertElliott model = new GilbertElliott(0.01, 0.1, 0.01, 0.5);
        // bad 1/11 of the time: 0.5 / 11 + 0.01 · 10 / 11
        assertThat(model.meanLoss()).isCloseTo(0.5 / 11 + 0.1 / 11, within(1e-12));
        Runs runs = Runs.of(model.start(SEED), DATAGRAMS);
        assertThat(runs.lossRate()).isCloseTo(model.meanLoss(), within(0.006));
    }

    @Test
    void theSameSeedGivesTheSameLosses() {
        GilbertElliott model = GilbertElliott.bursts(0.05, 10);
        assertThat(Runs.of(model.start(SEED), DATAGRAMS).lost).isEqualTo(Runs.of(model.start(SEED), DATAGRAMS).lost);
        assertThat(Runs.of(model.start(SEED + 1), DATAGRAMS).lost).isNotEqualTo(Runs.of(model.start(SEED), DATAGRAMS).lost);
    }

    @Test
    void noneLosesNothingAndDrawsNothing() {
        assertThat(GilbertElliott.NONE.isNone()).isTrue();
        assertThat(Runs.of(GilbertElliott.NONE.start(SEED), 10_000).lost.isEmpty()).isTrue();
        assertThat(GilbertElliott.bursts(0, 10).isNone()).isTrue();
        assertThat(GilbertElliott.bursts(0.05, 10).isNone()).isFalse();
    }

    @Test
    void gilbertsFormFromMeans() {
        GilbertElliott model = GilbertElliott.bursts(0.05, 10);
        assertThat(model.leaveBad()).isCloseTo(0.1, within(1e-12));
        assertThat(model.enterBad()).isCloseTo(0.05 * 0.1 / 0.95, within(1e-12));
        assertThat(model.lossInGood()).isZero();
        assertThat(model.lossInBad()).isEqualTo(1);
        // half the datagrams lost in runs of one: good and bad alternate
        Runs alternating = Runs.of(GilbertElliott.bursts(0.5, 1).start(SEED), 1_000);
        assertThat(alternating.lossRate()).isEqualTo(0.5);
        assertThat(alternating.meanBurst()).isEqualTo(1);
    }

    @Test
    void impossibleMeansAreRefusedClearly() {
        assertThatThrownBy(() -> GilbertElliott.bursts(0.6, 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a mean loss of 0.6 needs bursts of at least 1.50 datagrams on average, got 1.0");
        assertThatThrownBy(() -> GilbertElliott.bursts(1, 10)).hasMessageContaining("below 1");
        assertThatThrownBy(() -> GilbertElliott.bursts(-0.1, 10)).hasMessageContaining("at least 0");
        assertThatThrownBy(() -> GilbertElliott.bursts(0.05, 0.5)).hasMessageContaining("between 1 and");
        assertThatThrownBy(() -> GilbertElliott.bursts(0.05, Double.NaN)).hasMessageContaining("between 1 and");
        assertThatThrownBy(() -> new GilbertElliott(0.1, 1.5, 0, 1)).hasMessageContaining("leaveBad must be a probability");
    }

    /** Which datagrams a chain lost, and its runs of consecutive losses. */
    private record Runs(BitSet lost, int datagrams, int bursts) {

        static Runs of(GilbertElliott.Chain chain, int datagrams) {
            BitSet lost = new BitSet(datagrams);
            int bursts = 0;
            boolean previousLost = false;
            for (int i = 0; i < datagrams; i++) {
                boolean l = chain.loseNext();
                if (l) {
                    lost.set(i);
                    if (!previousLost) {
                        bursts++;
                    }
                }
                previousLost = l;
            }
            return new Runs(lost, datagrams, bursts);
        }

        double lossRate() {
            return (double) lost.cardinality() / datagrams;
        }

        double meanBurst() {
            return (double) lost.cardinality() / bursts;
        }
    }
}
