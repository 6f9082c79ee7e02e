package org.mptunnel.internal.schedule;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The one thread, for the whole process, where adaptive FEC's code rate searches run
 * ({@link AdaptiveFecRates}): each takes milliseconds, which an I/O thread serving datagrams must not
 * stall for, and a session has at most one waiting or running. Started at the first search, a
 * daemon, and it ends after a minute without work. At most {@value #QUEUED} searches wait; a
 * session whose search does not fit counts it ({@code TunnelStats.fecPlansRefused}) and tries
 * again at its next timer.
 */
final class PlanningThread {

    static final int QUEUED = 1024;

    static final Executor INSTANCE = create();

    private PlanningThread() {
    }

    private static Executor create() {
        ThreadPoolExecutor executor = new ThreadPoolExecutor(1, 1, 60, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(QUEUED), runnable -> {
                    Thread thread = new Thread(runnable, "mptunnel-fec-planning");
                    thread.setDaemon(true);
                    return thread;
                });
        executor.allowCoreThreadTimeOut(true);
        return executor;
    }
}
