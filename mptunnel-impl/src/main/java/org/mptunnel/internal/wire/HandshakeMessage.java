package org.mptunnel.internal.wire;

import java.nio.ByteBuffer;

/**
 * The two version 2 handshake messages (docs/PROTOCOL.md, "Handshake"): the {@link Header} with
 * version {@link Header#VERSION_SEALED}, the AEAD suite at {@link Header#SUITE_OFFSET}, sequence
 * 0; then the sender's ephemeral X25519 key; then, in an initiation, the sealed timestamp and
 * proposed generation; then a tag.
 *
 * <pre>
 *  initiation:  0 header   24 ephemeral key (32)   56 sealed timestamp (u64) + generation (u32)   68 tag (16)   84
 *  response:    0 header   24 ephemeral key (32)   56 tag (16)   72
 * </pre>
 */
public final class HandshakeMessage {

    public static final int EPHEMERAL_OFFSET = Header.LENGTH;
    public static final int EPHEMERAL_LENGTH = 32;
    /** Where an initiation's sealed fields, and a response's tag, start. */
    public static final int SEALED_OFFSET = EPHEMERAL_OFFSET + EPHEMERAL_LENGTH;
    /** An initiation's sealed plaintext: timestamp (8 bytes, µs since the epoch) and generation (4 bytes). */
    public static final int INITIATION_PLAINTEXT = 12;
    public static final int INITIATION_LENGTH = SEALED_OFFSET + INITIATION_PLAINTEXT + Sealed.TAG_LENGTH;
    public static final int RESPONSE_LENGTH = SEALED_OFFSET + Sealed.TAG_LENGTH;

    /** {@link #check}: the header is fine. */
    public static final int OK = 0;
    /** {@link #check}: not this message. */
    public static final int MALFORMED = -1;
    /** {@link #check}: this message, under another suite. */
    public static final int WRONG_SUITE = -2;

    private HandshakeMessage() {
    }

    /** Writes a handshake message's header at offset 0. */
    public static void writeHeader(ByteBuffer out, byte type, int suiteId, long sessionId, int length) {
        Header.write(out, Header.VERSION_SEALED, type, suiteId, sessionId, 0, length - Header.LENGTH);
    }

    /** Validates the header of a handshake message of {@code type}, which is {@code expectedLength} long. */
    public static int check(ByteBuffer in, int length, byte type, int expectedLength, int suiteId) {
        if (length != expectedLength || in.limit() < length
                || in.getShort(Header.MAGIC_OFFSET) != Header.MAGIC
                || in.get(Header.VERSION_OFFSET) != Header.VERSION_SEALED || in.get(Header.TYPE_OFFSET) != type
                || Header.payloadLength(in) != length - Header.LENGTH
                || Header.sequence(in) != 0) {
            return MALFORMED;
        }
        return (in.getShort(Header.SUITE_OFFSET) & 0xFFFF) == suiteId ? OK : WRONG_SUITE;
    }
}
