package org.mptunnel.examples.flow;

/**
 * When a flow (or one of its sockets) was last active, and whether it has become a conversation,
 * as connection tracking keeps it: a datagram sent after a reply came makes it established, and
 * {@link FlowTimeouts} then gives it the long timeout. Written by the thread that sends and the
 * thread that receives; both only move it forward, so a lost race costs a few milliseconds of idle
 * time at most. Nothing here allocates or locks.
 */
public class FlowActivity {

    private volatile long lastActive = System.nanoTime();
    private volatile boolean replied;
    private volatile boolean established;

    /** A datagram went out (towards the target). */
    public final void sent(long now) {
        lastActive = now;
        if (replied && !established) {
            established = true;
        }
    }

    /** A reply came back. */
    public final void replied(long now) {
        lastActive = now;
        if (!replied) {
            replied = true;
        }
    }

    /** @return when a datagram last went either way, in {@link System#nanoTime()} */
    public final long lastActive() {
        return lastActive;
    }

    /** @return whether it has been silent for longer than its timeout: {@code longNanos} once established */
    public final boolean idle(long now, long shortNanos, long longNanos) {
        return now - lastActive > (established ? longNanos : shortNanos);
    }
}
