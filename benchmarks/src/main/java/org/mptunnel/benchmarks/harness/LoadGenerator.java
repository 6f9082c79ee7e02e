package org.mptunnel.benchmarks.harness;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.BitSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * Offers datagrams at a steady rate to an echo path and measures what comes back. One connected
 * {@link DatagramChannel}; the calling thread sends, a receiver thread records. Each datagram
 * carries its sequence number and send time, so the receiver measures the round trip and counts
 * each datagram once however many copies come back.
 */
final class LoadGenerator implements AutoCloseable {

    /** Sequence number (8 bytes) and send time (8 bytes). */
    static final int HEADER = 16;
    private static final int SOCKET_BUFFER_BYTES = 4 << 20;
    /** The readiness probe's sequence number: never counted. */
    private static final long PROBE = -1;
    /** A step's drain ends after this long without a new echo... */
    private static final long QUIET_NANOS = TimeUnit.MILLISECONDS.toNanos(300);
    /** ...or after this long in all: an echo later than that counts as lost. */
    private static final long MAX_DRAIN_NANOS = TimeUnit.SECONDS.toNanos(2);
    private static final long HIGHEST_RTT_NANOS = TimeUnit.SECONDS.toNanos(60);

    /** Called by a helper thread when a step's measured window starts and ends, on schedule. */
    interface WindowListener {
        void measureStarted();

        void measureEnded();
    }

    private final String name;
    private final DatagramChannel channel;
    private final ByteBuffer out;
    private final Thread receiver;
    private volatile Step current;
    private volatile boolean probeEchoed;
    private long nextSequence;
    /** Whether steps keep each datagram's times ({@link #lastTimes()}). */
    private volatile boolean keepTimes;
    private EchoTimes lastTimes;
    /** The last step's measured datagrams that came back, and when the first was due and the interval. */
    private java.util.BitSet lastSeen = new java.util.BitSet();
    private long lastMeasureStartNanos;
    private double lastIntervalNanos;

    private LoadGenerator(String name, DatagramChannel channel, int size) {
        this.name = name;
        this.channel = channel;
        this.out = ByteBuffer.allocateDirect(size);
        this.receiver = new Thread(this::receive, "load-receiver-" + name);
        this.receiver.setDaemon(true);
    }

    /**
     * Opens a channel on 127.0.0.1 connected to {@code target} and starts its receiver.
     *
     * @param size datagram size in bytes, at least {@link #HEADER}
     */
    static LoadGenerator open(String name, InetSocketAddress target, int size) throws IOException {
        if (size < HEADER) {
            throw new IllegalArgumentException("datagrams must be at least " + HEADER + " bytes, got " + size);
        }
        DatagramChannel channel = DatagramChannel.open();
        try {
            channel.setOption(StandardSocketOptions.SO_RCVBUF, SOCKET_BUFFER_BYTES);
            channel.setOption(StandardSocketOptions.SO_SNDBUF, SOCKET_BUFFER_BYTES);
            channel.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            channel.connect(target);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        LoadGenerator generator = new LoadGenerator(name, channel, size);
        generator.receiver.start();
        return generator;
    }

    /**
     * Sends probes until one comes back, so that whatever opens on a first datagram (an mpclient's
     * session and its path sockets) is open before anything is measured.
     *
     * @throws IOException if no probe comes back in time
     */
    void awaitEcho(Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!probeEchoed) {
            if (System.nanoTime() - deadline > 0) {
                throw new IOException("no echo through the " + name + " path within " + timeout.toSeconds() + " s");
            }
            send(PROBE);
            for (int i = 0; i < 10 && !probeEchoed; i++) {
                Thread.sleep(5);
            }
        }
    }

    /**
     * Runs one step: {@code warmUp} at {@code rate}, then {@code measure} at the same rate, measured,
     * then waits for the last echoes.
     *
     * @param listener told when the measured window starts and ends; may be null
     */
    StepResult run(int rate, Duration warmUp, Duration measure, WindowListener listener)
            throws IOException, InterruptedException {
        long warmCount = Math.max(0, Math.round(rate * warmUp.toNanos() / 1e9));
        int count = (int) Math.max(1, Math.round(rate * measure.toNanos() / 1e9));
        long first = nextSequence + warmCount;
        Step step = new Step(first, count, keepTimes);
        current = step;

        double interval = 1e9 / rate;
        long start = System.nanoTime();
        long measureStart = start + Math.round(warmCount * interval);
        long measureEnd = start + Math.round((warmCount + count) * interval);
        Thread meter = listener == null ? null : startMeter(listener, measureStart, measureEnd);
        long firstSend = 0;
        long lastSend = 0;
        long total = warmCount + count;
        for (long n = 0; n < total; n++) {
            // Park until due, then send: parking wakes some tens of µs late, and the datagrams due
            // meanwhile go out at once; the rate holds on average without spinning a core away
            // from the processes under test.
            long due = start + Math.round(n * interval);
            long wait = due - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            long sentAt = send(nextSequence++);
            if (n == warmCount) {
                firstSend = sentAt;
            }
            lastSend = sentAt;
        }
        if (meter != null) {
            meter.join();
        }

        // Drain: until every measured datagram is back, or none came back for a while.
        long drainStart = System.nanoTime();
        int lastEchoed = step.echoed();
        long lastChange = drainStart;
        while (step.echoed() < count) {
            Thread.sleep(10);
            long now = System.nanoTime();
            int echoed = step.echoed();
            if (echoed != lastEchoed) {
                lastEchoed = echoed;
                lastChange = now;
            }
            if (now - lastChange > QUIET_NANOS || now - drainStart > MAX_DRAIN_NANOS) {
                break;
            }
        }
        current = null;
        synchronized (step) {
            step.open = false;
            lastSeen = (java.util.BitSet) step.seen.clone();
            lastTimes = step.times; // closed: the receiver writes no more
            lastMeasureStartNanos = measureStart;
            lastIntervalNanos = interval;
            // n datagrams span n - 1 intervals; echoes are counted against the same window
            double sentRate = count < 2 ? rate : (count - 1) / (Math.max(1, lastSend - firstSend) / 1e9);
            return new StepResult(rate, sentRate, count, step.echoed, step.duplicates,
                    sentRate * step.echoed / count, step.rtt.copy());
        }
    }

    /** From the next step on, keeps when each measured datagram was sent, echoed and back: {@link #lastTimes()}. */
    void keepTimes() {
        keepTimes = true;
    }

    /** @return the last step's times of each measured datagram, or null unless {@link #keepTimes()} was called before it */
    EchoTimes lastTimes() {
        return lastTimes;
    }

    /** @return which of the last step's measured datagrams came back, by index in the window */
    java.util.BitSet lastSeen() {
        return (java.util.BitSet) lastSeen.clone();
    }

    /** @return when the last step's datagram {@code index} was due, on {@link System#nanoTime()}'s clock */
    long lastDueNanos(int index) {
        return lastMeasureStartNanos + Math.round(index * lastIntervalNanos);
    }

    private static Thread startMeter(WindowListener listener, long startAt, long endAt) {
        Thread t = new Thread(() -> {
            sleepUntil(startAt);
            listener.measureStarted();
            sleepUntil(endAt);
            listener.measureEnded();
        }, "step-meter");
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static void sleepUntil(long nanoTime) {
        for (long left; (left = nanoTime - System.nanoTime()) > 0; ) {
            LockSupport.parkNanos(left);
        }
    }

    /** @return the send time written into the datagram */
    private long send(long sequence) throws IOException {
        long now = System.nanoTime();
        out.clear();
        out.putLong(0, sequence).putLong(8, now);
        try {
            channel.write(out);
        } catch (PortUnreachableException e) {
            // an ICMP error for an earlier datagram (e.g. a tool still starting): this one is lost
        }
        return now;
    }

    private void receive() {
        ByteBuffer in = ByteBuffer.allocateDirect(65_536);
        while (true) {
            in.clear();
            try {
                channel.read(in);
            } catch (ClosedChannelException e) {
                return; // closed, also asynchronously: the generator is done
            } catch (IOException e) {
                continue; // e.g. port unreachable while a tool starts
            }
            long now = System.nanoTime();
            if (in.position() < HEADER) {
                continue;
            }
            long sequence = in.getLong(0);
            if (sequence == PROBE) {
                probeEchoed = true;
                continue;
            }
            Step step = current;
            if (step != null) {
                long stamp = in.position() >= EchoTarget.STAMP_OFFSET + Long.BYTES ? in.getLong(EchoTarget.STAMP_OFFSET) : 0;
                step.record(sequence, in.getLong(8), stamp, now);
            }
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
        try {
            receiver.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The measured window of one step: which datagrams came back, and how fast. */
    private static final class Step {
        private final long first;
        private final int count;
        private final BitSet seen;
        private final Histogram rtt = new Histogram(HIGHEST_RTT_NANOS, 3);
        /** Null unless asked for: a sweep's steps at 200,000/s would keep megabytes for nothing. */
        private final EchoTimes times;
        private int echoed;
        private int duplicates;
        private boolean open = true;

        Step(long first, int count, boolean keepTimes) {
            this.first = first;
            this.count = count;
            this.seen = new BitSet(count);
            this.times = keepTimes ? EchoTimes.empty(first, count) : null;
        }

        // One uncontended lock per echo (tens of ns): the main thread reads the figures only once,
        // after the drain, and must see them whole.
        synchronized void record(long sequence, long sentNanos, long stampNanos, long backNanos) {
            long index = sequence - first;
            if (!open || index < 0 || index >= count) {
                return; // warm-up, or a late echo of an earlier step
            }
            if (seen.get((int) index)) {
                duplicates++;
                return;
            }
            seen.set((int) index);
            echoed++;
            rtt.recordValue(Math.min(Math.max(0, backNanos - sentNanos), HIGHEST_RTT_NANOS));
            if (times != null) {
                times.sent()[(int) index] = sentNanos;
                times.atTarget()[(int) index] = stampNanos;
                times.back()[(int) index] = backNanos;
            }
        }

        synchronized int echoed() {
            return echoed;
        }
    }
}
