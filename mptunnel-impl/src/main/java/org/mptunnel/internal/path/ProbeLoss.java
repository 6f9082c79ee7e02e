package org.mptunnel.internal.path;

import java.util.Arrays;

/**
 * Estimates one path's loss from its keepalives: each probe is either acknowledged or, once its
 * answer is overdue, counted lost, and the outcomes are smoothed.
 *
 * <p>What it measures: a probe and its ack cross the path once each way, so the estimate is
 * <em>round-trip</em> loss {@code r}. Data crosses it one way. If both directions lose
 * independently and equally, one-way loss is {@code 1 - sqrt(1 - r)}: {@link #oneWayLoss()}.
 * Asymmetric loss is split evenly, which over-estimates the worse direction's partner and
 * under-estimates the worse direction by at most half.
 *
 * <p>Smoothing: an exponentially weighted moving average of the outcomes (1 lost, 0 acked) with
 * weight {@code 1/32}, so the estimate reflects roughly the last 32 probes (63 % of its weight) and
 * its standard error at round-trip loss {@code r} is about {@code sqrt(r(1 - r) / 63)}. The first
 * 32 outcomes are averaged plainly (weight {@code 1/n}) so that the estimate starts at the mean of
 * what was seen, not at an arbitrary prior. A second, fast average (weight {@code 1/4}) follows the
 * last few probes only; {@link #burst()} compares the two to notice loss that jumps. A third, slow
 * one (weight {@code 1/256}, about 0.6 points of standard error at 2 % round-trip loss) is what a
 * 32-probe average cannot be: precise enough to tell a path losing 1 % one way from a clean one.
 * Planning uses the larger of the 32- and 256-probe averages ({@link #planningOneWayLoss()}), so
 * that loss which rises is seen within a few dozen probes and loss which falls is believed only
 * once it has stayed low for a few hundred.
 *
 * <p>Late acks: a probe is counted lost once its ack is overdue, but an ack may be merely late (a
 * machine too busy to run the far end, a bridge or this end's I/O thread for a while, as at start-up
 * on a loaded machine). An ack that arrives while its probe's slot still remembers the probe takes
 * the loss back: every average becomes what it would be had the probe been answered in time. An
 * ack later than that (the slot reused, {@value #SLOTS} probes on) is ignored.
 *
 * <p>Threads: the I/O thread records; {@link #roundTripLoss()} may be read from any thread.
 */
public final class ProbeLoss {

    /** Probes awaiting their ack; a probe still pending when its slot is reused counts as lost. */
    static final int SLOTS = 64;
    /** The slow average's weight is {@code 1 / LONG_WINDOW}. */
    static final int LONG_WINDOW = 32;
    /** The fast average's weight is {@code 1 / SHORT_WINDOW}. */
    static final int SHORT_WINDOW = 4;
    /** The precise average's weight is {@code 1 / PRECISE_WINDOW}. */
    static final int PRECISE_WINDOW = 256;
    /**
     * A burst: the fast average above the slow one by this much. From a clean path, two probes
     * lost in a row (0.44 against 0.06); from a path losing a third of its probes, three or four.
     */
    static final double BURST_MARGIN = 0.35;

    private final long[] number = new long[SLOTS];
    private final long[] sentAt = new long[SLOTS];
    private final boolean[] pending = new boolean[SLOTS];
    /** Whether the slot's probe was resolved as lost (false while pending or once answered). */
    private final boolean[] lost = new boolean[SLOTS];
    /** For a slot whose probe was resolved as lost: which outcome that was (1, 2, …). */
    private final long[] lostAsOutcome = new long[SLOTS];
    private int next;
    private long outcomes;
    private double slow;
    private double fast;
    private double precise;
    /** When the newest answered probe was sent; meaningful once {@link #answered} is set. */
    private long newestAnsweredSentAt;
    private boolean answered;
    private volatile double published;

    /** An estimate with no outcome yet. */
    public ProbeLoss() {
        startOver();
    }

    /** I/O thread: probe {@code probeNumber} left on this path at {@code nowNanos}. */
    public void sent(long probeNumber, long nowNanos) {
        int slot = next;
        next = (next + 1) % SLOTS;
        if (pending[slot]) {
            outcome(1);
        }
        number[slot] = probeNumber;
        sentAt[slot] = nowNanos;
        pending[slot] = true;
        lost[slot] = false;
    }

    /**
     * I/O thread: the ack of probe {@code probeNumber} arrived. If the probe was already counted
     * lost, the loss is taken back (see the class comment); an unknown or repeated ack is ignored.
     */
    public void acked(long probeNumber) {
        for (int i = 0; i < SLOTS; i++) {
            if ((pending[i] || lost[i]) && number[i] == probeNumber) {
                if (pending[i]) {
                    pending[i] = false;
                    outcome(0);
                } else {
                    lost[i] = false;
                    takeBackLoss(lostAsOutcome[i]);
                }
                if (!answered || sentAt[i] - newestAnsweredSentAt > 0) {
                    newestAnsweredSentAt = sentAt[i];
                    answered = true;
                }
                return;
            }
        }
    }

    /**
     * I/O thread: forgets the probes still awaiting their ack, counting them neither answered nor
     * lost: the far end said it may have left them unanswered on purpose (a path challenge: it
     * sends an address it has not validated no more bytes than it received). If no probe of the
     * path has been answered yet, the losses counted so far may all be that withholding (acks
     * overdue before the challenge came), so the estimate starts over: none yet.
     */
    public void forgetPending() {
        Arrays.fill(pending, false);
        if (!answered) {
            startOver();
        }
    }

    /** No outcome yet: no estimate. */
    private void startOver() {
        Arrays.fill(lost, false);
        outcomes = 0;
        slow = 0;
        fast = 0;
        precise = 0;
        published = -1;
    }

    /** I/O thread: counts as lost every probe unanswered for longer than {@code timeoutNanos}. */
    public void expire(long nowNanos, long timeoutNanos) {
        for (int i = 0; i < SLOTS; i++) {
            if (pending[i] && nowNanos - sentAt[i] > timeoutNanos) {
                pending[i] = false;
                lost[i] = true;
                outcome(1);
                lostAsOutcome[i] = outcomes;
            }
        }
    }

    private void outcome(int lost) {
        outcomes++;
        double weight = outcomes < LONG_WINDOW ? 1.0 / outcomes : 1.0 / LONG_WINDOW;
        slow += (lost - slow) * weight;
        fast += (lost - fast) * (outcomes < SHORT_WINDOW ? 1.0 / outcomes : 1.0 / SHORT_WINDOW);
        precise += (lost - precise) * (outcomes < PRECISE_WINDOW ? 1.0 / outcomes : 1.0 / PRECISE_WINDOW);
        published = slow;
    }

    /**
     * Outcome {@code which}, a loss, turns out to have been answered: each average loses what that
     * loss still weighs in it, so it is as if the outcome had been 0 from the start (the averages
     * are linear in their outcomes).
     */
    private void takeBackLoss(long which) {
        slow = Math.max(0, slow - weightNow(which, LONG_WINDOW));
        fast = Math.max(0, fast - weightNow(which, SHORT_WINDOW));
        precise = Math.max(0, precise - weightNow(which, PRECISE_WINDOW));
        published = slow;
    }

    /**
     * The weight outcome {@code which} has now, after {@link #outcomes} outcomes, in the average of
     * window {@code window}: outcome {@code j} entered with weight {@code 1/j} below the window,
     * {@code 1/window} from then on, and each later outcome {@code j} scaled it by {@code 1 - w(j)}.
     * Below the window those factors {@code (j - 1) / j} telescope: outcome {@code k}'s {@code 1/k}
     * becomes {@code 1/m} at outcome {@code m}.
     */
    private double weightNow(long which, int window) {
        long n = outcomes;
        long warm = window - 1; // outcomes 1 .. window - 1 are averaged plainly
        double weight;
        long from;
        if (which <= warm) {
            long m = Math.min(n, warm);
            weight = 1.0 / m;
            from = m;
        } else {
            weight = 1.0 / window;
            from = which;
        }
        return weight * Math.pow(1 - 1.0 / window, n - from);
    }

    /** @return probes resolved so far (acked or counted lost) */
    public long outcomes() {
        return outcomes;
    }

    /** Any thread: @return the smoothed round-trip probe loss, 0 to 1, or -1 before any outcome */
    public double roundTripLoss() {
        return published;
    }

    /**
     * I/O thread: when the newest answered probe was sent, or {@code fallback} if none was.
     */
    public long newestAnsweredSentAt(long fallback) {
        return answered ? newestAnsweredSentAt : fallback;
    }

    /**
     * I/O thread: whether the latest probes look like a sudden outage, before they are even
     * resolved: the newest probes that can be judged are unanswered, as many in a row as would
     * happen by chance less than 1 % of the time at the path's planning round-trip loss, and at least two: two on a
     * path losing up to 10 % of its probes, five at 36 %. A probe can be judged once
     * it is overdue ({@code overdueNanos}, a short wait, unlike the generous timeout that resolves
     * a probe as lost) and a probe sent no earlier on another path has been answered
     * ({@code answeredAfter}): a stall of this machine or of the server delays every path's acks
     * alike, and must not look like this path's loss. Probes too recent to judge are skipped.
     */
    public boolean outage(long nowNanos, long overdueNanos, long answeredAfter) {
        if (outcomes < LONG_WINDOW) {
            return false;
        }
        double roundTrip = Math.max(slow, precise);
        // At least two: one path's ack held up for a moment (its bridge's thread, its queue) is
        // common on a busy machine; two in a row a quarter interval apart much less so.
        int needed = roundTrip <= 0.01 ? 2
                : (int) Math.max(2, Math.ceil(Math.log(0.01) / Math.log(Math.min(roundTrip, 0.9))));
        if (needed > SLOTS / 2) {
            return false;
        }
        int run = 0;
        for (int k = 1; k <= SLOTS; k++) {
            int slot = Math.floorMod(next - k, SLOTS);
            boolean unanswered = pending[slot] || lost[slot];
            boolean judged = nowNanos - sentAt[slot] > overdueNanos && answeredAfter - sentAt[slot] >= 0;
            if (pending[slot] && !judged && run == 0) {
                continue; // too recent to judge
            }
            if (!unanswered) {
                return false;
            }
            if (++run >= needed) {
                return true;
            }
        }
        return false;
    }

    /** @return the one-way loss implied by the round-trip loss (see the class comment), or -1 */
    public double oneWayLoss() {
        return oneWay(published);
    }

    /**
     * I/O thread: the one-way loss to plan with: that of the larger of the 32- and 256-probe
     * round-trip averages, or -1 before any outcome.
     */
    public double planningOneWayLoss() {
        return outcomes == 0 ? -1 : oneWay(Math.max(slow, precise));
    }

    /** I/O thread: whether the last few probes were lost far more often than the path's average. */
    public boolean burst() {
        return outcomes >= SHORT_WINDOW && fast - slow > BURST_MARGIN;
    }

    /** @return the one-way loss of a round trip losing {@code roundTrip}, or -1 if it is negative */
    public static double oneWay(double roundTrip) {
        return roundTrip < 0 ? -1 : 1 - Math.sqrt(1 - Math.min(roundTrip, 1));
    }
}
