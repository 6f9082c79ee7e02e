package org.mptunnel.internal.wire;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The 24-byte header that starts every tunnel datagram, read and written in place over a
 * {@link ByteBuffer} with absolute, big-endian accessors. Layout (docs/PROTOCOL.md):
 *
 * <pre>
 *  0      2       3     4       6               8                16               24
 *  +------+-------+-----+-------+---------------+----------------+----------------+
 *  |magic |version|type |byte 4 |payload length |   session id   |    sequence    |
 *  +------+-------+-----+-------+---------------+----------------+----------------+
 * </pre>
 *
 * <p>The same 24 bytes start every datagram of both versions; bytes 4–5 mean something different
 * in each kind of datagram, named here once: {@link #FLAGS_OFFSET} (version 1, always 0),
 * {@link #GENERATION_OFFSET} (a sealed version 2 datagram) and {@link #SUITE_OFFSET} (a version 2
 * handshake message). Version 2 layouts: {@link Sealed} and {@link HandshakeMessage}.
 *
 * <p>Static methods rather than an instance: the header is always at offset 0 of a datagram
 * buffer, so a flyweight object would only carry a reference the caller already has.
 */
public final class Header {

    /** "MP": junk that does not start with it is rejected on the first two bytes. */
    public static final short MAGIC = 0x4D50;
    /** Version 1: plaintext. */
    public static final byte VERSION = 1;
    /** Version 2: sealed under a pre-shared key's handshake (docs/PROTOCOL.md, "Protocol v2"). */
    public static final byte VERSION_SEALED = 2;
    public static final int LENGTH = 24;

    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 2;
    public static final int TYPE_OFFSET = 3;
    /** Version 1: flags, none defined, so always 0. */
    public static final int FLAGS_OFFSET = 4;
    /** Version 2, sealed datagrams: the key generation it is sealed under (u16). */
    public static final int GENERATION_OFFSET = 4;
    /** Version 2, handshake messages: the AEAD suite's id (u16). */
    public static final int SUITE_OFFSET = 4;
    public static final int PAYLOAD_LENGTH_OFFSET = 6;
    public static final int SESSION_ID_OFFSET = 8;
    public static final int SEQUENCE_OFFSET = 16;

    /** Application payload; the sequence number orders it within the session and direction. */
    public static final byte TYPE_DATA = 1;
    /** Client to server, on every path at each keepalive interval; payload is a {@link Probe}. */
    public static final byte TYPE_KEEPALIVE = 2;
    /** Server to client, on the path the keepalive came from; payload is a {@link Probe} echo. */
    public static final byte TYPE_KEEPALIVE_ACK = 3;
    /** Version 2, client to server: a handshake's first message ({@link HandshakeMessage}). */
    public static final byte TYPE_INITIATION = 4;
    /** Version 2, server to client: a handshake's answer ({@link HandshakeMessage}). */
    public static final byte TYPE_RESPONSE = 5;

    /** Server to client, to an address not yet validated as a path: a {@link PathChallenge}. */
    public static final byte TYPE_PATH_CHALLENGE = 6;
    /** Client to server, on the path the challenge came on: its {@link PathChallenge} echoed. */
    public static final byte TYPE_PATH_RESPONSE = 7;

    /** A data datagram that belongs to a forward error correction group: a {@link Fec} block, then the payload. */
    public static final byte TYPE_FEC_DATA = 8;
    /** One repair datagram of a forward error correction group: a {@link Fec} block, then the repair payload. */
    public static final byte TYPE_FEC_REPAIR = 9;

    /** Returned by {@link #check} for anything that is not a valid tunnel datagram. */
    public static final int MALFORMED = -1;

    /** The largest payload length the 16-bit field can state. */
    public static final int MAX_PAYLOAD_LENGTH = 0xFFFF;

    private Header() {
    }

    /**
     * Writes a header at offset 0.
     *
     * @param buffer        a big-endian buffer of at least {@link #LENGTH} bytes
     * @param type          one of the {@code TYPE_} constants
     * @param sessionId     the session
     * @param sequence      the data sequence number, or the probe number
     * @param payloadLength bytes that follow the header
     */
    public static void write(ByteBuffer buffer, byte type, long sessionId, long sequence, int payloadLength) {
        buffer.putShort(MAGIC_OFFSET, MAGIC)
                .put(VERSION_OFFSET, VERSION)
                .put(TYPE_OFFSET, type)
                .putShort(FLAGS_OFFSET, (short) 0)
                .putShort(PAYLOAD_LENGTH_OFFSET, (short) payloadLength)
                .putLong(SESSION_ID_OFFSET, sessionId)
                .putLong(SEQUENCE_OFFSET, sequence);
    }

    /**
     * Validates the datagram of {@code length} bytes at offset 0: magic, version, zero flags, a
     * payload length that matches the datagram exactly, a known type with the payload size that type
     * requires, and a non-negative sequence.
     *
     * @return the type, or {@link #MALFORMED}
     */
    public static int check(ByteBuffer buffer, int length) {
        if (length < LENGTH
                || buffer.getShort(MAGIC_OFFSET) != MAGIC
                || buffer.get(VERSION_OFFSET) != VERSION
                || buffer.getShort(FLAGS_OFFSET) != 0
                || payloadLength(buffer) != length - LENGTH
                || sequence(buffer) < 0) {
            return MALFORMED;
        }
        int type = buffer.get(TYPE_OFFSET);
        switch (type) {
            case TYPE_DATA:
                return type;
            case TYPE_KEEPALIVE:
                return length - LENGTH == Probe.KEEPALIVE_LENGTH ? type : MALFORMED;
            case TYPE_KEEPALIVE_ACK:
                return length - LENGTH == Probe.ACK_LENGTH ? type : MALFORMED;
            case TYPE_PATH_CHALLENGE:
            case TYPE_PATH_RESPONSE:
                return length - LENGTH == PathChallenge.LENGTH ? type : MALFORMED;
            case TYPE_FEC_DATA:
                return Fec.dataValid(buffer, length - LENGTH) ? type : MALFORMED;
            case TYPE_FEC_REPAIR:
                return Fec.repairValid(buffer, length - LENGTH) ? type : MALFORMED;
            default:
                return MALFORMED;
        }
    }

    /**
     * Writes a header at offset 0 with byte 4 as given: a sealed datagram's generation or a
     * handshake message's suite.
     */
    public static void write(ByteBuffer buffer, byte version, byte type, int byte4, long sessionId, long sequence,
                             int payloadLength) {
        write(buffer, type, sessionId, sequence, payloadLength);
        buffer.put(VERSION_OFFSET, version).putShort(FLAGS_OFFSET, (short) byte4);
    }

    /**
     * @return the type byte of a datagram of {@code length} bytes if it is long enough for a
     *         header, else {@link #MALFORMED}: a peek before the version's own check
     */
    public static int peekType(ByteBuffer buffer, int length) {
        return length >= LENGTH ? buffer.get(TYPE_OFFSET) : MALFORMED;
    }

    public static int type(ByteBuffer buffer) {
        return buffer.get(TYPE_OFFSET);
    }

    public static int payloadLength(ByteBuffer buffer) {
        return buffer.getShort(PAYLOAD_LENGTH_OFFSET) & 0xFFFF;
    }

    public static long sessionId(ByteBuffer buffer) {
        return buffer.getLong(SESSION_ID_OFFSET);
    }

    public static long sequence(ByteBuffer buffer) {
        return buffer.getLong(SEQUENCE_OFFSET);
    }

    /**
     * @param capacity bytes
     * @return a direct buffer in the wire's byte order, for I/O without a JDK bounce copy
     */
    public static ByteBuffer allocate(int capacity) {
        return ByteBuffer.allocateDirect(capacity).order(ByteOrder.BIG_ENDIAN);
    }
}
