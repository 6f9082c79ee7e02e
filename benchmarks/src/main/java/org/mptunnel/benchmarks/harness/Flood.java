package org.mptunnel.benchmarks.harness;

import java.io.IOException;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * One attack of {@link HostileLoad}: a thread that does one unit of harm ({@link #once()}: a
 * datagram, a connection, a byte) at a steady rate, or as fast as it can with rate 0, until closed.
 * It counts what it did, so that the attacker's real rate is reported next to the rate asked for.
 */
abstract class Flood implements AutoCloseable {

    /** Behind schedule by more than this, the schedule restarts instead of bursting to catch up. */
    private static final long MAX_BACKLOG_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final String name;
    private final int rate;
    private final AtomicLong done = new AtomicLong();
    private volatile boolean stopped;
    private Thread thread;
    private long startNanos;
    private long stopNanos;
    private volatile IOException failure;

    /**
     * @param name what the attack is, for the report
     * @param rate units per second, 0 for as fast as one thread goes
     */
    Flood(String name, int rate) {
        this.name = name;
        this.rate = rate;
    }

    String name() {
        return name;
    }

    /** Opens what the attack needs (sockets), before the clock starts. */
    void setUp() throws IOException {
    }

    /**
     * Does one unit of the attack.
     *
     * @return how many units it did (0 if there was nothing to do this time)
     */
    abstract int once() throws IOException;

    /** Closes what {@link #setUp()} and {@link #once()} opened. */
    void tearDown() throws IOException {
    }

    /** @return the unit counted, plural ("datagrams") */
    String unit() {
        return "datagrams";
    }

    /** @return anything the attack observed worth a line of the report (e.g. bytes it got back), or "" */
    String observed() {
        return "";
    }

    final void start() throws IOException {
        setUp();
        startNanos = System.nanoTime();
        thread = new Thread(this::run, "flood-" + name);
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        double interval = rate == 0 ? 0 : 1e9 / rate;
        long start = System.nanoTime();
        long n = 0;
        try {
            while (!stopped) {
                if (rate > 0) {
                    long due = start + Math.round(n * interval);
                    long now = System.nanoTime();
                    if (now - due > MAX_BACKLOG_NANOS) {
                        start = now; // fell behind (the machine is busy): no burst to catch up
                        n = 0;
                        due = now;
                    }
                    if (due > now) {
                        LockSupport.parkNanos(due - now);
                    }
                    n++;
                }
                done.addAndGet(once());
            }
        } catch (IOException e) {
            if (!stopped) {
                failure = e;
            }
        }
    }

    /** @return units done per second while it ran */
    final double achievedRate() {
        long end = stopNanos == 0 ? System.nanoTime() : stopNanos;
        return done.get() / ((end - startNanos) / 1e9);
    }

    /** @return the attacker's rate as the report gives it */
    String describeRate() {
        return String.format(Locale.ROOT, "%,.0f %s/s", achievedRate(), unit())
                + (rate == 0 ? " (full speed)" : String.format(Locale.ROOT, " (asked %,d)", rate));
    }

    @Override
    public final void close() throws IOException {
        stopped = true;
        stopNanos = System.nanoTime();
        if (thread != null) {
            try {
                thread.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        tearDown();
        if (failure != null) {
            throw new IOException("flood " + name + " failed", failure);
        }
    }
}
