package org.mptunnel.examples.cli;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Runs a tool until SIGINT or SIGTERM, printing statistics meanwhile; then lets the tool close
 * and print its summary, and exits with status 0.
 *
 * <p>A signal starts the JVM's shutdown: the hook wakes the tool's main thread, waits for it to
 * finish its summary, then halts with 0 (a JVM ended by a signal would otherwise exit with
 * 128 + the signal's number, which scripts read as a failure).
 */
public final class UntilStopped {

    private static final long SUMMARY_GRACE_SECONDS = 10;

    private final CountDownLatch stop = new CountDownLatch(1);
    private final CountDownLatch finished = new CountDownLatch(1);
    private volatile boolean running;

    /**
     * Blocks until a signal, calling {@code everyInterval} every {@code interval} meanwhile.
     *
     * @param interval how often to call {@code everyInterval}; null never
     * @param everyInterval typically prints one statistics line
     */
    public void await(Duration interval, Runnable everyInterval) throws InterruptedException {
        running = true;
        Runtime.getRuntime().addShutdownHook(new Thread(this::onShutdown, "shutdown"));
        if (interval == null) {
            stop.await();
            return;
        }
        while (!stop.await(interval.toNanos(), TimeUnit.NANOSECONDS)) {
            everyInterval.run();
        }
    }

    /** Called by the tool once it has closed and printed its summary: the JVM may exit now. */
    public void finished() {
        running = false;
        finished.countDown();
    }

    private void onShutdown() {
        if (!running) {
            return; // an exit the tool chose itself: keep its status
        }
        stop.countDown();
        try {
            finished.await(SUMMARY_GRACE_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        System.out.flush();
        System.err.flush();
        Runtime.getRuntime().halt(0);
    }
}
