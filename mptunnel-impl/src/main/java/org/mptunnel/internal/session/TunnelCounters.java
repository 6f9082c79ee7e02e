package org.mptunnel.internal.session;

import org.mptunnel.internal.path.Counter;

/**
 * A socket's cumulative totals. Sessions count into these as well as into their own counters, so
 * the totals survive a session's expiry.
 */
public final class TunnelCounters {
    public final Counter delivered = new Counter();
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
}
