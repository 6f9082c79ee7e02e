package org.mptunnel.internal.wire;

import java.nio.ByteBuffer;

/**
 * The payload of a path challenge and of its response, right after the {@link Header}: an 8-byte
 * token the server drew unpredictably for one address, which the client echoes unchanged on the
 * path the challenge came on (docs/PROTOCOL.md, "Path validation").
 *
 * <pre>
 *  0 token (u64)
 * </pre>
 *
 * The header's sequence numbers the sender's challenges (server) or responses (client) within the
 * session, so that in version 2 each is sealed under a nonce of its own.
 */
public final class PathChallenge {

    public static final int TOKEN_OFFSET = Header.LENGTH;
    public static final int LENGTH = 8;

    private PathChallenge() {
    }

    /**
     * Writes a whole challenge in version 1 at offset 0 (a sealing codec then seals it as it stands)
     * and sets position 0 and the limit to its end.
     */
    public static void writeChallenge(ByteBuffer buffer, long sessionId, long number, long token) {
        Header.write(buffer, Header.TYPE_PATH_CHALLENGE, sessionId, number, LENGTH);
        buffer.limit(buffer.capacity());
        buffer.putLong(TOKEN_OFFSET, token);
        buffer.limit(Header.LENGTH + LENGTH).position(0);
    }

    /** Turns the challenge in {@code buffer} into its response in place: the token stays, the type and number change. */
    public static void turnIntoResponse(ByteBuffer buffer, long number) {
        buffer.limit(buffer.capacity());
        buffer.put(Header.TYPE_OFFSET, Header.TYPE_PATH_RESPONSE)
                .putShort(Header.PAYLOAD_LENGTH_OFFSET, (short) LENGTH)
                .putLong(Header.SEQUENCE_OFFSET, number);
        buffer.limit(Header.LENGTH + LENGTH).position(0);
    }

    public static long token(ByteBuffer buffer) {
        return buffer.getLong(TOKEN_OFFSET);
    }
}
