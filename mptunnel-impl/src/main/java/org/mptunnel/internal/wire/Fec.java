package org.mptunnel.internal.wire;

import java.nio.ByteBuffer;

/**
 * Forward error correction's two datagram types (docs/PROTOCOL.md, "Forward error correction"):
 * a FEC_DATA datagram is a DATA datagram that belongs to a group, a FEC_REPAIR datagram carries one
 * of its group's repair payloads. Both start with the {@link Header} (sealed in version 2 like any
 * data), then a block of their own:
 *
 * <pre>
 *  FEC_DATA (8): sequence = the data sequence number, as for DATA
 *  24       28      29    30    31      32
 *  +--------+-------+-----+-----+-------+------------------+
 *  | group  | index | k   | m   | flags | payload          |
 *  | u32    | u8    | u8  | u8  | u8    | 0..1,500 bytes   |
 *  +--------+-------+-----+-----+-------+------------------+
 *
 *  FEC_REPAIR (9): sequence = the repair's own number (a space of its own, one up per repair)
 *  24       28    29    30         32               40
 *  +--------+-----+-----+----------+----------------+------------------------------------+
 *  | group  | k   | m   | reserved | first sequence | repair payload: shard, k', index     |
 *  | u32    | u8  | u8  | u16 = 0  | u64            | ShardLayout's, 4..1,510 bytes        |
 *  +--------+-----+-----+----------+----------------+------------------------------------+
 * </pre>
 *
 * The group number counts the sender's groups (mod 2³²); a group's data datagrams have consecutive
 * sequence numbers, index j having the group's first sequence + j, which is how a receiver numbers
 * a datagram it rebuilt. k and m are the sender's code rate for the group (a group a deadline
 * closed has fewer than k datagrams: the repair payload says how many). Flag bit 0: the sender also
 * duplicates its data datagrams on a second path. Only here are these offsets declared.
 */
public final class Fec {

    public static final int GROUP_OFFSET = Header.LENGTH;
    public static final int DATA_INDEX_OFFSET = Header.LENGTH + 4;
    public static final int DATA_K_OFFSET = Header.LENGTH + 5;
    public static final int DATA_M_OFFSET = Header.LENGTH + 6;
    public static final int DATA_FLAGS_OFFSET = Header.LENGTH + 7;
    /** Where a FEC_DATA datagram's payload starts. */
    public static final int DATA_PAYLOAD_OFFSET = Header.LENGTH + 8;

    public static final int REPAIR_K_OFFSET = Header.LENGTH + 4;
    public static final int REPAIR_M_OFFSET = Header.LENGTH + 5;
    public static final int REPAIR_RESERVED_OFFSET = Header.LENGTH + 6;
    public static final int REPAIR_FIRST_OFFSET = Header.LENGTH + 8;
    /** Where a FEC_REPAIR datagram's repair payload starts. */
    public static final int REPAIR_PAYLOAD_OFFSET = Header.LENGTH + 16;

    /** Flag: the sender sends each data datagram on two paths as well as coding it. */
    public static final int FLAG_DUPLICATED = 1;

    /** The largest k (data datagrams per group) on the wire. */
    public static final int MAX_K = 32;
    /** The largest m (repair datagrams per group) on the wire. */
    public static final int MAX_M = 16;
    /**
     * The longest payload a FEC_DATA datagram carries: a 1,500-byte packet and its tunnel header fit;
     * longer datagrams leave as DATA, uncoded. It bounds what a receiver's decoder holds per shard.
     */
    public static final int MAX_CODED_PAYLOAD = 1_500;
    /** The shortest repair payload: a shard of 8 bytes (a length prefix, padding) and its 2-byte trailer. */
    public static final int MIN_REPAIR_PAYLOAD = 10;
    /** The longest repair payload: the shard of the longest coded payload and its trailer. */
    public static final int MAX_REPAIR_PAYLOAD = ((2 + MAX_CODED_PAYLOAD + 7) & ~7) + 2;

    /**
     * The most a FEC datagram's payload field exceeds the application payload it codes: a repair's
     * block (16), the shard's length prefix (2) and padding (up to 7), and its trailer (2).
     */
    public static final int MAX_EXPANSION = REPAIR_PAYLOAD_OFFSET - Header.LENGTH + 2 + 7 + 2;

    private Fec() {
    }

    /** Writes a FEC_DATA block; the header is the codec's. */
    public static void writeData(ByteBuffer datagram, int group, int index, int k, int m, int flags) {
        datagram.putInt(GROUP_OFFSET, group)
                .put(DATA_INDEX_OFFSET, (byte) index)
                .put(DATA_K_OFFSET, (byte) k)
                .put(DATA_M_OFFSET, (byte) m)
                .put(DATA_FLAGS_OFFSET, (byte) flags);
    }

    /** Writes a FEC_REPAIR block; the header is the codec's, the repair payload follows at {@link #REPAIR_PAYLOAD_OFFSET}. */
    public static void writeRepair(ByteBuffer datagram, int group, int k, int m, long firstSequence) {
        datagram.putInt(GROUP_OFFSET, group)
                .put(REPAIR_K_OFFSET, (byte) k)
                .put(REPAIR_M_OFFSET, (byte) m)
                .putShort(REPAIR_RESERVED_OFFSET, (short) 0)
                .putLong(REPAIR_FIRST_OFFSET, firstSequence);
    }

    /**
     * Validates an (opened) FEC_DATA datagram's block against its payload length: 1 ≤ k ≤
     * {@value #MAX_K}, 1 ≤ m ≤ {@value #MAX_M}, index &lt; k, no unknown flag, a payload of at most
     * {@value #MAX_CODED_PAYLOAD} bytes.
     *
     * @param payloadLength the bytes after the header (block and payload; no tag)
     */
    public static boolean dataValid(ByteBuffer datagram, int payloadLength) {
        if (payloadLength < DATA_PAYLOAD_OFFSET - Header.LENGTH
                || payloadLength - (DATA_PAYLOAD_OFFSET - Header.LENGTH) > MAX_CODED_PAYLOAD) {
            return false;
        }
        int k = k(datagram, DATA_K_OFFSET);
        int m = k(datagram, DATA_M_OFFSET);
        return k >= 1 && k <= MAX_K && m >= 1 && m <= MAX_M && dataIndex(datagram) < k
                && (datagram.get(DATA_FLAGS_OFFSET) & ~FLAG_DUPLICATED) == 0;
    }

    /**
     * Validates an (opened) FEC_REPAIR datagram's block: k and m as for data, reserved 0, a
     * non-negative first sequence, a repair payload of {@value #MIN_REPAIR_PAYLOAD} to
     * {@link #MAX_REPAIR_PAYLOAD} bytes (the decoder checks the rest).
     */
    public static boolean repairValid(ByteBuffer datagram, int payloadLength) {
        int repair = payloadLength - (REPAIR_PAYLOAD_OFFSET - Header.LENGTH);
        if (repair < MIN_REPAIR_PAYLOAD || repair > MAX_REPAIR_PAYLOAD) {
            return false;
        }
        int k = k(datagram, REPAIR_K_OFFSET);
        int m = k(datagram, REPAIR_M_OFFSET);
        return k >= 1 && k <= MAX_K && m >= 1 && m <= MAX_M && datagram.getShort(REPAIR_RESERVED_OFFSET) == 0
                && firstSequence(datagram) >= 0;
    }

    private static int k(ByteBuffer datagram, int offset) {
        return datagram.get(offset) & 0xFF;
    }

    /** @return the group number as sent (mod 2³²) */
    public static int group(ByteBuffer datagram) {
        return datagram.getInt(GROUP_OFFSET);
    }

    public static int dataIndex(ByteBuffer datagram) {
        return datagram.get(DATA_INDEX_OFFSET) & 0xFF;
    }

    public static int dataK(ByteBuffer datagram) {
        return k(datagram, DATA_K_OFFSET);
    }

    public static int dataM(ByteBuffer datagram) {
        return k(datagram, DATA_M_OFFSET);
    }

    public static boolean duplicated(ByteBuffer datagram) {
        return (datagram.get(DATA_FLAGS_OFFSET) & FLAG_DUPLICATED) != 0;
    }

    public static int repairK(ByteBuffer datagram) {
        return k(datagram, REPAIR_K_OFFSET);
    }

    public static int repairM(ByteBuffer datagram) {
        return k(datagram, REPAIR_M_OFFSET);
    }

    public static long firstSequence(ByteBuffer datagram) {
        return datagram.getLong(REPAIR_FIRST_OFFSET);
    }

    /**
     * @param newest the newest group number seen (≥ 0), or −1 before any
     * @param wire   a group number as sent, mod 2³²
     * @return the group number nearest to {@code newest} with those low 32 bits; negative if that
     *         is before the first group (nothing to decode)
     */
    public static long unwrapGroup(long newest, int wire) {
        if (newest < 0) {
            return wire & 0xFFFF_FFFFL;
        }
        return newest + (wire - (int) newest);
    }
}
