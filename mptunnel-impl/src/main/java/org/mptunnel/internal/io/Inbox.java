package org.mptunnel.internal.io;

import java.util.concurrent.TimeUnit;
import org.jctools.queues.MpscArrayQueue;
import org.jctools.queues.MpscBlockingConsumerArrayQueue;

/**
 * The hand-off from the I/O thread to the application: a bounded queue of delivered frames and a
 * pool of empty ones.
 *
 * <p>Concurrency contract: the I/O thread is the only producer of deliveries (plus one wake-up
 * marker offered at close) and the only consumer of the pool; receiving threads are the consumers
 * of deliveries, one at a time (the socket serialises {@code receive} as the JDK does), and return
 * frames to the pool. Hence a multi-producer/single-blocking-consumer queue for deliveries (its
 * {@code poll(timeout)} parks instead of spinning) and a multi-producer/single-consumer pool.
 *
 * <p>Memory is bounded: at most queue capacity + 3 frames exist (those queued, one being read into
 * by the I/O thread, one being copied out by a receiver, one being filled from a copy that ordered
 * delivery held back); they are allocated lazily, so the pool only reaches that size if the
 * application falls behind. Held datagrams are not kept in frames (see {@link HeldCopies}).
 */
public final class Inbox {

    private final MpscBlockingConsumerArrayQueue<Frame> delivered;
    private final MpscArrayQueue<Frame> pool;
    private final int frameCapacity;
    private final Frame closedMarker;
    /** I/O thread only: the frame the next datagram is read into. */
    private Frame current;

    /**
     * @param queueCapacity  deliveries that may wait; rounded up to a power of two
     * @param frameCapacity  bytes per frame: the largest datagram the socket can receive
     */
    public Inbox(int queueCapacity, int frameCapacity) {
        this.delivered = new MpscBlockingConsumerArrayQueue<>(queueCapacity);
        this.pool = new MpscArrayQueue<>(delivered.capacity() + 3);
        this.frameCapacity = frameCapacity;
        this.closedMarker = new Frame(0);
    }

    /** I/O thread: the frame to read the next datagram into. */
    public Frame current() {
        Frame frame = current;
        if (frame == null) {
            frame = pool.poll();
            if (frame == null) {
                frame = new Frame(frameCapacity); // the pool grows only while the application lags
            }
            current = frame;
        }
        return frame;
    }

    /**
     * I/O thread: hands the current frame to the application. On success the next {@link #current()}
     * is another frame; when the queue is full the frame stays current and is simply read over.
     *
     * @return false if the queue was full
     */
    public boolean deliverCurrent() {
        if (delivered.offer(current)) {
            current = null;
            return true;
        }
        return false;
    }

    /**
     * I/O thread: hands the application a copy that ordered delivery held back, in a frame of its
     * own (the current one stays current).
     *
     * @return false if the queue was full
     */
    public boolean deliverCopyOf(Frame held) {
        Frame frame = pool.poll();
        if (frame == null) {
            frame = new Frame(frameCapacity);
        }
        frame.copyPayloadOf(held);
        if (delivered.offer(frame)) {
            return true;
        }
        pool.offer(frame);
        return false;
    }

    /**
     * Receiving thread: waits for a delivery.
     *
     * @param timeoutNanos how long to wait; 0 or less waits indefinitely
     * @return a frame, {@code null} on timeout, or the closed marker (see {@link #isClosedMarker})
     */
    public Frame take(long timeoutNanos) throws InterruptedException {
        Frame frame = delivered.poll();
        if (frame != null) {
            return frame;
        }
        return timeoutNanos > 0 ? delivered.poll(timeoutNanos, TimeUnit.NANOSECONDS) : delivered.take();
    }

    /** Receiving thread: returns a frame that has been copied out. */
    public void release(Frame frame) {
        pool.offer(frame);
    }

    /** Any thread, at close: wakes a receiver blocked in {@link #take}. */
    public void wakeForClose() {
        delivered.offer(closedMarker);
    }

    public boolean isClosedMarker(Frame frame) {
        return frame == closedMarker;
    }
}
