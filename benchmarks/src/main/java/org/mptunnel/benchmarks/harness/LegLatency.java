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
 */
final class LegLatency {

    private static final long HIGHEST_NANOS = TimeUnit.SECONDS.toNanos(60);

    private final Histogram carried = new Histogram(HIGHEST_NANOS, 3);
    private final Histogram rebuilt = new Histogram(HIGHEST_NANOS, 3);

    private LegLatency() {
    }

    /** Sorts the window's datagrams of {@code times} by what {@code drops} says happened on {@code leg}. */
    static LegLatency of(EchoTimes times, BridgeDrops drops, BridgeDrops.Direction leg) {
        LegLatency l = new LegLatency();
        for (int i = 0; i < times.count(); i++) {
            if (!times.timed(i)) {
                continue;
            }
            long nanos = leg == BridgeDrops.Direction.TO_SERVER ? times.thereNanos(i) : times.backNanos(i);
            boolean wasRebuilt = drops.everyCopyDropped(leg, times.firstSequence() + i);
            (wasRebuilt ? l.rebuilt : l.carried).recordValue(Math.min(Math.max(0, nanos), HIGHEST_NANOS));
        }
        return l;
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

    /** @return how many rebuilt datagrams took longer than {@code bound} (to the histograms' 0.1 %) */
    long rebuiltOver(Duration bound) {
        long b = bound.toNanos();
        return rebuilt.getMaxValue() <= b ? 0 : rebuilt.getCountBetweenValues(rebuilt.nextNonEquivalentValue(b), HIGHEST_NANOS);
    }

    private static double millis(Histogram h, double percentile) {
        return h.getTotalCount() == 0 ? Double.NaN : h.getValueAtPercentile(percentile) / 1e6;
    }
}
