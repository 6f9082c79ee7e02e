package org.mptunnel.internal.bridge;

import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Bursty loss, the Gilbert–Elliott model: a two-state Markov chain stepped once per datagram. In
 * the good state a datagram is lost with probability {@code lossInGood}, in the bad state with
 * {@code lossInBad}; after each datagram the chain moves from good to bad with probability
 * {@code enterBad} and from bad to good with probability {@code leaveBad}. Independent loss at the
 * same mean would scatter single losses; this model clusters them, as a fading radio link or an
 * overflowing queue does, which is what forward error correction has to survive.
 *
 * @param enterBad   probability of moving from good to bad after a datagram (p)
 * @param leaveBad   probability of moving from bad to good after a datagram (r)
 * @param lossInGood probability of losing a datagram in the good state (1 − k)
 * @param lossInBad  probability of losing a datagram in the bad state (1 − h)
 */
public record GilbertElliott(double enterBad, double leaveBad, double lossInGood, double lossInBad) {

    /** Loses nothing. */
    public static final GilbertElliott NONE = new GilbertElliott(0, 1, 0, 0);

    public GilbertElliott {
        check("enterBad", enterBad);
        check("leaveBad", leaveBad);
        check("lossInGood", lossInGood);
        check("lossInBad", lossInBad);
    }

    /**
     * Gilbert's form: nothing lost in the good state, everything in the bad one, so that a run of
     * losses is a stay in the bad state, geometric with mean {@code 1 / leaveBad}, and the share
     * of time in the bad state, {@code enterBad / (enterBad + leaveBad)}, is the loss.
     *
     * @param meanLoss  the long-run share of datagrams lost, 0 (inclusive) to 1 (exclusive)
     * @param meanBurst the mean number of datagrams in a run of consecutive losses, at least 1
     * @return the model
     * @throws IllegalArgumentException if the values are out of range, or the loss is too high for
     *                                  bursts that short (a burst needs a good datagram after it)
     */
    public static GilbertElliott bursts(double meanLoss, double meanBurst) {
        if (!(meanLoss >= 0 && meanLoss < 1)) {
            throw new IllegalArgumentException("the mean loss must be at least 0 and below 1, got " + meanLoss);
        }
        if (!(meanBurst >= 1 && meanBurst <= 1e9)) {
            throw new IllegalArgumentException("the mean burst must be between 1 and 1e9 datagrams, got " + meanBurst);
        }
        double leaveBad = 1 / meanBurst;
        double enterBad = meanLoss * leaveBad / (1 - meanLoss);
        if (enterBad > 1) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "a mean loss of %s needs bursts of at least %.3g datagrams on average, got %s",
                    meanLoss, meanLoss / (1 - meanLoss), meanBurst));
        }
        return new GilbertElliott(enterBad, leaveBad, 0, 1);
    }

    /** @return the long-run share of datagrams lost: the stationary mix of the two states' losses */
    public double meanLoss() {
        double toggles = enterBad + leaveBad;
        double bad = toggles == 0 ? 0 : enterBad / toggles;
        return bad * lossInBad + (1 - bad) * lossInGood;
    }

    /** @return whether the model never loses a datagram */
    public boolean isNone() {
        return lossInGood == 0 && (enterBad == 0 || lossInBad == 0);
    }

    /** @return a chain in the good state, drawing from a generator seeded with {@code seed} */
    public Chain start(long seed) {
        return new Chain(this, seed);
    }

    private static void check(String name, double p) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException(name + " must be a probability between 0 and 1, got " + p);
        }
    }

    /** One running instance of the model, for one stream of datagrams; not thread-safe. */
    public static final class Chain {
        private final GilbertElliott model;
        private final SplittableRandom random;
        private boolean bad;

        Chain(GilbertElliott model, long seed) {
            this.model = model;
            this.random = new SplittableRandom(seed);
        }

        /** Decides the fate of the next datagram and steps the chain: allocates nothing. */
        public boolean loseNext() {
            boolean lost = draw(bad ? model.lossInBad : model.lossInGood);
            if (draw(bad ? model.leaveBad : model.enterBad)) {
                bad = !bad;
            }
            return lost;
        }

        private boolean draw(double p) {
            return p >= 1 || (p > 0 && random.nextDouble() < p);
        }
    }
}
