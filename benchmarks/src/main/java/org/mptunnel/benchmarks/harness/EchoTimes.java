package org.mptunnel.benchmarks.harness;

/**
 * When each datagram of a step's measured window was sent, reached the echo target and came back,
 * all on {@link System#nanoTime()}'s clock (the machine's monotonic clock, shared by the harness
 * and the echo target's process on Linux): the round trip split into its two one-way legs. Index
 * i is the window's datagram with sequence number {@code firstSequence + i}; 0 means "did not
 * come back" ({@link #back}) or "no stamp" ({@link #atTarget}, a datagram too short to carry one).
 */
record EchoTimes(long firstSequence, long[] sent, long[] atTarget, long[] back) {

    /** Times for {@code count} datagrams from {@code firstSequence}, none back yet. */
    static EchoTimes empty(long firstSequence, int count) {
        return new EchoTimes(firstSequence, new long[count], new long[count], new long[count]);
    }

    int count() {
        return sent.length;
    }

    /** @return whether datagram {@code i} came back with the echo target's stamp */
    boolean timed(int i) {
        return back[i] != 0 && atTarget[i] != 0;
    }

    /** @return datagram {@code i}'s way there, send to echo target, in nanoseconds */
    long thereNanos(int i) {
        return atTarget[i] - sent[i];
    }

    /** @return datagram {@code i}'s way back, echo target to the harness, in nanoseconds */
    long backNanos(int i) {
        return back[i] - atTarget[i];
    }
}
