package org.mptunnel.internal.wire;

import java.nio.ByteBuffer;

/**
 * A sealed version 2 datagram (data, keepalive or ack): the {@link Header} with version
 * {@link Header#VERSION_SEALED} and the key generation at {@link Header#GENERATION_OFFSET}, as
 * associated data; the payload encrypted in place; the AEAD tag after it. The payload length field
 * counts the tag.
 *
 * <pre>
 *  0                24                      24 + n          24 + n + 16
 *  +----------------+-----------------------+---------------+
 *  |     header     | payload (ciphertext)  |      tag      |
 *  +----------------+-----------------------+---------------+
 * </pre>
 */
public final class Sealed {

    /** The AEAD tag that follows the payload (both suites' tags are 16 bytes). */
    public static final int TAG_LENGTH = 16;
    /** Bytes a sealed datagram adds to its payload. */
    public static final int OVERHEAD = Header.LENGTH + TAG_LENGTH;
    /** The largest of the first sealed types (DATA 1, KEEPALIVE 2, KEEPALIVE_ACK 3); PATH_CHALLENGE 6, PATH_RESPONSE 7, FEC_DATA 8 and FEC_REPAIR 9 are sealed too. */
    static final int MAX_TYPE = Header.TYPE_KEEPALIVE_ACK;

    private Sealed() {
    }

    /**
     * Validates a sealed datagram's header: magic, version 2, a sealed type, the payload length
     * field equal to what arrived and room for the tag, a non-negative sequence.
     *
     * @return the type, or {@link Header#MALFORMED}
     */
    public static int check(ByteBuffer datagram, int length) {
        if (length < OVERHEAD || datagram.limit() < length
                || datagram.getShort(Header.MAGIC_OFFSET) != Header.MAGIC
                || datagram.get(Header.VERSION_OFFSET) != Header.VERSION_SEALED
                || Header.payloadLength(datagram) != length - Header.LENGTH) {
            return Header.MALFORMED;
        }
        int type = datagram.get(Header.TYPE_OFFSET);
        boolean sealedType = type >= Header.TYPE_DATA && type <= MAX_TYPE
                || type == Header.TYPE_PATH_CHALLENGE || type == Header.TYPE_PATH_RESPONSE
                || type == Header.TYPE_FEC_DATA || type == Header.TYPE_FEC_REPAIR;
        return sealedType && Header.sequence(datagram) >= 0 ? type : Header.MALFORMED;
    }

    /** @return the key generation the datagram names (16 bits) */
    public static int generation(ByteBuffer datagram) {
        return datagram.getShort(Header.GENERATION_OFFSET) & 0xFFFF;
    }

    /** Writes the fields sealing fills in: the generation and the payload length with the tag. */
    public static void writeSealedFields(ByteBuffer datagram, int generation, int payloadLength) {
        datagram.putShort(Header.GENERATION_OFFSET, (short) generation)
                .putShort(Header.PAYLOAD_LENGTH_OFFSET, (short) (payloadLength + TAG_LENGTH));
    }
}
