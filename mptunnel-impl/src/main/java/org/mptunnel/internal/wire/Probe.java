package org.mptunnel.internal.wire;

import java.nio.ByteBuffer;

/**
 * The payload of a keepalive and of its acknowledgement, right after the {@link Header}.
 *
 * <pre>
 *  keepalive:  0 origin time (u64, sender's clock, echoed)   8 path index (u16)
 *             10 reserved (u16, 0)   12 sender's smoothed RTT on this path, microseconds (u32, 0 = unknown)
 *             16 reserved (24 bytes, 0): room for the ack's fields
 *  ack:       the first 16 keepalive bytes echoed, then 16 server epoch (u64),
 *             24 data received (u64), 32 data passed (u64), with received &lt;= passed
 * </pre>
 *
 * The origin time is only ever compared with the clock that wrote it, so the two ends' clocks
 * need not agree. The server epoch is random per server start, so a client can tell a restart.
 * The two counts are the server's view of the session's client-to-server data (see
 * {@link #turnIntoAck}). A keepalive is as long as its ack, so answering one never sends more bytes
 * than arrived.
 */
public final class Probe {

    public static final int ORIGIN_TIME_OFFSET = Header.LENGTH;
    public static final int PATH_INDEX_OFFSET = Header.LENGTH + 8;
    public static final int SMOOTHED_RTT_OFFSET = Header.LENGTH + 12;
    public static final int EPOCH_OFFSET = Header.LENGTH + 16;
    public static final int RECEIVED_OFFSET = Header.LENGTH + 24;
    public static final int PASSED_OFFSET = Header.LENGTH + 32;

    public static final int KEEPALIVE_LENGTH = 40;
    public static final int ACK_LENGTH = 40;

    private Probe() {
    }

    /** Writes a whole keepalive datagram at offset 0 and sets position 0 and the limit to its end. */
    public static void writeKeepalive(ByteBuffer buffer, long sessionId, long probeNumber, long originTime,
                                      int pathIndex, long smoothedRttMicros) {
        Header.write(buffer, Header.TYPE_KEEPALIVE, sessionId, probeNumber, KEEPALIVE_LENGTH);
        buffer.putLong(ORIGIN_TIME_OFFSET, originTime)
                .putShort(PATH_INDEX_OFFSET, (short) pathIndex)
                .putShort(PATH_INDEX_OFFSET + 2, (short) 0)
                .putInt(SMOOTHED_RTT_OFFSET, (int) Math.min(Math.max(smoothedRttMicros, 0), 0xFFFF_FFFFL))
                .putLong(EPOCH_OFFSET, 0)
                .putLong(RECEIVED_OFFSET, 0)
                .putLong(PASSED_OFFSET, 0);
        buffer.limit(Header.LENGTH + KEEPALIVE_LENGTH).position(0);
    }

    /**
     * Turns the keepalive in {@code buffer} into its acknowledgement in place: same session,
     * number and probe bytes, then the epoch and the receiver's report. Sets position 0 and the
     * limit to its end.
     *
     * @param received data datagrams of the session accepted as first copies so far
     * @param passed   the highest data sequence accepted plus one (0 before any): how many
     *                 sequence numbers the sender has used up to the newest that arrived;
     *                 at least {@code received}
     */
    public static void turnIntoAck(ByteBuffer buffer, long epoch, long received, long passed) {
        buffer.limit(buffer.capacity());
        buffer.put(Header.TYPE_OFFSET, Header.TYPE_KEEPALIVE_ACK)
                .putShort(Header.PAYLOAD_LENGTH_OFFSET, (short) ACK_LENGTH)
                .putLong(EPOCH_OFFSET, epoch)
                .putLong(RECEIVED_OFFSET, received)
                .putLong(PASSED_OFFSET, passed);
        buffer.limit(Header.LENGTH + ACK_LENGTH).position(0);
    }

    /**
     * What {@link Header#check} leaves to the payload of a keepalive: its 24 reserved bytes are 0.
     *
     * @return whether the keepalive (already checked by {@link Header#check}) is well-formed
     */
    public static boolean keepaliveValid(ByteBuffer buffer) {
        return buffer.getLong(EPOCH_OFFSET) == 0 && buffer.getLong(RECEIVED_OFFSET) == 0
                && buffer.getLong(PASSED_OFFSET) == 0;
    }

    /**
     * What {@link Header#check} leaves to the payload of an ack: both counts are non-negative and
     * no more datagrams were received than sequence numbers passed.
     *
     * @return whether the ack (already checked by {@link Header#check}) is well-formed
     */
    public static boolean ackValid(ByteBuffer buffer) {
        long received = received(buffer);
        return received >= 0 && passed(buffer) >= received;
    }

    public static long originTime(ByteBuffer buffer) {
        return buffer.getLong(ORIGIN_TIME_OFFSET);
    }

    public static int pathIndex(ByteBuffer buffer) {
        return buffer.getShort(PATH_INDEX_OFFSET) & 0xFFFF;
    }

    public static long smoothedRttMicros(ByteBuffer buffer) {
        return buffer.getInt(SMOOTHED_RTT_OFFSET) & 0xFFFF_FFFFL;
    }

    public static long epoch(ByteBuffer buffer) {
        return buffer.getLong(EPOCH_OFFSET);
    }

    public static long received(ByteBuffer buffer) {
        return buffer.getLong(RECEIVED_OFFSET);
    }

    public static long passed(ByteBuffer buffer) {
        return buffer.getLong(PASSED_OFFSET);
    }
}
