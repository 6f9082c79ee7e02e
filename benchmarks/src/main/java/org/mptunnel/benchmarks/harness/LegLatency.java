package org.mptunnel.benchmarks.harness;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * One leg's one-way latency through the tunnel (the way there or the way back), with the
 * datagrams forward error correction rebuilt kept apart from those a path carried: a datagram is
 * rebuilt on a leg if the bridges dropped every copy of it going that way and it arrived all the
 * same. Only datagrams that made the whole round trip are known, and counted. Latencies are kept
 * in histograms to three significant digits.
 *
 * <p>The bound of the design, deadline plus one path delay, is also checked against the path's
 * delay at the time rather than its nominal one, since a busy machine stretches every path now and
 * then: the repairs that rebuilt a datagram left within the group deadline after it did, and took
 * about as long as the carried datagrams that left in that span, so a rebuilt datagram's
 * <em>lateness</em> is its latency minus the longest latency among them; beyond the deadline, the
 * bound is broken. A rebuilt datagram with no carried one in that span is not checked.
 */
final class LegLatency {

    private static final long HIGHEST_NANOS = TimeUnit.SECONDS.toNanos(60);
    private static final long SCAN_MARGIN = TimeUnit.MILLISECONDS.toNanos(100);

    private final Histogram carried = new Histogram(HIGHEST_NANOS, 3);
    private final Histogram rebuilt = new Histogram(HIGHEST_NANOS, 3);
    private final Histogram lateness = new Histogram(HIGHEST_NANOS, 3);
    private long beyondDeadline;

    private LegLatency() {
    }

    /**
     * Sorts the window's datagrams of {@code times} by what {@code drops} says happened on
     * {@code leg}, and measures each rebuilt one's lateness against the group {@code deadline}.
     */
    static LegLatency of(EchoTimes times, BridgeDrops drops, BridgeDrops.Direction leg, Duration deadline) {
        boolean there = leg == BridgeDrops.Direction.TO_SERVER;
        LegLatency l = new LegLatency();
        for (int i = 0; i < times.count(); i++) {
            if (!times.timed(i)) {
                continue;
            }
            long nanos = there ? times.thereNanos(i) : times.backNanos(i);
            if (!rebuilt(times, drops, leg, i)) {
                l.carried.recordValue(clamp(nanos));
                continue;
            }
            l.rebuilt.recordValue(clamp(nanos));
            long pathDelay = pathDelayAfter(times, drops, leg, i, deadline.toNanos());
            if (pathDelay >= 0) {
                l.lateness.recordValue(clamp(nanos - pathDelay));
                l.beyondDeadline += nanos - pathDelay > deadline.toNanos() ? 1 : 0;
            }
        }
        return l;
    }

    /**
     * @return the longest latency on {@code leg} of the carried datagrams that started it within
     *         {@code deadline} after datagram {@code i} did, or -1 if there are none
     */
    private static long pathDelayAfter(EchoTimes times, BridgeDrops drops, BridgeDrops.Direction leg, int i,
            long deadline) {
        boolean there = leg == BridgeDrops.Direction.TO_SERVER;
        long start = there ? times.sent()[i] : times.atTarget()[i];
        long longest = -1;
        // the span's datagrams follow i in sequence; on the way back the echo may have answered
        // them a little out of order, hence the margin on the scan but not on the span
        for (int j = i + 1; j < times.count() && times.sent()[j] - times.sent()[i] <= deadline + SCAN_MARGIN; j++) {
            long after = (there ? times.sent()[j] : times.atTarget()[j]) - start;
            if (times.timed(j) && after >= 0 && after <= deadline && !rebuilt(times, drops, leg, j)) {
                longest = Math.max(longest, there ? times.thereNanos(j) : times.backNanos(j));
            }
        }
        return longest;
    }

    private static boolean rebuilt(EchoTimes times, BridgeDrops drops, BridgeDrops.Direction leg, int i) {
        return drops.everyCopyDropped(leg, times.firstSequence() + i);
    }

    private static long clamp(long nanos) {
        return Math.min(Math.max(0, nanos), HIGHEST_NANOS);
    }

    long carriedCount() {
        return carried.getTotalCount();
    }

    long rebuiltCount() {
        return rebuilt.getTotalCount();
    }

    /** @return the carried datagrams' latency at {@code percentile} (0 to 100), in milliseconds; NaN if none */
    double carriedMillis(double percentile) {
        return millis(carried, percentile);
    }

    /** @return the rebuilt datagrams' latency at {@code percentile} (100: the longest), in milliseconds; NaN if none */
    double rebuiltMillis(double percentile) {
        return millis(rebuilt, percentile);
    }

    /** @return rebuilt datagrams whose lateness was measured: a carried datagram left within the deadline after them */
    long latenessChecked() {
        return lateness.getTotalCount();
    }

    /** @return the rebuilt datagrams' lateness (0 if not late) at {@code percentile}, in milliseconds; NaN if none */
    double latenessMillis(double percentile) {
        return millis(lateness, percentile);
    }

    /** @return rebuilt datagrams later than the deadline plus the path's delay at the time */
    long beyondDeadline() {
        return beyondDeadline;
    }

    /** @return how many carried datagrams took longer than {@code bound} (to the histograms' 0.1 %) */
    long carriedOver(Duration bound) {
        return over(carried, bound);
    }

    /** @return how many rebuilt datagrams took longer than {@code bound} (to the histograms' 0.1 %) */
    long rebuiltOver(Duration bound) {
        return over(rebuilt, bound);
    }

    private static long over(Histogram h, Duration bound) {
        long b = bound.toNanos();
        return h.getMaxValue() <= b ? 0 : h.getCountBetweenValues(h.nextNonEquivalentValue(b), HIGHEST_NANOS);
    }

    private static double millis(Histogram h, double percentile) {
        return h.getTotalCount() == 0 ? Double.NaN : h.getValueAtPercentile(percentile) / 1e6;
    }
}
