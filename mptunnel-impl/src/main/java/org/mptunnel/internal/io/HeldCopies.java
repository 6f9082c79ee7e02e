package org.mptunnel.internal.io;

import java.util.ArrayDeque;

/**
 * Copies of the datagrams that ordered delivery holds back, so that a held datagram costs about
 * its own length instead of a whole receive frame (the largest datagram: 64 KiB by default). Each
 * copy is a heap frame of the smallest size class that fits its payload: powers of two from
 * {@value #SMALLEST} bytes. A copy that is let go is kept for reuse in its class, as long as the
 * spares of every class together stay within the budget: no allocation in steady state, and no more
 * than twice the budget in all (held and spare).
 *
 * <p>{@link #cost} is what a copy counts against the budget: its class plus {@value #OVERHEAD}
 * bytes, an estimate of the frame, its buffer and the array's header. I/O thread only.
 */
public final class HeldCopies {

    /** The smallest class, in bytes. */
    static final int SMALLEST = 64;
    /** The largest class: a UDP payload is shorter. */
    private static final int LARGEST = 1 << 16;
    /** Bytes a copy costs beyond its class: object headers and fields (an estimate). */
    static final int OVERHEAD = 112;
    private static final int SMALLEST_SHIFT = Integer.numberOfTrailingZeros(SMALLEST);

    private final long budget;
    /** Spare frames by class: index i holds frames of {@code SMALLEST << i} bytes. */
    private final ArrayDeque<Frame>[] spares;
    private long spareBytes;

    /** @param budget the most bytes held copies may cost together, and their spares too */
    @SuppressWarnings("unchecked")
    public HeldCopies(long budget) {
        this.budget = budget;
        this.spares = new ArrayDeque[classOf(LARGEST) + 1];
        for (int i = 0; i < spares.length; i++) {
            spares[i] = new ArrayDeque<>();
        }
    }

    private static int classOf(int payloadLength) {
        return payloadLength <= SMALLEST ? 0 : 32 - Integer.numberOfLeadingZeros(payloadLength - 1) - SMALLEST_SHIFT;
    }

    /** @return what a copy of a payload of this length costs against the budget */
    public static long cost(int payloadLength) {
        return (SMALLEST << classOf(payloadLength)) + OVERHEAD;
    }

    /** @return what this copy costs against the budget */
    public static long cost(Frame copy) {
        return copy.capacity() + OVERHEAD;
    }

    /** @return a copy of the frame's payload and sender, in a spare frame of its class or a new one */
    public Frame copyOf(Frame frame) {
        int size = classOf(frame.payloadLength());
        Frame copy = spares[size].pollLast();
        if (copy == null) {
            copy = Frame.onHeap(SMALLEST << size);
        } else {
            spareBytes -= cost(copy);
        }
        copy.copyPayloadOf(frame);
        return copy;
    }

    /** Takes back a copy that was delivered or discarded: kept as a spare if the spares have room. */
    public void free(Frame copy) {
        long cost = cost(copy);
        if (spareBytes + cost <= budget) {
            spares[classOf(copy.capacity())].addLast(copy);
            spareBytes += cost;
        }
    }

    /** Forgets every spare: the socket has stopped. */
    public void dropSpares() {
        for (ArrayDeque<Frame> spare : spares) {
            spare.clear();
        }
        spareBytes = 0;
    }

    /** @return whether the frame is one of these copies, not an inbox frame */
    public static boolean isCopy(Frame frame) {
        return frame.copy;
    }
}
