package org.mptunnel.internal.engine;

import java.nio.ByteBuffer;
import org.mptunnel.TunnelConfig;
import org.mptunnel.internal.schedule.DatagramWriter;
import org.mptunnel.internal.session.Session;

/**
 * One wire variant's datagram format, as the engine's read loop and senders use it: protocol v1
 * ({@link PlainCodec}), protocol v2 ({@link SealedCodec}) and the C mptunnel's format
 * ({@link LegacyCodec}). Layouts themselves are {@code wire}'s (and {@code legacy}'s); a codec
 * only says which of them applies and what it costs. Stateless: one instance serves every session
 * and every thread.
 */
public interface Codec extends DatagramWriter {

    /** {@link #check}'s answer for a valid datagram that carries nothing for the application (legacy control). */
    int TYPE_CONTROL = 0x100;

    /** @return the codec of the configuration's wire format and key */
    static Codec of(TunnelConfig config) {
        if (config.wireFormat().isLegacy()) {
            return new LegacyCodec(config.wireFormat() == TunnelConfig.WireFormat.LEGACY);
        }
        return config.encrypted() ? SealedCodec.INSTANCE : PlainCodec.INSTANCE;
    }

    /**
     * I/O thread: validates the received datagram of {@code length} bytes at offset 0 as far as
     * can be done before it is opened.
     *
     * @return a {@code Header.TYPE_} constant, {@link #TYPE_CONTROL}, or {@code Header.MALFORMED}
     */
    int check(ByteBuffer datagram, int length);

    /** @return the session id of a checked datagram (0 in a format without one) */
    long sessionId(ByteBuffer datagram);

    /** @return a checked datagram's number as the duplicate window counts it, non-negative */
    long sequence(ByteBuffer datagram);

    /**
     * Whether {@link #open} authenticates. If so, nothing about a datagram is believed before it
     * opens: the read loop judges the window first (a copy is not worth opening) and learns the
     * path only after; if not, every valid copy counts as heard on its path.
     */
    default boolean authenticates() {
        return false;
    }

    /**
     * I/O thread: whether a checked datagram of {@code session} could open at all, judged from its
     * header alone (protocol v2: keys of the generation it names are held), so that one that
     * cannot is dropped without the cost of trying.
     */
    default boolean mayOpen(Session session, ByteBuffer datagram, long nowNanos) {
        return true;
    }

    /**
     * I/O thread: opens a checked datagram in place.
     *
     * @return the payload's length (at {@link #payloadOffset()}), or -1 if it does not authenticate;
     *         a format in plaintext has nothing to open
     */
    default int open(Session session, ByteBuffer datagram, int length, long nowNanos) {
        return length - payloadOffset();
    }

    /** @return where the payload starts in a datagram */
    int payloadOffset();

    /** @return bytes a datagram adds to its payload: its header, unless it has a trailer */
    default int overhead() {
        return payloadOffset();
    }

    /**
     * Any thread: encodes a data datagram once into the calling thread's send buffer, ready for
     * every path, taking the session's next sequence number.
     *
     * @return the datagram from position 0 to its limit, or null if the session cannot send in
     *         this format now (protocol v2: no keys, or keys erased since the session was found)
     */
    @Override
    ByteBuffer encodeData(Session session, byte[] data, int offset, int length);

    /**
     * I/O thread: finishes a keepalive or ack whose header and {@code payloadLength} bytes of
     * probe are written in place, and sets position 0 and the limit to its end.
     *
     * @return false if the session cannot send in this format now (no keys)
     */
    boolean finishProbe(Session session, ByteBuffer probe, int payloadLength);
}
