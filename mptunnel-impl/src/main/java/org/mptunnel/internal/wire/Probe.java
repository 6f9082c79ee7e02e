package org.mptunnel.internal.wire;

import java.nio.ByteBuffer;

/**
 * The payload of a keepalive and of its acknowledgement, right after the {@link Header}.
 *
 * <pre>
 *  keepalive:  0 origin time (u64, sender's clock, echoed)   8 path index (u16)
 *             10 path report layout (u16): 0 none, 1 a path report follows at 16
 *             12 sender's smoothed RTT on this path, microseconds (u32, 0 = unknown)
 *             16 layout 0: reserved (24 bytes, 0): room for the ack's fields
 *                layout 1: 16 the number of the ack the report was taken at (u64),
 *                          24 data datagrams of the server's that had arrived on this path then (u64),
 *                          32 reserved (u64, 0)
 *  ack:       the first 10 keepalive bytes echoed, then 10 path report layout (u16): 1 from a
 *             server that counts per path (an older one echoes the keepalive's 0),
 *             12 layout 1: data datagrams of the session's that have arrived from this path's
 *             address, mod 2^32 (u32); layout 0: the keepalive's RTT echoed,
 *             16 server epoch (u64), 24 data received (u64), 32 data passed (u64), with received &lt;= passed
 * </pre>
 *
 * <p>The path report (layout 1) tells a sender how many of the data datagrams it sent on one path
 * arrived there, so that it can tell which path loses (docs/PROTOCOL.md, "Per-path reports"). Older
 * peers neither send it nor are sent what they would reject: an older server does not check the
 * layout field and echoes it, an older client does not read the ack's bytes 10 to 16, and a client
 * puts a report in its keepalives only to a server whose acks say it counts per path.
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
    public static final int REPORT_LAYOUT_OFFSET = Header.LENGTH + 10;
    /** Ack, layout 1: what arrived on the path, where the keepalive's smoothed RTT was. */
    public static final int PATH_ARRIVED_OFFSET = Header.LENGTH + 12;
    public static final int SMOOTHED_RTT_OFFSET = Header.LENGTH + 12;
    public static final int EPOCH_OFFSET = Header.LENGTH + 16;
    public static final int RECEIVED_OFFSET = Header.LENGTH + 24;
    public static final int PASSED_OFFSET = Header.LENGTH + 32;
    /** Keepalive, layout 1: the ack number the report was taken at, where the ack's epoch goes. */
    public static final int REPORT_ACK_NUMBER_OFFSET = EPOCH_OFFSET;
    /** Keepalive, layout 1: what had arrived on the path when that ack did. */
    public static final int REPORT_ARRIVED_OFFSET = RECEIVED_OFFSET;

    /** The report layout of a keepalive or ack without a path report. */
    public static final int NO_PATH_REPORT = 0;
    /** The report layout of a keepalive or ack with a path report (see the class comment). */
    public static final int PATH_REPORT = 1;

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
     * Adds a path report to the keepalive just written by {@link #writeKeepalive} (layout 1).
     *
     * @param ackNumber the number of the ack on this path the report was taken at
     * @param arrived   the peer's data datagrams that had arrived on this path when that ack did
     */
    public static void addPathReport(ByteBuffer buffer, long ackNumber, long arrived) {
        buffer.putShort(REPORT_LAYOUT_OFFSET, (short) PATH_REPORT)
                .putLong(REPORT_ACK_NUMBER_OFFSET, ackNumber)
                .putLong(REPORT_ARRIVED_OFFSET, arrived);
    }

    /**
     * Turns the keepalive in {@code buffer} into its acknowledgement in place: same session,
     * number, origin time and path index, then the path report, the epoch and the receiver's
     * report. Sets position 0 and the limit to its end.
     *
     * @param received    data datagrams of the session accepted as first copies so far
     * @param passed      the highest data sequence accepted plus one (0 before any): how many
     *                    sequence numbers the sender has used up to the newest that arrived;
     *                    at least {@code received}
     * @param pathArrived data datagrams of the session that have arrived from the keepalive's
     *                    path (first copies, duplicates and late ones alike); sent mod 2^32
     */
    public static void turnIntoAck(ByteBuffer buffer, long epoch, long received, long passed, long pathArrived) {
        buffer.limit(buffer.capacity());
        buffer.put(Header.TYPE_OFFSET, Header.TYPE_KEEPALIVE_ACK)
                .putShort(Header.PAYLOAD_LENGTH_OFFSET, (short) ACK_LENGTH)
                .putShort(REPORT_LAYOUT_OFFSET, (short) PATH_REPORT)
                .putInt(PATH_ARRIVED_OFFSET, (int) pathArrived)
                .putLong(EPOCH_OFFSET, epoch)
                .putLong(RECEIVED_OFFSET, received)
                .putLong(PASSED_OFFSET, passed);
        buffer.limit(Header.LENGTH + ACK_LENGTH).position(0);
    }

    /**
     * What {@link Header#check} leaves to the payload of a keepalive: without a path report its 24
     * reserved bytes are 0; with one, its counts are non-negative and its last 8 bytes are 0.
     *
     * @return whether the keepalive (already checked by {@link Header#check}) is well-formed
     */
    public static boolean keepaliveValid(ByteBuffer buffer) {
        return switch (reportLayout(buffer)) {
            case NO_PATH_REPORT -> buffer.getLong(EPOCH_OFFSET) == 0 && buffer.getLong(RECEIVED_OFFSET) == 0
                    && buffer.getLong(PASSED_OFFSET) == 0;
            case PATH_REPORT -> reportAckNumber(buffer) >= 0 && reportArrived(buffer) >= 0
                    && buffer.getLong(PASSED_OFFSET) == 0;
            default -> false;
        };
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

    /** @return {@link #NO_PATH_REPORT} or {@link #PATH_REPORT} (or a value no peer of this version sends) */
    public static int reportLayout(ByteBuffer buffer) {
        return buffer.getShort(REPORT_LAYOUT_OFFSET) & 0xFFFF;
    }

    /** Ack with a path report: @return what arrived on the path, mod 2^32 */
    public static long pathArrived(ByteBuffer buffer) {
        return buffer.getInt(PATH_ARRIVED_OFFSET) & 0xFFFF_FFFFL;
    }

    /** Keepalive with a path report: @return the number of the ack the report was taken at */
    public static long reportAckNumber(ByteBuffer buffer) {
        return buffer.getLong(REPORT_ACK_NUMBER_OFFSET);
    }

    /** Keepalive with a path report: @return the peer's data that had arrived on the path at that ack */
    public static long reportArrived(ByteBuffer buffer) {
        return buffer.getLong(REPORT_ARRIVED_OFFSET);
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
