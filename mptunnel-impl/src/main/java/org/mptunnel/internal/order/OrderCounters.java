package org.mptunnel.internal.order;

import org.mptunnel.OrderingStats;
import org.mptunnel.internal.path.Counter;

/**
 * What ordered delivery did, for a session or a socket: written by the I/O thread only, readable by
 * any. A session's counters count into the socket's as well, so the totals survive its expiry.
 */
public final class OrderCounters {

    private final OrderCounters totals;
    private final Counter held = new Counter();
    private final Counter releasedOnTimeout = new Counter();
    private final Counter releasedForRoom = new Counter();
    private final Counter skipped = new Counter();
    private final Counter lateDropped = new Counter();
    private final Counter holding = new Counter();
    private final Counter releasedForBudget = new Counter();
    private final Counter heldBytes = new Counter();

    /** @param totals the socket's counters, counted into as well; null for the socket's own */
    public OrderCounters(OrderCounters totals) {
        this.totals = totals;
    }

    void held() {
        held.increment();
        holding.increment();
        if (totals != null) {
            totals.held();
        }
    }

    /** A held datagram was released, for the reason given. */
    void released(Reason reason) {
        holding.add(-1);
        if (reason == Reason.TIMEOUT) {
            releasedOnTimeout.increment();
        } else if (reason == Reason.ROOM) {
            releasedForRoom.increment();
        } else if (reason == Reason.BUDGET) {
            releasedForBudget.increment();
        }
        if (totals != null) {
            totals.released(reason);
        }
    }

    void discarded() {
        holding.add(-1);
        if (totals != null) {
            totals.discarded();
        }
    }

    /** The bytes held changed by {@code delta}: counted by the holder, which knows what a datagram costs. */
    public void heldBytes(long delta) {
        heldBytes.add(delta);
        if (totals != null) {
            totals.heldBytes(delta);
        }
    }

    void skipped(long sequences) {
        skipped.add(sequences);
        if (totals != null) {
            totals.skipped(sequences);
        }
    }

    void late() {
        lateDropped.increment();
        if (totals != null) {
            totals.late();
        }
    }

    public OrderingStats snapshot() {
        return new OrderingStats(held.get(), releasedOnTimeout.get(), releasedForRoom.get(), skipped.get(),
                lateDropped.get(), holding.get(), releasedForBudget.get(), heldBytes.get());
    }

    /** Why a held datagram was released. */
    enum Reason {
        /** Its gap was filled. */
        FILLED,
        /** A gap before it was waited for long enough. */
        TIMEOUT,
        /** The ring was full. */
        ROOM,
        /** The socket held its most bytes. */
        BUDGET
    }
}
