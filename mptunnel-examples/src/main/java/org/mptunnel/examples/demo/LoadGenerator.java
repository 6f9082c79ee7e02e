package org.mptunnel.examples.demo;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.BitSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Sends numbered, timestamped datagrams at a steady rate to an echo service and measures what comes
 * back: how many, how many twice, and the round-trip times.
 */
public final class LoadGenerator {

    /** Time allowed after the last send for late echoes; loopback round trips take well under this. */
    private static final long DRAIN_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
    private static final long WARM_UP_NANOS = TimeUnit.SECONDS.toNanos(3);
    private static final long PROGRESS_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
    /** Sequence number and send time. */
    static final int MIN_SIZE = 12;

    /** Called now and then while a run goes on. */
    @FunctionalInterface
    public interface Progress {
        void update(int sent, int echoed);
    }

    /**
     * What one run measured.
     *
     * @param sent          datagrams sent
     * @param echoed        distinct datagrams that came back
     * @param duplicates    datagrams that came back more than once (each extra copy counts)
     * @param rttNanos      the round-trip time of each echoed datagram
     * @param elapsedNanos  from the first send to the last echo
     */
    public record Result(int sent, int echoed, int duplicates, long[] rttNanos, long elapsedNanos) {

        /** @return the share of datagrams that did not come back */
        public double loss() {
            return sent == 0 ? 0 : 1.0 - (double) echoed / sent;
        }

        /** @return echoes per second over the run */
        public double throughput() {
            return elapsedNanos <= 0 ? 0 : echoed * 1e9 / elapsedNanos;
        }
    }

    private LoadGenerator() {
    }

    /**
     * Sends {@code count} datagrams of {@code size} bytes to {@code target} at {@code rate} per second
     * and waits for the echoes.
     */
    public static Result run(InetSocketAddress target, int count, int rate, int size, Progress progress)
            throws IOException, InterruptedException {
        DatagramSocket socket = new DatagramSocket(null);
        try {
            socket.setReceiveBufferSize(4 << 20);
            socket.setSendBufferSize(4 << 20);
            socket.bind(Loopback.anyPort());
            socket.connect(target);
            Receiver receiver = new Receiver(socket, count);
            Thread thread = new Thread(receiver, "load-receiver");
            thread.setDaemon(true);
            thread.start();

            byte[] payload = new byte[Math.max(MIN_SIZE, size)];
            ByteBuffer fields = ByteBuffer.wrap(payload);
            DatagramPacket packet = new DatagramPacket(payload, payload.length);
            warmUp(socket, packet, fields, receiver);
            long interval = 1_000_000_000L / rate;
            long start = System.nanoTime();
            long nextProgress = start + PROGRESS_NANOS;
            for (int n = 0; n < count; n++) {
                long due = start + n * interval;
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                }
                fields.putInt(0, n).putLong(4, System.nanoTime());
                socket.send(packet);
                if (System.nanoTime() - nextProgress >= 0) {
                    progress.update(n + 1, receiver.echoed.get());
                    nextProgress += PROGRESS_NANOS;
                }
            }
            // Wait for the stragglers: until everything is back, or nothing came back for a while.
            long lastChange = System.nanoTime();
            int lastEchoed = receiver.echoed.get();
            while (receiver.echoed.get() < count && System.nanoTime() - lastChange < DRAIN_NANOS) {
                Thread.sleep(20);
                int now = receiver.echoed.get();
                if (now != lastEchoed) {
                    lastEchoed = now;
                    lastChange = System.nanoTime();
                }
            }
            progress.update(count, receiver.echoed.get());
            socket.close();
            thread.join(TimeUnit.SECONDS.toMillis(5));
            synchronized (receiver) {
                long elapsed = receiver.lastEchoNanos == 0 ? 0 : receiver.lastEchoNanos - start;
                return new Result(count, receiver.echoed.get(), receiver.duplicates,
                        Arrays.copyOf(receiver.rtts, receiver.echoed.get()), elapsed);
            }
        } finally {
            socket.close();
        }
    }

    /**
     * Measures the steady state, not the start: one unnumbered round trip first, so that whatever
     * opens on the first datagram (an mpclient's session, its sockets) is open. Retried, since it
     * may be lost; given up after a while, as the run itself will show what is wrong.
     */
    private static void warmUp(DatagramSocket socket, DatagramPacket packet, ByteBuffer fields, Receiver receiver)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + WARM_UP_NANOS;
        while (!receiver.warm && System.nanoTime() - deadline < 0) {
            fields.putInt(0, -1).putLong(4, System.nanoTime());
            socket.send(packet);
            for (int i = 0; i < 10 && !receiver.warm; i++) {
                Thread.sleep(10);
            }
        }
    }

    /** Records each echo once; runs until the socket closes. */
    private static final class Receiver implements Runnable {
        private final DatagramSocket socket;
        private final BitSet seen;
        private final long[] rtts;
        final AtomicInteger echoed = new AtomicInteger();
        int duplicates;
        long lastEchoNanos;
        volatile boolean warm;

        Receiver(DatagramSocket socket, int count) {
            this.socket = socket;
            this.seen = new BitSet(count);
            this.rtts = new long[count];
        }

        @Override
        public void run() {
            byte[] buffer = new byte[65_535];
            ByteBuffer fields = ByteBuffer.wrap(buffer);
            DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
            try {
                socket.setSoTimeout(100);
            } catch (IOException e) {
                return;
            }
            while (!socket.isClosed()) {
                packet.setData(buffer);
                try {
                    socket.receive(packet);
                } catch (SocketTimeoutException e) {
                    continue;
                } catch (IOException e) {
                    return;
                }
                long now = System.nanoTime();
                if (packet.getLength() < MIN_SIZE) {
                    continue;
                }
                int n = fields.getInt(0);
                long sentAt = fields.getLong(4);
                if (n == -1) {
                    warm = true;
                    continue;
                }
                synchronized (this) {
                    if (n < 0 || n >= rtts.length) {
                        continue;
                    }
                    if (seen.get(n)) {
                        duplicates++;
                        continue;
                    }
                    seen.set(n);
                    rtts[echoed.get()] = now - sentAt;
                    lastEchoNanos = now;
                    echoed.incrementAndGet();
                }
            }
        }
    }
}
