package org.mptunnel.examples.it;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * DNS queries as a stub resolver asks them: each from a new socket (so a new source port), one try
 * each, {@code concurrency} at a time, optionally paced to a rate. Answers are matched by id and
 * must carry an A record.
 */
final class DnsLoad {

    /** What a run got: queries answered and not, out of those sent. */
    record Result(int sent, int answered) {
        int unanswered() {
            return sent - answered;
        }

        double unansweredPercent() {
            return 100.0 * unanswered() / sent;
        }
    }

    private DnsLoad() {
    }

    /**
     * @param perSecond queries started per second, or 0 for as fast as {@code concurrency} allows
     */
    static Result run(InetSocketAddress resolver, String domain, int count, int concurrency, int perSecond,
                      Duration timeout) throws InterruptedException {
        AtomicInteger next = new AtomicInteger();
        AtomicInteger answered = new AtomicInteger();
        long start = System.nanoTime();
        long intervalNanos = perSecond == 0 ? 0 : TimeUnit.SECONDS.toNanos(1) / perSecond;
        List<Thread> workers = new ArrayList<>();
        for (int w = 0; w < concurrency; w++) {
            Thread worker = new Thread(() -> {
                for (int i; (i = next.getAndIncrement()) < count; ) {
                    long due = start + i * intervalNanos;
                    for (long wait; (wait = due - System.nanoTime()) > 0; ) {
                        LockSupport.parkNanos(wait); // pacing the load, not waiting for a condition
                    }
                    if (query(resolver, "q" + i + "." + domain, i & 0xFFFF, timeout)) {
                        answered.incrementAndGet();
                    }
                }
            }, "dns-load-" + w);
            worker.start();
            workers.add(worker);
        }
        for (Thread worker : workers) {
            worker.join();
        }
        return new Result(count, answered.get());
    }

    private static boolean query(InetSocketAddress resolver, String name, int id, Duration timeout) {
        byte[] request = request(name, id);
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            socket.send(new DatagramPacket(request, request.length, resolver));
            long deadline = System.nanoTime() + timeout.toNanos();
            byte[] in = new byte[1500];
            DatagramPacket reply = new DatagramPacket(in, in.length);
            while (true) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) {
                    return false;
                }
                socket.setSoTimeout((int) left);
                reply.setData(in);
                socket.receive(reply);
                ByteBuffer b = ByteBuffer.wrap(in, 0, reply.getLength());
                // the id, the QR bit, RCODE 0 and at least one answer
                if (reply.getLength() >= 12 && (b.getShort(0) & 0xFFFF) == id && (b.get(2) & 0x80) != 0
                        && (b.get(3) & 0x0F) == 0 && b.getShort(6) > 0) {
                    return true;
                }
            }
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            throw new IllegalStateException("query " + name + " failed", e);
        }
    }

    /** @return a standard query for {@code name}'s A record, recursion desired */
    private static byte[] request(String name, int id) {
        ByteBuffer b = ByteBuffer.allocate(12 + name.length() + 2 + 4);
        b.putShort((short) id).putShort((short) 0x0100).putShort((short) 1).putShort((short) 0)
                .putShort((short) 0).putShort((short) 0);
        for (String label : name.split("\\.")) {
            byte[] l = label.getBytes(StandardCharsets.US_ASCII);
            b.put((byte) l.length).put(l);
        }
        b.put((byte) 0).putShort((short) 1).putShort((short) 1);
        return b.array();
    }
}
