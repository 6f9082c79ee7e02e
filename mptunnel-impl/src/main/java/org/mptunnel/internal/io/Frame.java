package org.mptunnel.internal.io;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import org.mptunnel.internal.wire.Header;

/**
 * A pooled receive buffer: the I/O thread reads a whole datagram into it and, if it is delivered,
 * hands the frame to the application through the {@link Inbox}; the receiving thread copies the
 * payload out and returns the frame to the pool.
 */
public final class Frame {

    final ByteBuffer buffer;
    /** Whether this frame holds a copy that ordered delivery kept ({@link HeldCopies}), not a datagram read into it. */
    final boolean copy;
    int payloadOffset = Header.LENGTH;
    int payloadLength;
    InetSocketAddress sender;

    Frame(int capacity) {
        this.buffer = Header.allocate(capacity);
        this.copy = false;
    }

    private Frame(ByteBuffer buffer) {
        this.buffer = buffer;
        this.copy = true;
    }

    /** A frame on the heap, for a copy of a payload only (see {@link HeldCopies}). */
    static Frame onHeap(int capacity) {
        return new Frame(ByteBuffer.allocate(capacity));
    }

    /** Makes this frame a copy of {@code source}'s payload, at offset 0, and its sender. */
    void copyPayloadOf(Frame source) {
        buffer.clear().put(0, source.buffer, source.payloadOffset, source.payloadLength);
        payload(0, source.payloadLength, source.sender);
    }

    int capacity() {
        return buffer.capacity();
    }

    /** @return the buffer to read a datagram into, cleared */
    public ByteBuffer clearedBuffer() {
        return buffer.clear();
    }

    /** Marks the frame's payload (after the v1 header) and the address the application will see. */
    public void payload(int length, InetSocketAddress from) {
        payload(Header.LENGTH, length, from);
    }

    /**
     * Marks the frame's payload and the address the application will see.
     *
     * @param offset where the payload starts: the length of the wire format's header
     */
    public void payload(int offset, int length, InetSocketAddress from) {
        this.payloadOffset = offset;
        this.payloadLength = length;
        this.sender = from;
    }

    public int payloadLength() {
        return payloadLength;
    }

    public InetSocketAddress sender() {
        return sender;
    }

    /**
     * @return the buffer with its position and limit around the payload, for a receive handler;
     *         the next {@link #clearedBuffer()} resets them
     */
    public ByteBuffer payloadBuffer() {
        return buffer.limit(payloadOffset + payloadLength).position(payloadOffset);
    }

    /** Copies up to {@code max} payload bytes into {@code dst} at {@code offset}; returns the count. */
    public int copyPayloadTo(byte[] dst, int offset, int max) {
        int n = Math.min(payloadLength, max);
        buffer.get(payloadOffset, dst, offset, n);
        return n;
    }
}
