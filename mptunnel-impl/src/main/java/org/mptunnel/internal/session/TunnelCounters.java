package org.mptunnel.internal.session;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.mptunnel.internal.path.Counter;

/**
 * A socket's cumulative totals. Sessions count into these as well as into their own counters, so
 * the totals survive a session's expiry.
 */
public final class TunnelCounters {

    private static final VarHandle DELIVERED = Counter.inline(MethodHandles.lookup(), "delivered");

    /** Counted per datagram, inline ({@link Counter#inline}); single writer, the I/O thread. */
    private long delivered;
    public final Counter duplicates = new Counter();
    public final Counter tooOld = new Counter();
    public final Counter malformed = new Counter();
    public final Counter unknownSession = new Counter();
    public final Counter queueDropped = new Counter();
    /** Shared: application threads count here. */
    public final Counter sendDropped = new Counter();
    public final Counter sessionsRefused = new Counter();
    public final Counter authFailed = new Counter();
    public final Counter handshakes = new Counter();
    public final Counter handshakesRefused = new Counter();
    public final Counter rejectedUnopened = new Counter();
    /** Server: path challenges sent to unvalidated addresses. */
    public final Counter pathChallenges = new Counter();
    /** Server, shared (application threads count here): bytes not sent to unvalidated addresses for want of credit. */
    public final Counter bytesWithheld = new Counter();
    /** Client, adaptive FEC: code rate searches the process's planning thread refused, its queue full. */
    public final Counter fecPlansRefused = new Counter();
    /** Server: plans of coded replies' spreads that waited for their share of the I/O thread. */
    public final Counter replyPlansDeferred = new Counter();

    /** I/O thread: datagrams handed to the application (a negative delta takes some back). */
    public void countDelivered(long delta) {
        DELIVERED.setOpaque(this, delivered + delta);
    }

    public long delivered() {
        return (long) DELIVERED.getOpaque(this);
    }
}
