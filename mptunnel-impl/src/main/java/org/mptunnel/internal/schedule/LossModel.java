package org.mptunnel.internal.schedule;

/**
 * What a path is expected to do to the datagrams sent on it, for planning: Gilbert's model, a
 * two-state chain stepped once per datagram sent on the path, which loses every datagram in the
 * bad state and none in the good one. A stay in the bad state is a run of losses of mean length
 * {@code meanBurst}; the share of datagrams lost is {@code loss}. Runs of mean length
 * {@code 1 / (1 - loss)} are independent loss (the chain then forgets its state at every step), and
 * shorter ones are not possible at that loss, so they are taken as independent.
 *
 * @param loss      the share of datagrams lost, 0 to 1 (1: a dead path, every shard an erasure)
 * @param meanBurst the mean length of a run of losses, in datagrams; anything up to
 *                  {@code 1 / (1 - loss)} means independent loss
 */
public record LossModel(double loss, double meanBurst) {

    public LossModel {
        if (!(loss >= 0 && loss <= 1)) {
            throw new IllegalArgumentException("loss must be between 0 and 1, got " + loss);
        }
        if (!(meanBurst >= 1)) {
            throw new IllegalArgumentException("the mean burst must be at least 1 datagram, got " + meanBurst);
        }
    }

    /** @return a path that loses each datagram independently with probability {@code loss} */
    public static LossModel independent(double loss) {
        return new LossModel(loss, 1);
    }

    /** @return the chance of moving from the good state to the bad one after a datagram */
    double enterBad() {
        return loss >= 1 ? 1 : loss * leaveBad() / (1 - loss);
    }

    /** @return the chance of leaving the bad state after a datagram */
    double leaveBad() {
        if (loss >= 1) {
            return 0;
        }
        return 1 / Math.max(meanBurst, 1 / (1 - loss));
    }
}
