package org.mptunnel.internal.path;

/**
 * One path's one-way loss of this side's data, from the peer's per-path reports
 * (docs/PROTOCOL.md, "Per-path reports"): each report says how many of our data datagrams had
 * arrived on the path at the moment a given probe (a keepalive, or an ack) crossed it, and this
 * side noted how many it had sent on the path when that probe left. A probe follows the data sent
 * before it on the same path, so between two reports {@code Δsent - Δarrived} datagrams were lost
 * on this path alone; what another path lost does not show here.
 *
 * <p>What a report cannot tell apart: a datagram overtaken on the path by the probe counts as
 * lost until the next report sees it (a negative loss then pays it back). A report older than the
 * last one used (reordered) is ignored; one whose count went backwards (the peer made the path
 * anew: a restart, or a path it forgot) starts a new baseline.
 *
 * <p>Smoothing: {@link DecayedLoss}, as for the session's report, over about the last 1,024
 * datagrams of this path. How bursty the loss is: {@link LossBursts}, from the same counts.
 *
 * <p>Threads: the I/O thread notes and reports; {@link #oneWayLoss()} may be read by any thread.
 */
public final class PathLoss {

    /** Probes whose sent count is remembered until their report comes back. */
    static final int SNAPSHOTS = 8;
    /** Counts on the wire may be sent mod 2^32 (an ack's); deltas are taken in this width. */
    private static final long COUNT_MASK = 0xFFFF_FFFFL;

    private final long[] probeNumber = new long[SNAPSHOTS];
    private final long[] sentAtProbe = new long[SNAPSHOTS];
    /** Per snapshot, the probe's place among the probes noted on this path (1, 2, …). */
    private final long[] probeOrdinal = new long[SNAPSHOTS];
    private long probesNoted;
    private long lastOrdinal;
    private final boolean[] noted = new boolean[SNAPSHOTS];
    private int next;
    private boolean baseline;
    private long lastProbe;
    private long lastSent;
    private long lastArrived;
    private long sentTotal;
    private long lostTotal;
    /** Data datagrams sent over the reports since the estimate was last {@link #forget forgotten}. */
    private long sentMeasured;
    private final DecayedLoss smoothed = new DecayedLoss();
    private final LossBursts bursts = new LossBursts();
    private volatile double published = -1;

    /** I/O thread: probe {@code number} left on this path when {@code dataSent} data datagrams had. */
    public void noteProbe(long number, long dataSent) {
        probeNumber[next] = number;
        sentAtProbe[next] = dataSent;
        probeOrdinal[next] = ++probesNoted;
        noted[next] = true;
        next = (next + 1) % SNAPSHOTS;
    }

    /**
     * I/O thread: the peer's report for probe {@code number}: {@code arrived} of our data datagrams
     * had arrived on the path (only its low 32 bits are used).
     *
     * @return whether it brought news: a new report over at least one datagram sent
     */
    public boolean report(long number, long arrived) {
        int slot = slotOf(number);
        if (slot < 0 || baseline && number - lastProbe <= 0) {
            return false; // not a probe of ours any longer, or older than the last report
        }
        long sent = sentAtProbe[slot];
        long ordinal = probeOrdinal[slot];
        noted[slot] = false;
        long sentDelta = sent - lastSent;
        long arrivedDelta = (arrived - lastArrived) & COUNT_MASK;
        if (!baseline || arrivedDelta > COUNT_MASK / 2) {
            // the first report, or the peer counts from 0 again
            baseline = true;
            lastProbe = number;
            lastOrdinal = ordinal;
            lastSent = sent;
            lastArrived = arrived;
            return false;
        }
        boolean consecutive = ordinal == lastOrdinal + 1;
        lastProbe = number;
        lastOrdinal = ordinal;
        lastSent = sent;
        lastArrived = arrived;
        if (sentDelta <= 0 && arrivedDelta == 0) {
            return false;
        }
        long lost = sentDelta - arrivedDelta;
        sentTotal += sentDelta;
        sentMeasured += sentDelta;
        lostTotal += lost;
        double loss = smoothed.add(sentDelta, lost);
        bursts.add(sentDelta, lost, consecutive);
        if (loss >= 0) {
            published = loss;
        }
        return true;
    }

    private int slotOf(long number) {
        for (int i = 0; i < SNAPSHOTS; i++) {
            if (noted[i] && probeNumber[i] == number) {
                return i;
            }
        }
        return -1;
    }

    /** I/O thread: the peer restarted; its next report starts a new baseline. */
    public void restart() {
        baseline = false;
    }

    /**
     * Any thread: @return the smoothed one-way loss of this side's data on this path, 0 to 1, or -1
     * until two reports have counted datagrams sent
     */
    public double oneWayLoss() {
        return published;
    }

    /**
     * I/O thread: @return the mean length of a run of this side's datagrams lost on the path
     *         ({@link LossBursts}), 1 while too few have been lost to tell or when loss is independent
     */
    public double meanBurst() {
        return bursts.meanBurst();
    }

    /** I/O thread: @return data datagrams sent on the path over the reports since the first */
    public long sentTotal() {
        return sentTotal;
    }

    /**
     * I/O thread: the path carries none of this side's data for now, so the loss measured so far
     * grows stale: the smoothed loss and the bursts start again from nothing, and
     * {@link #oneWayLoss()} is −1 until new reports count data again (the totals are kept).
     */
    public void forget() {
        smoothed.reset();
        bursts.reset();
        published = -1;
        sentMeasured = 0;
    }

    /** I/O thread: @return data datagrams sent on the path over the reports since it was last {@link #forget forgotten} */
    public long sentMeasured() {
        return sentMeasured;
    }

    /** I/O thread: @return how many of those were reported lost (late arrivals paid back) */
    public long lostTotal() {
        return lostTotal;
    }
}
