package org.mptunnel.examples.server;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Bounds the short-lived sockets that empty datagrams cost ({@link ConnectedSend}): each one opens,
 * binds and closes a socket, so a flood of empty datagrams through the tunnel would make mpserver
 * churn descriptors as fast as it is sent. A token bucket lets {@link #PER_SECOND} through
 * at once and as many a second after; past it an empty datagram is dropped and counted, as a full
 * socket buffer drops one. Taken under a lock, on the empty-datagram path only.
 */
final class EmptyDatagramBudget {

    /** Empty datagrams sent per second (and at once), for classic sessions and for SOCKS sessions each. */
    static final int PER_SECOND = 512;

    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    /** Guarded by {@code this}. */
    private double tokens = PER_SECOND;
    /** Guarded by {@code this}. */
    private long refilledAt = System.nanoTime();

    /** @return whether one more empty datagram may go out now; counted either way */
    synchronized boolean take() {
        long now = System.nanoTime();
        tokens = Math.min(PER_SECOND, tokens + (now - refilledAt) * PER_SECOND / 1e9);
        refilledAt = now;
        if (tokens >= 1) {
            tokens--;
            sent.incrementAndGet();
            return true;
        }
        refused.incrementAndGet();
        return false;
    }

    /** @return empty datagrams sent, each from a socket of its own */
    long sent() {
        return sent.get();
    }

    /** @return empty datagrams dropped over the budget */
    long refused() {
        return refused.get();
    }
}
