package org.mptunnel.examples.cli;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.LoggerFactory;

/**
 * Runs a tool until SIGINT or SIGTERM, printing statistics meanwhile; then lets the tool close
 * and print its summary, and exits with status 0. Or until the tool's tunnel fails ({@link #failed}):
 * then the tool closes the same way and exits with status 1, so that a supervisor restarts it
 * rather than leave it up forwarding nothing.
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
    private volatile Throwable failure;

    /**
     * From now on a signal stops the tool cleanly: to be called just before the tool says it is
     * listening, since whoever starts it may stop it as soon as it does. Once only.
     */
    public void begin() {
        if (!running) {
            running = true;
            Runtime.getRuntime().addShutdownHook(new Thread(this::onShutdown, "shutdown"));
        }
    }

    /**
     * Blocks until a signal (also one since {@link #begin}), calling {@code everyInterval} every
     * {@code interval} meanwhile.
     *
     * @param interval how often to call {@code everyInterval}; null never
     * @param everyInterval typically prints one statistics line
     */
    public void await(Duration interval, Runnable everyInterval) throws InterruptedException {
        begin();
        // The tool's own threads (a forwarder's reader, the SOCKS acceptor) end only by a bug or an
        // Error: then the tool stops too, rather than stay up without them.
        Thread.setDefaultUncaughtExceptionHandler((thread, e) -> {
            failed(e);
            LoggerFactory.getLogger(UntilStopped.class).error("thread {} failed", thread.getName(), e);
        });
        if (interval == null) {
            stop.await();
            return;
        }
        while (!stop.await(interval.toNanos(), TimeUnit.NANOSECONDS)) {
            everyInterval.run();
        }
    }

    /**
     * Any thread: the tool cannot go on (a tunnel socket's I/O thread failed): {@link #await}
     * returns. The first cause is kept.
     */
    public void failed(Throwable cause) {
        if (failure == null) {
            failure = cause;
        }
        stop.countDown();
    }

    /**
     * After {@link #await}: tells why on stderr if the tool failed.
     *
     * @param tool the tool's name
     * @return the exit status: 1 if the tool failed, else 0
     */
    public int exitStatus(String tool) {
        Throwable cause = failure;
        if (cause == null) {
            return 0;
        }
        System.err.println(tool + ": exiting with status 1: the tunnel failed: " + cause);
        System.err.flush();
        return 1;
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
