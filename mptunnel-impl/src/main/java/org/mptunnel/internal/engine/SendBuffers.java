package org.mptunnel.internal.engine;

import java.nio.ByteBuffer;
import org.mptunnel.TunnelConfig;
import org.mptunnel.internal.wire.Header;

/**
 * One direct encode buffer per sending thread, shared by all sockets: a datagram is encoded once
 * into it and written from it to every path, with no per-send allocation and no bounce copy in the
 * JDK (which copies heap buffers into a temporary direct one on every write).
 *
 * <p>Most processes send from one thread. That thread's buffer is also kept beside the thread,
 * so its sends compare one reference instead of walking the thread-local map, a chain of four
 * dependent loads that the profile showed waiting behind the previous datagram's copies (6–8 ns
 * of a send → receive at 512 and 1,400 B, BENCHMARKS.md). The first thread to send takes that
 * place and keeps it while it lives; the next thread to send after it ended takes it over (until
 * then the place holds the ended thread and its buffer: one, bounded). Other threads use the
 * thread-local map as before.
 */
final class SendBuffers {

    private static final ThreadLocal<ByteBuffer> BUFFER =
            ThreadLocal.withInitial(() -> Header.allocate(Header.LENGTH + TunnelConfig.MAX_PAYLOAD_LIMIT));

    /**
     * The sending thread that holds the fast place, with its own buffer. Read and written without
     * ordering: an owner is immutable (final fields), and a thread only ever uses the buffer of an
     * owner that names itself, which is its own thread-local buffer, however stale the read.
     */
    private static Owner owner;

    private SendBuffers() {
    }

    /** @return the thread that holds the fast place, or null; for tests */
    static Thread owner() {
        Owner known = owner;
        return known == null ? null : known.thread;
    }

    /** Frees the fast place; for tests. */
    static void freeOwner() {
        owner = null;
    }

    static ByteBuffer get() {
        Thread current = Thread.currentThread();
        Owner known = owner;
        if (known != null && known.thread == current) {
            return known.buffer.clear();
        }
        ByteBuffer buffer = BUFFER.get();
        if (known == null || known.thread.getState() == Thread.State.TERMINATED) {
            owner = new Owner(current, buffer); // the place was free: at most once per owner's life
        }
        return buffer.clear();
    }

    private static final class Owner {
        final Thread thread;
        final ByteBuffer buffer;

        Owner(Thread thread, ByteBuffer buffer) {
            this.thread = thread;
            this.buffer = buffer;
        }
    }
}
