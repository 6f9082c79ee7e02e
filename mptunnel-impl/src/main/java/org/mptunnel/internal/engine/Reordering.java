package org.mptunnel.internal.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.mptunnel.OrderedDelivery;
import org.mptunnel.OrderingStats;
import org.mptunnel.internal.io.Frame;
import org.mptunnel.internal.io.HeldCopies;
import org.mptunnel.internal.order.OrderCounters;
import org.mptunnel.internal.order.ReorderBuffer;
import org.mptunnel.internal.path.Path;
import org.mptunnel.internal.session.Session;

/**
 * A socket's ordered delivery, on the I/O thread: a {@link ReorderBuffer} per session, made at its
 * first datagram, and the list of those holding something, whose deadlines the I/O loop honours
 * through {@link Engine#onDeadlines}. A datagram released at once goes out from the inbox's current
 * frame, uncopied; one that is held is copied into a frame of about its size ({@link HeldCopies}),
 * so that the current frame is read over next. What the socket holds in all stays within
 * {@link OrderedDelivery#maxHeldBytes()}: a datagram that would exceed it first makes the buffer
 * holding the earliest-held datagram give up on its first gap and release what follows.
 */
final class Reordering {

    private final OrderedDelivery mode;
    private final long waitNanos;
    private final long minWaitNanos = OrderedDelivery.MIN_WAIT.toNanos();
    private final Engine engine;
    private final HeldCopies copies;
    private final long maxHeldBytes;
    private final OrderCounters totals = new OrderCounters(null);
    /** Buffers that started holding since they were last found empty; the loop watches their deadlines. */
    private final List<ReorderBuffer<Frame>> watched = new ArrayList<>();
    /** While {@link #watched} is not empty: no watched deadline is earlier than this. */
    private long soonest;
    /** What the held copies cost, every session together. */
    private long heldBytes;
    /** While {@link #discardAll} runs: the buffer whose copies {@link #forget} takes. */
    private ReorderBuffer<Frame> discarding;
    /** Made once: takes a discarded copy's bytes off the counts. */
    private final Consumer<Frame> forget = copy -> {
        long cost = HeldCopies.cost(copy);
        heldBytes -= cost;
        discarding.counters().heldBytes(-cost);
    };

    Reordering(OrderedDelivery mode, Engine engine) {
        this.mode = mode;
        this.waitNanos = mode.maxWait().toNanos();
        this.engine = engine;
        this.maxHeldBytes = mode.maxHeldBytes();
        this.copies = new HeldCopies(maxHeldBytes);
    }

    /** I/O thread: a fresh data datagram, in the inbox's current frame, goes through the session's buffer. */
    void offer(Session session, long sequence, Frame frame) {
        @SuppressWarnings("unchecked")
        ReorderBuffer<Frame> buffer = (ReorderBuffer<Frame>) session.reorder();
        if (buffer == null) {
            SessionSink sink = new SessionSink(session);
            buffer = new ReorderBuffer<>(mode.maxHeld(), sink, new OrderCounters(totals));
            sink.buffer = buffer;
            session.reorderWith(buffer);
        }
        if (!buffer.wouldHold(sequence)) {
            buffer.offer(sequence, frame); // released from the current frame, or refused as late
            return;
        }
        long cost = HeldCopies.cost(frame.payloadLength());
        makeRoom(cost);
        Frame copy = copies.copyOf(frame);
        heldBytes += cost;
        buffer.counters().heldBytes(cost);
        if (buffer.offer(sequence, copy) == ReorderBuffer.LATE) {
            // Making room gave up on this datagram's gap: it is late now.
            letGo(buffer, copy);
        }
    }

    /**
     * Releases the first held run of the buffer that holds the earliest-held datagram, until
     * {@code cost} more fits the budget. O(buffers holding) per release; only under that pressure.
     */
    private void makeRoom(long cost) {
        while (heldBytes + cost > maxHeldBytes) {
            ReorderBuffer<Frame> oldest = null;
            for (ReorderBuffer<Frame> buffer : watched) {
                if (buffer.isHolding()
                        && (oldest == null || buffer.earliestArrival() - oldest.earliestArrival() < 0)) {
                    oldest = buffer;
                }
            }
            if (oldest == null) {
                return; // nothing held: the budget takes any one datagram
            }
            oldest.releaseFirstRun();
        }
    }

    /** A copy was delivered or discarded: its bytes are no longer held. */
    private void letGo(ReorderBuffer<Frame> buffer, Frame copy) {
        long cost = HeldCopies.cost(copy);
        heldBytes -= cost;
        buffer.counters().heldBytes(-cost);
        copies.free(copy);
    }

    /**
     * I/O thread: releases what waited long enough.
     *
     * @return when to call again, at the latest {@code latest}
     */
    long expire(long now, long latest) {
        if (watched.isEmpty()) {
            return latest;
        }
        if (now - soonest < 0) {
            return earlier(soonest, latest);
        }
        long next = latest;
        for (int i = watched.size() - 1; i >= 0; i--) {
            ReorderBuffer<Frame> buffer = watched.get(i);
            if (buffer.isHolding() && now - buffer.deadline() >= 0) {
                buffer.expire(now);
            }
            if (buffer.isHolding()) {
                next = earlier(next, buffer.deadline());
            } else {
                buffer.unschedule();
                int last = watched.size() - 1;
                watched.set(i, watched.get(last)); // order does not matter: swap-remove, no shifting
                watched.remove(last);
            }
        }
        soonest = next;
        return next;
    }

    /** The earlier of two times on the nanosecond clock, which may wrap. */
    private static long earlier(long a, long b) {
        return a - b < 0 ? a : b;
    }

    /**
     * I/O thread, the loop stopped: held copies are dropped undelivered, and the spares with them,
     * so that a socket that failed for want of memory gives it back. Allocates nothing, for that
     * reason: no iterator, no capturing lambda.
     */
    void discardAll() {
        for (int i = 0; i < watched.size(); i++) {
            discarding = watched.get(i);
            discarding.discard(forget);
            discarding.unschedule();
        }
        discarding = null;
        watched.clear();
        copies.dropSpares();
    }

    OrderingStats totals() {
        return totals.snapshot();
    }

    /**
     * The automatic wait: twice the spread between the slowest and the fastest smoothed RTT of the
     * session's paths that are up, within [{@link OrderedDelivery#MIN_WAIT}, cap]; the cap while a
     * path that is up has no RTT (or no path is up). Datagrams on the fast path arrive about half
     * the RTT spread before the slow path's copy of a datagram the fast path lost; twice the round
     * trip spread leaves room for jitter.
     */
    long waitFor(Session session) {
        if (mode.mode() == OrderedDelivery.Mode.FIXED) {
            return waitNanos;
        }
        long fastest = Long.MAX_VALUE;
        long slowest = -1;
        for (Path path : session.paths()) {
            if (!path.isUp()) {
                continue;
            }
            long rtt = path.smoothedRttNanos();
            if (rtt < 0) {
                return waitNanos;
            }
            fastest = Math.min(fastest, rtt);
            slowest = Math.max(slowest, rtt);
        }
        if (slowest < 0) {
            return waitNanos;
        }
        return Math.max(minWaitNanos, Math.min(waitNanos, 2 * (slowest - fastest)));
    }

    /** One per session, made once: where its buffer releases to. */
    private final class SessionSink implements ReorderBuffer.Sink<Frame> {
        private final Session session;
        /** Set once, right after the buffer is made with this sink. */
        private ReorderBuffer<Frame> buffer;

        SessionSink(Session session) {
            this.session = session;
        }

        @Override
        public void release(Frame frame) {
            engine.deliver(session, frame);
            if (HeldCopies.isCopy(frame)) {
                letGo(buffer, frame);
            }
        }

        @Override
        public long waitNanos() {
            return waitFor(session);
        }

        @Override
        public long nowNanos() {
            return System.nanoTime();
        }

        @Override
        public void holding(ReorderBuffer<Frame> buffer) {
            soonest = watched.isEmpty() ? buffer.deadline() : earlier(soonest, buffer.deadline());
            if (buffer.schedule()) {
                watched.add(buffer);
            }
        }
    }
}
