package org.mptunnel.examples.cli;

import java.time.Duration;

/**
 * Lets one kind of log line through at most {@code burst} times per interval, so that a failure
 * repeated for every datagram (a refused socket, a full descriptor table) costs a few lines, not
 * one per datagram. The lines held back are counted, and the next line let through says how many
 * there were ({@link #heldBack}). Only the failing path calls it: it takes a lock.
 */
public final class LogLimit {

    private final long intervalNanos;
    private final int burst;
    private long windowStart;
    private int inWindow;
    private long held;
    private boolean started;

    /**
     * @param interval the window
     * @param burst    lines let through per window
     */
    public LogLimit(Duration interval, int burst) {
        this.intervalNanos = interval.toNanos();
        this.burst = burst;
    }

    /** @return a limit of one line per second */
    public static LogLimit perSecond() {
        return new LogLimit(Duration.ofSeconds(1), 1);
    }

    /**
     * @return -1 to hold this line back; otherwise, to log it, how many lines were held back since
     *         the last one let through
     */
    public synchronized long admit(long nowNanos) {
        if (!started || nowNanos - windowStart >= intervalNanos) {
            started = true;
            windowStart = nowNanos;
            inWindow = 0;
        }
        if (inWindow >= burst) {
            held++;
            return -1;
        }
        inWindow++;
        long n = held;
        held = 0;
        return n;
    }

    /** @return -1 to hold this line back, else the lines held back before it ({@link #admit}, now) */
    public long admit() {
        return admit(System.nanoTime());
    }

    /** @return a suffix for a line let through: empty, or how many like it were held back before it */
    public static String heldBack(long held) {
        return held <= 0 ? "" : " (" + held + " more like it not logged)";
    }
}
