package org.mptunnel.benchmarks.harness;

import org.HdrHistogram.Histogram;

/**
 * What one step measured over its measured window.
 *
 * @param offeredRate  the rate asked for, datagrams/s
 * @param sentRate     the rate actually sent in the window (lower if the generator fell behind)
 * @param sent         datagrams sent in the window
 * @param echoed       distinct datagrams that came back
 * @param duplicates   extra copies that came back (a tunnel must deliver none)
 * @param echoRate     distinct echoes per second of the window
 * @param rtt          round-trip times of the echoes, in nanoseconds
 */
record StepResult(int offeredRate, double sentRate, int sent, int echoed, int duplicates, double echoRate,
                  Histogram rtt) {

    /** @return the share of the window's datagrams that did not come back */
    double loss() {
        return sent == 0 ? 0 : 1.0 - (double) echoed / sent;
    }

    /** @return whether the generator sent at least 95 % of the offered rate */
    boolean generatorKeptUp() {
        return sentRate >= 0.95 * offeredRate;
    }

    /** @return a percentile of the round-trip time in microseconds, or NaN without echoes */
    double rttMicros(double percentile) {
        return rtt.getTotalCount() == 0 ? Double.NaN : rtt.getValueAtPercentile(percentile) / 1e3;
    }
}
