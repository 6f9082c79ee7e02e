package org.mptunnel.internal.legacy;

import java.nio.ByteBuffer;

/**
 * The C mptunnel's 16-byte header, read and written in place at offset 0 of a datagram buffer.
 * The C code sends its header struct in host byte order, which on every platform it was built for
 * is little-endian; the accessors here are little-endian whatever the buffer's own order.
 *
 * <pre>
 *  0        4         8        12        16
 *  +--------+---------+--------+---------+------------------+
 *  |   iv   |  type   |   id   | buflen  | buflen bytes ... |
 *  +--------+---------+--------+---------+------------------+
 * </pre>
 *
 * <p>With obfuscation on ({@link Lfsr}), everything after the IV is obfuscated, the rest of the
 * header included; {@link #check} restores it in place before reading it. With obfuscation off the
 * IV means nothing (the C server leaves it uninitialised): it is written as given (0 by the
 * engines) and never read.
 */
public final class LegacyHeader {

    public static final int LENGTH = 16;

    public static final int IV_OFFSET = 0;
    public static final int TYPE_OFFSET = 4;
    public static final int ID_OFFSET = 8;
    public static final int BUFLEN_OFFSET = 12;

    /** The C code's "none": it never sends it; a datagram of this type is malformed here. */
    public static final int TYPE_NONE = 0;
    /**
     * The C code's control type. Its receivers drop such a datagram without further meaning; here
     * it is valid (the path heard it) but carries nothing to the application.
     */
    public static final int TYPE_CONTROL = 1;
    /** Application payload, numbered per direction from 1. */
    public static final int TYPE_DATA = 2;

    /** Returned by {@link #check} for anything that is not a valid legacy datagram. */
    public static final int MALFORMED = -1;

    private LegacyHeader() {
    }

    /**
     * Writes a header, then obfuscates it and the payload if asked. The payload must already be in
     * place after the header.
     *
     * @param buffer        a buffer holding at least {@code LENGTH + payloadLength} bytes
     * @param obfuscate     whether to apply the {@link Lfsr} key stream of {@code iv}
     * @param iv            the IV field, written verbatim
     * @param type          {@link #TYPE_DATA} or {@link #TYPE_CONTROL}
     * @param id            the datagram number
     * @param payloadLength bytes after the header
     */
    public static void encode(ByteBuffer buffer, boolean obfuscate, int iv, int type, int id, int payloadLength) {
        putIntLe(buffer, IV_OFFSET, iv);
        putIntLe(buffer, TYPE_OFFSET, type);
        putIntLe(buffer, ID_OFFSET, id);
        putIntLe(buffer, BUFLEN_OFFSET, payloadLength);
        if (obfuscate) {
            Lfsr.apply(buffer, TYPE_OFFSET, LENGTH + payloadLength, iv);
        }
    }

    /**
     * Restores an obfuscated datagram in place if asked, then validates it: at least a header, a
     * buflen equal to what arrived after the header, and a data or control type. Any 32-bit id is
     * valid (the C code's numbering runs into negative values after 2^31 datagrams).
     *
     * @param buffer     the datagram at offset 0
     * @param length     how many bytes arrived
     * @param obfuscated whether the datagram is obfuscated; if so, it is restored in place
     * @return {@link #TYPE_DATA}, {@link #TYPE_CONTROL} or {@link #MALFORMED}
     */
    public static int check(ByteBuffer buffer, int length, boolean obfuscated) {
        if (length < LENGTH) {
            return MALFORMED;
        }
        if (obfuscated) {
            Lfsr.apply(buffer, TYPE_OFFSET, length, iv(buffer));
        }
        if (buflen(buffer) != length - LENGTH) {
            return MALFORMED;
        }
        int type = type(buffer);
        return type == TYPE_DATA || type == TYPE_CONTROL ? type : MALFORMED;
    }

    public static int iv(ByteBuffer buffer) {
        return getIntLe(buffer, IV_OFFSET);
    }

    public static int type(ByteBuffer buffer) {
        return getIntLe(buffer, TYPE_OFFSET);
    }

    public static int id(ByteBuffer buffer) {
        return getIntLe(buffer, ID_OFFSET);
    }

    public static int buflen(ByteBuffer buffer) {
        return getIntLe(buffer, BUFLEN_OFFSET);
    }

    /** @return the id as the duplicate window counts it: unsigned, 0 to 2^32 − 1 */
    public static long sequence(int id) {
        return id & 0xFFFF_FFFFL;
    }

    /** Byte by byte: independent of the buffer's order, and no view buffer is allocated. */
    private static int getIntLe(ByteBuffer buffer, int offset) {
        return (buffer.get(offset) & 0xFF)
                | (buffer.get(offset + 1) & 0xFF) << 8
                | (buffer.get(offset + 2) & 0xFF) << 16
                | (buffer.get(offset + 3) & 0xFF) << 24;
    }

    private static void putIntLe(ByteBuffer buffer, int offset, int value) {
        buffer.put(offset, (byte) value)
                .put(offset + 1, (byte) (value >>> 8))
                .put(offset + 2, (byte) (value >>> 16))
                .put(offset + 3, (byte) (value >>> 24));
    }
}
