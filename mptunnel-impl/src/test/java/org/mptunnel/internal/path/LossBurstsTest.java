package org.mptunnel.internal.path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mptunnel.internal.bridge.GilbertElliott;

/**
 * The burst estimate on seeded Gilbert–Elliott loss (mpbridge's model), fed as a path's reports
 * come: a run of data datagrams, then the probe, which steps the same chain; its answer crosses a
 * second chain of the same model the other way, stepped as often (the replies); a report exists
 * only if both arrived, and follows the previous probe directly only if that one was answered too.
 * 15,000 datagrams, in runs of 15 to 25 (2,000 datagrams a second, a keepalive every 10 ms) unless
 * a test says otherwise.
 */
class LossBurstsTest {

    private static final int DATAGRAMS = 15_000;

    private static LossBursts fed(GilbertElliott model, long seed, int shortest, int longest) {
        GilbertElliott.Chain out = model.start(seed);
        GilbertElliott.Chain back = model.start(seed + 1_000);
        SplittableRandom lengths = new SplittableRandom(seed * 31);
        LossBursts bursts = new LossBursts();
        long sent = 0;
        long lost = 0;
        long reportedSent = 0;
        long reportedLost = 0;
        boolean previousAnswered = true;
        while (sent < DATAGRAMS) {
            int n = lengths.nextInt(shortest, longest + 1);
            for (int d = 0; d < n; d++) {
                sent++;
                lost += out.loseNext() ? 1 : 0;
                back.loseNext();
            }
            boolean answered = !out.loseNext() & !back.loseNext();
            if (answered) {
                bursts.add(sent - reportedSent, lost - reportedLost, previousAnswered);
                reportedSent = sent;
                reportedLost = lost;
            }
            previousAnswered = answered;
        }
        return bursts;
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
    void tellsBurstsOfTenFromIndependentLossAtTheSameMean(long seed) {
        double bursty = fed(GilbertElliott.bursts(0.05, 10), seed, 15, 25).meanBurst();
        double independent = fed(GilbertElliott.bursts(0.05, 1 / 0.95), seed, 15, 25).meanBurst();

        assertThat(bursty).isBetween(6.0, 15.0);
        assertThat(independent).as("independent runs are 1 / (1 - 0.05) = 1.05 long").isBetween(1.0, 1.2);
    }

    @ParameterizedTest
    @ValueSource(ints = {5, 10, 40})
    void followsTheBurstLengthWhateverTheReportsSpan(int shortest) {
        for (double burst : new double[] {3, 10, 30}) {
            double estimate = fed(GilbertElliott.bursts(0.05, burst), 11, shortest, 2 * shortest).meanBurst();
            assertThat(estimate).as("bursts of %s, reports of %s to %s", burst, shortest, 2 * shortest)
                    .isBetween(burst * 0.6, burst * 1.6);
        }
    }

    @Test
    void independentLossAtHighRatesIsNotTakenForBursts() {
        for (double loss : new double[] {0.01, 0.2, 0.3}) {
            double estimate = fed(GilbertElliott.bursts(loss, 1 / (1 - loss)), 5, 15, 25).meanBurst();
            assertThat(estimate).as("loss %s", loss).isBetween(1.0, 1.35 / (1 - loss));
        }
    }

    @Test
    void datagramsCountedLostByOneReportAndFoundByTheNextAreNotLoss() {
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
            bursts.add(15, lost + inFlight, true);
        }
        assertThat(bursts.meanBurst()).isBetween(1.0, 1.2);
    }

    @Test
    void tooFewLossesToTellAreTakenAsIndependent() {
        LossBursts bursts = new LossBursts();
        bursts.add(100, 20, true); // one burst of 20: a single event says nothing of how long they usually are
        for (int report = 0; report < 100; report++) {
            bursts.add(20, 0, true);
        }
        assertThat(bursts.meanBurst()).isEqualTo(1);
        assertThat(new LossBursts().meanBurst()).isEqualTo(1);
    }

    @Test
    void theChanceOfACleanReportIsTheChainsGivenBothProbesArrived() {
        // every path of the chain through n datagrams, the one before and the one after good
        for (int n : new int[] {1, 2, 5, 9}) {
            for (double lambda : new double[] {0, 0.3, 0.9, 0.99}) {
                double loss = 0.05;
                double enter = loss * (1 - lambda);
                double leave = (1 - loss) * (1 - lambda);
                double clean = 0;
                double endsGood = 0;
                for (int mask = 0; mask < 1 << n; mask++) {
                    double chance = 1;
                    boolean bad = false;
                    for (int d = 0; d < n; d++) {
                        boolean next = (mask >> d & 1) == 1;
                        chance *= bad ? (next ? 1 - leave : leave) : (next ? enter : 1 - enter);
                        bad = next;
                    }
                    chance *= bad ? leave : 1 - enter;
                    endsGood += chance;
                    clean += mask == 0 ? chance : 0;
                }
                assertThat(LossBursts.cleanBetweenArrivals(n, loss, lambda)).as("n %s, λ %s", n, lambda)
                        .isCloseTo(clean / endsGood, within(1e-12));
            }
        }
    }
}
