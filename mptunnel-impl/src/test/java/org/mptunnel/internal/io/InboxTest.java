package org.mptunnel.internal.io;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.Test;

class InboxTest {

    private static final InetSocketAddress PEER = new InetSocketAddress("127.0.0.1", 9);

    @Test
    void aReleasedFrameIsReadIntoAgain() throws InterruptedException {
        Inbox inbox = new Inbox(4, 64);
        Frame first = inbox.current();
        first.clearedBuffer().putLong(0, 7);
        first.payload(0, 8, PEER);
        assertThat(inbox.deliverCurrent()).isTrue();
        Frame taken = inbox.take(TimeUnit.SECONDS.toNanos(1));
        assertThat(taken).isSameAs(first);
        inbox.release(taken);
        assertThat(inbox.current()).isSameAs(first);
    }

    @Test
    void aFrameFilledWithACopyThatFoundTheQueueFullIsUsedAgainNotLost() throws InterruptedException {
        Inbox inbox = new Inbox(2, 64);
        Set<Frame> frames = Collections.newSetFromMap(new IdentityHashMap<>());
        for (int i = 0; i < 2; i++) {
            frames.add(inbox.current());
            inbox.current().payload(0, 1, PEER);
            assertThat(inbox.deliverCurrent()).isTrue();
        }
        Frame held = Frame.onHeap(64);
        held.payload(0, 1, PEER);
        Frame current = inbox.current();
        frames.add(current);
        assertThat(inbox.deliverCopyOf(held)).isFalse();
        assertThat(inbox.current()).isSameAs(current); // a failed copy leaves the current frame alone
        for (int i = 0; i < 50; i++) {
            Frame taken;
            while ((taken = inbox.take(1)) != null) {
                frames.add(taken);
                inbox.release(taken);
            }
            inbox.current().payload(0, 1, PEER);
            frames.add(inbox.current());
            assertThat(inbox.deliverCurrent()).isTrue();
            assertThat(inbox.deliverCopyOf(held)).isTrue();
        }
        // the two queued, the current and the copy's: the copy's frame came back instead of a new
        // one (had it been dropped, a fifth would have been made); had the copy been made in the
        // current frame, there would be three
        assertThat(frames).hasSize(4);
    }

    /**
     * The I/O thread delivers numbered datagrams while several receiving threads take, copy and
     * release them one at a time under a lock, as the socket's receive does: each number arrives
     * once and intact, and no more frames exist than the queue's capacity plus three.
     */
    @Test
    void receiversTakingTurnsUnderALockGetEveryDatagramOnceAndFramesStayBounded() throws Exception {
        int capacity = 8;
        int count = 200_000;
        Inbox inbox = new Inbox(capacity, 64);
        ReentrantLock receiveLock = new ReentrantLock();
        Set<Frame> frames = Collections.synchronizedSet(Collections.newSetFromMap(new IdentityHashMap<>()));
        boolean[] seen = new boolean[count];
        long[] corrupt = new long[1];
        List<Thread> receivers = new ArrayList<>();
        for (int r = 0; r < 3; r++) {
            Thread receiver = new Thread(() -> {
                byte[] into = new byte[16];
                while (true) {
                    receiveLock.lock();
                    try {
                        Frame frame = inbox.take(TimeUnit.MILLISECONDS.toNanos(50));
                        if (frame == null) {
                            continue;
                        }
                        if (inbox.isClosedMarker(frame)) {
                            inbox.wakeForClose(); // for the next receiver
                            return;
                        }
                        frames.add(frame);
                        frame.copyPayloadTo(into, 0, into.length);
                        inbox.release(frame);
                        ByteBuffer b = ByteBuffer.wrap(into);
                        long n = b.getLong(0);
                        if (b.getLong(8) != ~n || n < 0 || n >= count || seen[(int) n]) {
                            corrupt[0]++;
                        } else {
                            seen[(int) n] = true;
                        }
                    } catch (InterruptedException e) {
                        return;
                    } finally {
                        receiveLock.unlock();
                    }
                }
            }, "receiver-" + r);
            receiver.setDaemon(true); // a stuck one must not outlive the test
            receiver.start();
            receivers.add(receiver);
        }
        Frame held = Frame.onHeap(64);
        for (int n = 0; n < count; ) {
            boolean delivered;
            if (n % 7 == 0) { // some as copies, as ordered delivery hands out what it held
                held.clearedBuffer().putLong(0, n).putLong(8, ~n);
                held.payload(0, 16, PEER);
                delivered = inbox.deliverCopyOf(held);
            } else {
                Frame frame = inbox.current();
                frames.add(frame);
                frame.clearedBuffer().putLong(0, n).putLong(8, ~n);
                frame.payload(0, 16, PEER);
                delivered = inbox.deliverCurrent();
            }
            if (delivered) {
                n++;
            } else {
                Thread.onSpinWait(); // the receivers are behind: offer it again
            }
        }
        inbox.wakeForClose();
        try {
            for (Thread receiver : receivers) {
                receiver.join(TimeUnit.SECONDS.toMillis(60));
                assertThat(receiver.isAlive()).isFalse();
            }
        } finally {
            receivers.forEach(Thread::interrupt);
        }
        assertThat(corrupt[0]).isZero();
        int missing = 0;
        for (boolean s : seen) {
            missing += s ? 0 : 1;
        }
        assertThat(missing).isZero();
        assertThat(frames).hasSizeLessThanOrEqualTo(capacity + 3);
    }
}
