package org.mptunnel.examples.flow;

import java.nio.ByteBuffer;

/**
 * The tools' flow framing (docs/PROTOCOL.md, "Tools: flows"): the prefix of every payload of a
 * tunnel session that carries several applications' datagrams, each naming its flow.
 *
 * <pre>
 * offset size field
 * 0      3    mark     FF 46 4C ("FL")
 * 3      1    version  1
 * 4      1    kind     0: the application's datagram follows; 1: a SOCKS UDP header, then the datagram
 * 5      4    flow id  chosen by mpclient, big-endian; replies carry the id of the flow they answer
 * </pre>
 *
 * Reading and writing touch the caller's buffer in place and allocate nothing.
 */
public final class FlowFrame {

    /** Length of the prefix. */
    public static final int LENGTH = 9;
    /** The version this code writes, and the only one it reads. */
    public static final int VERSION = 1;
    /** Kind: the application's datagram follows the prefix unchanged. */
    public static final int CLASSIC = 0;
    /** Kind: a SOCKS UDP request (client to server) or reply (server to client) header follows. */
    public static final int SOCKS = 1;
    /** {@link #kind}: the payload has no flow mark. */
    public static final int UNMARKED = -1;
    /** {@link #kind}: the payload has the mark but another version, an unknown kind or no room for the id. */
    public static final int MALFORMED = -2;

    private static final byte M0 = (byte) 0xFF;
    private static final byte M1 = 'F';
    private static final byte M2 = 'L';

    private FlowFrame() {
    }

    /** Writes the prefix at {@code offset}; the caller leaves {@link #LENGTH} bytes for it. */
    public static void write(byte[] buffer, int offset, int kind, int flowId) {
        buffer[offset] = M0;
        buffer[offset + 1] = M1;
        buffer[offset + 2] = M2;
        buffer[offset + 3] = VERSION;
        buffer[offset + 4] = (byte) kind;
        buffer[offset + 5] = (byte) (flowId >>> 24);
        buffer[offset + 6] = (byte) (flowId >>> 16);
        buffer[offset + 7] = (byte) (flowId >>> 8);
        buffer[offset + 8] = (byte) flowId;
    }

    /** @return a new prefix for replies of one flow */
    public static byte[] prefix(int kind, int flowId) {
        byte[] b = new byte[LENGTH];
        write(b, 0, kind, flowId);
        return b;
    }

    /** @return whether the bytes from the buffer's position start with the mark (of any version) */
    public static boolean hasMark(ByteBuffer payload) {
        int p = payload.position();
        return payload.remaining() >= 3 && payload.get(p) == M0 && payload.get(p + 1) == M1 && payload.get(p + 2) == M2;
    }

    /**
     * @return the kind ({@link #CLASSIC} or {@link #SOCKS}) of the payload from the buffer's
     *         position, or {@link #UNMARKED} or {@link #MALFORMED}
     */
    public static int kind(ByteBuffer payload) {
        if (!hasMark(payload)) {
            return UNMARKED;
        }
        int p = payload.position();
        if (payload.remaining() < LENGTH || payload.get(p + 3) != VERSION) {
            return MALFORMED;
        }
        int kind = payload.get(p + 4);
        return kind == CLASSIC || kind == SOCKS ? kind : MALFORMED;
    }

    /** @return the flow id of a payload {@link #kind} accepted, from the buffer's position */
    public static int flowId(ByteBuffer payload) {
        return payload.getInt(payload.position() + 5);
    }
}
