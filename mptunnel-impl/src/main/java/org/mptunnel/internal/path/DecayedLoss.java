package org.mptunnel.internal.path;

/**
 * A loss rate over roughly the last {@code 1024} datagrams: datagrams lost over datagrams sent,
 * both counted with weights that decay by {@code 1/1024} per datagram sent since, so it is the
 * plain mean of the first few and then follows about the last 1,024 (63 % of its weight). A
 * negative loss (late arrivals paid back) is taken off the losses it had added. Single-threaded.
 */
public final class DecayedLoss {

    /** The weight per datagram is {@code 1 / SMOOTHING_DATAGRAMS}. */
    public static final int SMOOTHING_DATAGRAMS = 1024;
    /** The log of what an older datagram keeps of its weight per datagram sent since. */
    private static final double LOG_KEEP = Math.log1p(-1.0 / SMOOTHING_DATAGRAMS);

    private double sent;
    private double lost;

    /**
     * Counts {@code sentDelta} more datagrams, {@code lostDelta} of them lost.
     *
     * @return the smoothed loss, 0 to 1, or -1 while nothing has been counted as sent
     */
    public double add(long sentDelta, long lostDelta) {
        double decay = Math.exp(sentDelta * LOG_KEEP);
        sent = sent * decay + sentDelta;
        lost = lost * decay + lostDelta;
        return sent > 0 ? Math.min(Math.max(lost / sent, 0), 1) : -1;
    }

    /** Forgets everything counted: the next {@link #add} starts afresh. */
    public void reset() {
        sent = 0;
        lost = 0;
    }
}
