package org.mptunnel.internal.session;

import org.mptunnel.internal.path.DecayedLoss;

/**
 * A client session's data loss as the server measures it: every keepalive-ack carries how many of
 * the session's data datagrams the server has accepted ({@code received}) and how many sequence
 * numbers it has passed ({@code passed}: the highest accepted plus one). Between two reports,
 * {@code Δpassed - Δreceived} datagrams went missing. Unlike the keepalives' estimate, this is the
 * loss of the data itself, over every path at once, and it is known one report after it happens.
 *
 * <p>What a report cannot tell apart: a datagram still in flight on a slower path, below the
 * highest sequence already accepted, counts as missing until a later report sees it arrive (a
 * negative loss then pays it back). Reports that arrive out of order (each comes back on the path
 * its keepalive took) are told by their counts: one that has both counts no higher than the last is
 * an older one and is ignored; one with one count lower and the other higher comes from a new
 * server session (restart or expiry) and starts a new baseline, as {@link #restart()} does.
 *
 * <p>Smoothing: the datagrams lost over the datagrams passed, both counted with weights that decay
 * by {@code 1/1024} per datagram passed since, so it reflects about the last 1,024 datagrams (63 %
 * of its weight) and is the plain mean of the first few; a late arrival paid back is taken off
 * the losses it had added.
 *
 * <p>Bursts: the last {@value #RECENT} reports are kept, and {@link #burst} asks whether the
 * losses of any run of the newest ones are too many for a given expected loss.
 *
 * <p>Threads: the I/O thread reports and asks; {@link #measuredLoss()} may be read by any thread.
 */
public final class ReportedLoss {

    /** Reports the burst test looks back over. */
    static final int RECENT = 16;
    /**
     * A burst: losses at least this unlikely at the expected loss (by the Chernoff bound, which
     * over-states the chance, so the test errs towards calm). Tests run at every report, about a
     * thousand a second with adaptive redundancy's probes, over overlapping runs; a false alarm
     * costs copies for a short while, never datagrams.
     */
    static final double BURST_CHANCE = 1e-4;
    /** Fewer losses than this are never a burst: one loss proves nothing about a rate. */
    static final int MIN_BURST_LOST = 2;

    private final long[] recentPassed = new long[RECENT];
    private final long[] recentLost = new long[RECENT];
    private int recentNext;
    private int recentCount;
    private boolean baseline;
    private long lastReceived;
    private long lastPassed;
    /** Datagrams reported since the first report, and how many of them went missing. */
    private long passedTotal;
    private long lostTotal;
    private final DecayedLoss smoothed = new DecayedLoss();
    private volatile double published = -1;

    /**
     * I/O thread: one report, from a well-formed ack.
     *
     * @param received the server's count of first copies accepted
     * @param passed   the server's highest accepted sequence plus one
     * @return whether the report brought news (it is newer than the last and counts something)
     */
    public boolean report(long received, long passed) {
        long passedDelta = passed - lastPassed;
        long receivedDelta = received - lastReceived;
        if (!baseline || (passedDelta < 0) != (receivedDelta < 0) && (passedDelta > 0 || receivedDelta > 0)) {
            // the first report, or one from a new server session: counts start over there
            baseline = true;
            lastReceived = received;
            lastPassed = passed;
            recentCount = 0;
            return false;
        }
        if (passedDelta <= 0 && receivedDelta <= 0) {
            return false; // an older report, overtaken on a faster path, or nothing new
        }
        lastReceived = received;
        lastPassed = passed;
        long lost = passedDelta - receivedDelta;
        recentPassed[recentNext] = passedDelta;
        recentLost[recentNext] = lost;
        recentNext = (recentNext + 1) % RECENT;
        recentCount = Math.min(recentCount + 1, RECENT);
        passedTotal += passedDelta;
        lostTotal += lost;
        double loss = smoothed.add(passedDelta, lost);
        if (loss >= 0) {
            published = loss;
        }
        return true;
    }

    /** I/O thread: the server restarted; its next report starts a new baseline. */
    public void restart() {
        baseline = false;
        recentCount = 0;
    }

    /** I/O thread: forgets the recent reports, so that the next burst test judges only newer ones. */
    public void clearRecent() {
        recentCount = 0;
    }

    /**
     * I/O thread: whether the newest reports show a burst: for some run of the last reports
     * (the newest alone, the newest two, ...), at least {@value #MIN_BURST_LOST} datagrams went
     * missing and that many would happen at {@code expected} loss with a chance below
     * {@value #BURST_CHANCE}.
     *
     * @param expected the one-way loss the current choice of paths should suffer, above 0
     */
    public boolean burst(double expected) {
        long passed = 0;
        long lost = 0;
        for (int k = 1; k <= recentCount; k++) {
            int i = Math.floorMod(recentNext - k, RECENT);
            passed += recentPassed[i];
            lost += recentLost[i];
            if (lost >= MIN_BURST_LOST && lost <= passed && chanceOfAtLeast(passed, lost, expected) < BURST_CHANCE) {
                return true;
            }
        }
        return false;
    }

    /**
     * The Chernoff bound on the chance that {@code n} datagrams each lost with probability
     * {@code p} lose at least {@code k}: {@code exp(-n D(k/n || p))}, D the Kullback-Leibler
     * divergence of two Bernoulli distributions; 1 if {@code k/n} is not above {@code p}. Never
     * below the true chance, and O(1), so it can run at every report.
     */
    static double chanceOfAtLeast(long n, long k, double p) {
        double a = (double) k / n;
        if (a <= p) {
            return 1;
        }
        double divergence = a * Math.log(a / p) + (a < 1 ? (1 - a) * Math.log((1 - a) / (1 - p)) : 0);
        return Math.exp(-n * divergence);
    }

    /** Any thread: @return the smoothed data loss, 0 to 1, or -1 until a report counts datagrams the first did not */
    public double measuredLoss() {
        return published;
    }

    /** I/O thread: @return datagrams reported since the first report (for tests) */
    long passedTotal() {
        return passedTotal;
    }

    /** I/O thread: @return how many of those went missing (for tests) */
    long lostTotal() {
        return lostTotal;
    }
}
