package org.mptunnel.internal.engine;

import java.nio.ByteBuffer;
import org.mptunnel.TunnelConfig;
import org.mptunnel.internal.wire.Header;

/**
 * One direct encode buffer per sending thread, shared by all sockets: a datagram is encoded once
 * into it and written from it to every path, with no per-send allocation and no bounce copy in the
 * JDK (which copies heap buffers into a temporary direct one on every write).
 *
 * <p>Most processes send from one thread. That thread's buffer is also kept in one static place,
 * so its sends compare one reference instead of walking the thread-local map, a chain of dependent
 * loads that measured 6–8 ns of an in-process send → receive at 512 and 1,400 B (BENCHMARKS.md).
 * The first thread to send takes the place; a thread that then sends {@value #CLAIM_AFTER} times
 * through the map takes it over (the tools warm up from their main thread, then send from
 * another). Two threads sending alike hand the place back and forth once per that many sends each:
 * one shared write, no allocation. An ended owner keeps its buffer until the next claim.
 */
final class SendBuffers {

    /** Sends through the thread-local map after which a thread takes the fast place. */
    static final int CLAIM_AFTER = 1024;

    private static final ThreadLocal<Sender> SENDERS = ThreadLocal.withInitial(Sender::new);

    /**
     * The sender holding the fast place. Read and written without ordering: a thread only uses the
     * buffer of a sender that names itself, which is its own, however stale the read; a sender's
     * thread and buffer are final, so any thread that sees it sees them.
     */
    private static Sender owner;

    private SendBuffers() {
    }

    static ByteBuffer get() {
        Thread current = Thread.currentThread();
        Sender known = owner;
        if (known != null && known.thread == current) {
            return known.buffer.clear();
        }
        Sender mine = SENDERS.get();
        if (known == null || --mine.untilClaim <= 0) {
            mine.untilClaim = CLAIM_AFTER;
            owner = mine;
        }
        return mine.buffer.clear();
    }

    /** @return the thread that holds the fast place, or null; for tests */
    static Thread owner() {
        Sender known = owner;
        return known == null ? null : known.thread;
    }

    /** Frees the fast place; for tests. */
    static void freeOwner() {
        owner = null;
    }

    /** A sending thread's buffer, and its own count towards taking the place (only it touches that). */
    private static final class Sender {
        final Thread thread = Thread.currentThread();
        final ByteBuffer buffer = Header.allocate(Header.LENGTH + TunnelConfig.MAX_PAYLOAD_LIMIT);
        int untilClaim = CLAIM_AFTER;
    }
}
