package org.mptunnel.it;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.BitSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntUnaryOperator;

/**
 * Numbered test datagrams whose every byte can be checked, and a receiver that records which
 * numbers arrived, how often, and whether any arrived damaged.
 */
final class Traffic {

    private Traffic() {
    }

    /** A datagram of {@code length} bytes (at least 8): the number, then bytes derived from it. */
    static byte[] datagram(int number, int length) {
        byte[] data = new byte[length];
        ByteBuffer.wrap(data).putInt(number).putInt(length);
        for (int i = 8; i < length; i++) {
            data[i] = (byte) (number * 31 + i);
        }
        return data;
    }

    /** @return the number, or -1 if any byte differs from what {@link #datagram} wrote */
    static int check(byte[] data, int offset, int length) {
        ByteBuffer b = ByteBuffer.wrap(data, offset, length);
        if (length < 8) {
            return -1;
        }
        int number = b.getInt();
        if (b.getInt() != length) {
            return -1;
        }
        for (int i = 8; i < length; i++) {
            if (data[offset + i] != (byte) (number * 31 + i)) {
                return -1;
            }
        }
        return number;
    }

    /** Receives on its own thread until the socket closes, counting what arrives. */
    static final class Receiver implements AutoCloseable {
        private final DatagramSocket socket;
        private final Thread thread;
        private final BitSet seen = new BitSet();
        final AtomicInteger received = new AtomicInteger();
        /** The highest number received so far, -1 before any: what pacing follows. */
        final AtomicInteger highest = new AtomicInteger(-1);
        final AtomicInteger duplicates = new AtomicInteger();
        final AtomicInteger damaged = new AtomicInteger();
        /** Datagrams that arrived after a higher number (what ordered delivery must prevent). */
        final AtomicInteger outOfOrder = new AtomicInteger();

        Receiver(DatagramSocket socket) throws SocketException {
            this.socket = socket;
            socket.setSoTimeout(100);
            this.thread = new Thread(this::run, "test-receiver");
            thread.setDaemon(true);
            thread.start();
        }

        private void run() {
            DatagramPacket packet = new DatagramPacket(new byte[2048], 2048);
            while (!socket.isClosed()) {
                try {
                    socket.receive(packet);
                } catch (SocketTimeoutException e) {
                    continue;
                } catch (IOException e) {
                    return;
                }
                int number = Traffic.check(packet.getData(), packet.getOffset(), packet.getLength());
                if (number < 0) {
                    damaged.incrementAndGet();
                    continue;
                }
                synchronized (seen) {
                    if (seen.get(number)) {
                        duplicates.incrementAndGet();
                        continue;
                    }
                    seen.set(number);
                }
                received.incrementAndGet();
                if (highest.getAndAccumulate(number, Math::max) > number) {
                    outOfOrder.incrementAndGet();
                }
            }
        }

        boolean has(int number) {
            synchronized (seen) {
                return seen.get(number);
            }
        }

        @Override
        public void close() throws InterruptedException {
            socket.close();
            thread.join(TimeUnit.SECONDS.toMillis(5));
        }
    }

    /**
     * Sends the datagrams numbered {@code from} to {@code to} (exclusive), never more than
     * {@code inFlight} ahead of the highest number the receiver has seen, so that socket buffers
     * never overflow and only the paths' loss is measured. Each wait has a deadline: a stalled
     * receiver slows the test down but does not hang it.
     */
    static void sendPaced(DatagramSocket socket, int from, int to, int length, int inFlight, Receiver receiver)
            throws IOException {
        sendPaced(socket, null, from, to, length, inFlight, receiver);
    }

    /** As {@link #sendPaced(DatagramSocket, int, int, int, int, Receiver)}, to {@code address} (a server's session address), or to the connected peer if null. */
    static void sendPaced(DatagramSocket socket, SocketAddress address, int from, int to, int length, int inFlight,
                          Receiver receiver) throws IOException {
        sendPaced(socket, address, from, to, n -> length, inFlight, receiver);
    }

    /** As above, datagram {@code n} being {@code length.applyAsInt(n)} bytes long. */
    static void sendPaced(DatagramSocket socket, SocketAddress address, int from, int to, IntUnaryOperator length,
                          int inFlight, Receiver receiver) throws IOException {
        for (int n = from; n < to; n++) {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200);
            while (n - receiver.highest.get() > inFlight && System.nanoTime() - deadline < 0) {
                LockSupport.parkNanos(20_000);
            }
            byte[] data = datagram(n, length.applyAsInt(n));
            DatagramPacket packet = new DatagramPacket(data, data.length);
            if (address != null) {
                packet.setSocketAddress(address);
            }
            socket.send(packet);
        }
    }
}
