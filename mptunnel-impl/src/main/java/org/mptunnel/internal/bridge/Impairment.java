package org.mptunnel.internal.bridge;

import java.time.Duration;
import java.util.Objects;

/**
 * What a {@link UdpBridge} does to each datagram, in each direction: drop it (independently, in
 * bursts, or both), delay it (a fixed delay plus uniform jitter), send it twice, or hold it back so
 * that later ones overtake it. Decisions come from generators seeded with {@code seed}, so a run
 * can be repeated.
 *
 * @param loss      probability of dropping a datagram, 0 to 1, independently of the others
 * @param burstLoss bursty loss on top of {@code loss}: {@link GilbertElliott#NONE} for none
 * @param delay     fixed delay added to every datagram
 * @param jitter    upper bound of a uniform random delay added on top
 * @param duplicate probability of sending a datagram twice, 0 to 1
 * @param reorder   probability of holding a datagram back by {@link #REORDER_HOLD} more
 * @param seed      seed of the decisions
 */
public record Impairment(double loss, GilbertElliott burstLoss, Duration delay, Duration jitter, double duplicate,
        double reorder, long seed) {

    /** How much longer a reordered datagram is held than the others. */
    public static final Duration REORDER_HOLD = Duration.ofMillis(2);

    /** Forwards everything at once. */
    public static final Impairment NONE = new Impairment(0, Duration.ZERO, Duration.ZERO, 0, 0, 0);

    public Impairment {
        checkProbability("loss", loss);
        Objects.requireNonNull(burstLoss, "burstLoss");
        checkProbability("duplicate", duplicate);
        checkProbability("reorder", reorder);
        Objects.requireNonNull(delay, "delay");
        Objects.requireNonNull(jitter, "jitter");
        if (delay.isNegative() || jitter.isNegative()) {
            throw new IllegalArgumentException("delay and jitter must not be negative");
        }
    }

    /** An impairment without bursty loss. */
    public Impairment(double loss, Duration delay, Duration jitter, double duplicate, double reorder, long seed) {
        this(loss, GilbertElliott.NONE, delay, jitter, duplicate, reorder, seed);
    }

    /** @return an impairment that drops with probability {@code p} and draws from {@code seed} */
    public static Impairment lossy(double p, long seed) {
        return new Impairment(p, Duration.ZERO, Duration.ZERO, 0, 0, seed);
    }

    /** @return an impairment that only drops, in bursts as {@code model} says, drawing from {@code seed} */
    public static Impairment bursty(GilbertElliott model, long seed) {
        return new Impairment(0, model, Duration.ZERO, Duration.ZERO, 0, 0, seed);
    }

    /** @return whether every datagram goes straight through */
    public boolean isNone() {
        return loss == 0 && burstLoss.isNone() && delay.isZero() && jitter.isZero() && duplicate == 0 && reorder == 0;
    }

    private static void checkProbability(String name, double p) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException(name + " must be a probability between 0 and 1, got " + p);
        }
    }
}
