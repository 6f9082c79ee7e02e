package org.mptunnel.internal.io;

import java.nio.channels.ClosedChannelException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.mptunnel.internal.path.Counter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The socket's one I/O thread: waits on a selector over the socket's channels, hands readable
 * channels to the {@link IoHandler} and calls its timer when due. Closing the loop stops the thread
 * and then closes the selector and every registered channel, so the ports are free once
 * {@link #close()} returns.
 *
 * <p>Nothing ends the thread silently: whatever escapes the loop (an {@link Error}, a
 * {@link RuntimeException} that is a bug, an I/O error of the selector) is logged at ERROR once and
 * handed to {@link IoHandler#onFailed} (after {@link IoHandler#onStopped}), and the channels are closed, so that the socket's users
 * learn of it instead of waiting on a socket that forwards nothing.
 */
public final class IoLoop {

    private static final Logger LOG = LoggerFactory.getLogger(IoLoop.class);
    private static final long CLOSE_WAIT_MILLIS = 5_000;

    private final Selector selector;
    private final IoHandler handler;
    private final Thread thread;
    /** Allocated once: {@code select(Consumer)} avoids the selected-key set and its iterator. */
    private final Consumer<SelectionKey> onReady;
    private volatile boolean running = true;
    /** When the loop sleeps until, and whether it is still working that out ({@link #wakeBy}). */
    private volatile long wakeAt;
    private volatile boolean computing = true;
    /** Turns of the loop: wake-ups, for tests to check that an idle socket sleeps. */
    private final Counter turns = new Counter();
    /**
     * Work other threads hand to this one ({@link #execute}): rare changes (a path added or
     * removed), so a linked queue; looking at it empty costs one volatile read per turn.
     */
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();

    public IoLoop(String threadName, Selector selector, IoHandler handler) {
        this.selector = selector;
        this.handler = handler;
        this.onReady = handler::onReadable;
        this.thread = new Thread(this::run, threadName);
        this.thread.setDaemon(true);
    }

    public void start() {
        thread.start();
    }

    /** I/O thread only: when the handler's timer runs next. */
    private long nextTimer;

    private void run() {
        nextTimer = System.nanoTime();
        Throwable failure = null;
        try {
            while (running) {
                turns.increment();
                computing = true; // a deadline set from now on may not be seen: wakeBy wakes the select
                for (Runnable task; (task = tasks.poll()) != null; ) {
                    task.run();
                }
                long now = System.nanoTime();
                if (now - nextTimer >= 0) {
                    nextTimer = handler.onTimer(now);
                }
                long wakeAt = handler.onDeadlines(now, nextTimer);
                this.wakeAt = wakeAt;
                computing = false;
                long waitMillis = Math.max(1, TimeUnit.NANOSECONDS.toMillis(wakeAt - now + 999_999));
                selector.select(onReady, waitMillis);
            }
        } catch (ClosedSelectorException e) {
            // closed under us: nothing more to do
        } catch (Throwable e) {
            failure = e;
        } finally {
            try {
                handler.onStopped();
            } catch (Throwable e) {
                debug("stopping", e);
            }
            if (failure != null) {
                fail(failure); // after onStopped dropped what was held: out of memory, there is room again
            }
            closeAll();
        }
    }

    /**
     * Reports a failure: logged, then the handler told, each step on its own so that an error while
     * logging (out of memory, say) cannot keep the socket from learning that it failed.
     */
    private void fail(Throwable cause) {
        try {
            LOG.error("I/O thread {} failed; its socket is closed", thread.getName(), cause);
        } catch (Throwable ignored) {
            // logging failed too: the handler still learns of it below
        }
        try {
            handler.onFailed(cause);
        } catch (Throwable e) {
            debug("reporting the failure", e);
        }
    }

    /** Logs at DEBUG what went wrong while stopping; an error in logging itself (out of memory) is dropped. */
    private void debug(String what, Throwable e) {
        try {
            LOG.debug("{} {}", what, thread.getName(), e);
        } catch (Throwable ignored) {
            // nothing more can be done: the loop must still close its channels
        }
    }

    private void closeAll() {
        try {
            for (SelectionKey key : selector.keys()) {
                key.channel().close();
            }
            selector.close();
        } catch (Throwable e) { // an IOException, or an Error while failing: the loop still ends
            debug("closing", e);
        }
    }

    /**
     * Any thread: runs {@code task} on the I/O thread at its next turn, which this wakes. The task
     * must not throw; it may never run if the loop stops first ({@link #isRunning()} then says so).
     */
    public void execute(Runnable task) {
        tasks.add(task);
        selector.wakeup();
    }

    /** I/O thread: adds a channel to those the loop reads, with what its reads are handed back with. */
    public void register(SelectableChannel channel, Object attachment) throws ClosedChannelException {
        channel.register(selector, SelectionKey.OP_READ, attachment);
    }

    /** @return whether the calling thread is the I/O thread */
    public boolean inLoop() {
        return Thread.currentThread() == thread;
    }

    /** @return whether the thread has started and not yet stopped */
    public boolean isRunning() {
        return running && thread.isAlive();
    }

    /** I/O thread (the handler, during a turn): runs the timer no later than {@code nanos}. */
    public void timerAt(long nanos) {
        if (nanos - nextTimer < 0) {
            nextTimer = nanos;
        }
    }

    /**
     * Any thread: a deadline of the handler's, set just now, falls at {@code nanos}: the selector is
     * woken if the loop would sleep past it (or is working out how long to sleep).
     */
    public void wakeBy(long nanos) {
        if (computing || nanos - wakeAt < 0) {
            selector.wakeup();
        }
    }

    /** @return how many times the loop has turned (woken up) so far; any thread */
    public long turns() {
        return turns.get();
    }

    /** Stops the thread and waits for it to release the channels. */
    public void close() {
        running = false;
        if (thread.getState() == Thread.State.NEW) {
            closeAll();
            return;
        }
        selector.wakeup();
        if (Thread.currentThread() == thread) {
            return;
        }
        boolean interrupted = false;
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CLOSE_WAIT_MILLIS);
        while (thread.isAlive()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                LOG.warn("I/O thread {} did not stop within {} ms", thread.getName(), CLOSE_WAIT_MILLIS);
                break;
            }
            try {
                thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
