package org.mptunnel.examples.it;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * An application behind mpclient: sends numbered requests at a steady rate from one socket and
 * records when each was sent and when (if ever) its echo came back.
 */
final class RequestStream implements AutoCloseable {

    private final DatagramSocket socket;
    private final long intervalNanos;
    private final AtomicLongArray sentAt;
    private final AtomicLongArray answeredAt;
    private final AtomicInteger sent = new AtomicInteger();
    private final Thread sender;
    private final Thread receiver;
    private volatile boolean running = true;

    RequestStream(int mpclientPort, int perSecond, int capacity) throws IOException {
        socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), mpclientPort));
        socket.setSoTimeout(50);
        intervalNanos = TimeUnit.SECONDS.toNanos(1) / perSecond;
        sentAt = new AtomicLongArray(capacity);
        answeredAt = new AtomicLongArray(capacity);
        sender = new Thread(this::send, "requests");
        receiver = new Thread(this::receive, "replies");
        sender.start();
        receiver.start();
    }

    private void send() {
        long start = System.nanoTime();
        for (int n = 0; running && n < sentAt.length(); n++) {
            while (running && System.nanoTime() - (start + n * intervalNanos) < 0) {
                java.util.concurrent.locks.LockSupport.parkNanos(200_000);
            }
            byte[] request = (n + ":").getBytes(StandardCharsets.US_ASCII);
            sentAt.set(n, System.nanoTime());
            try {
                socket.send(new DatagramPacket(request, request.length));
            } catch (IOException e) {
                return;
            }
            sent.set(n + 1);
        }
    }

    private void receive() {
        byte[] buffer = new byte[256];
        DatagramPacket reply = new DatagramPacket(buffer, buffer.length);
        while (running) {
            try {
                socket.receive(reply);
            } catch (SocketTimeoutException e) {
                continue;
            } catch (IOException e) {
                return;
            }
            String text = new String(buffer, 0, reply.getLength(), StandardCharsets.US_ASCII);
            int n = Integer.parseInt(text.substring(0, text.indexOf(':')));
            answeredAt.compareAndSet(n, 0, System.nanoTime());
        }
    }

    /** @return how many requests have been sent */
    int sent() {
        return sent.get();
    }

    /** @return how many of the requests numbered {@code from} (inclusive) to {@code to} (exclusive) were answered */
    int answered(int from, int to) {
        int count = 0;
        for (int n = from; n < to; n++) {
            if (answeredAt.get(n) != 0) {
                count++;
            }
        }
        return count;
    }

    /** @return the number of the first request sent at or after {@code nanoTime} */
    int firstSentAfter(long nanoTime) {
        for (int n = 0; n < sent(); n++) {
            if (sentAt.get(n) - nanoTime >= 0) {
                return n;
            }
        }
        return sent();
    }

    /** @return the number of the first request answered whose answer came at or after {@code nanoTime}, or -1 */
    long firstAnswerAfter(long nanoTime) {
        long first = Long.MAX_VALUE;
        for (int n = 0; n < sent(); n++) {
            long at = answeredAt.get(n);
            if (at != 0 && at - nanoTime >= 0 && at < first) {
                first = at;
            }
        }
        return first == Long.MAX_VALUE ? -1 : first;
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        sender.join(5_000);
        receiver.join(5_000);
        socket.close();
    }
}
