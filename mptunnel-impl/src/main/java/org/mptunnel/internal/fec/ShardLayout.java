package org.mptunnel.internal.fec;

/**
 * How a group of datagrams of different lengths becomes equal-length shards, and what a repair
 * payload carries. Socket-free and wire-free: the engine puts its own header in front of both.
 *
 * <p>A group has k' data datagrams (1 ≤ k' ≤ k: a deadline may close it early) whose longest payload
 * is L bytes. Each becomes a shard of S bytes, the code's unit: L + 2 rounded up to a multiple of 8
 * (the code's bit planes, {@link ReedSolomon}):
 *
 * <pre>
 *  data shard j (kept by encoder and decoder, never sent as such)
 *  0        2                  2 + lenⱼ              S = L + 2 (+ 0..7)
 *  +--------+------------------+---------------------+
 *  | lenⱼ   | payload j        | zeros               |
 *  | uint16 | lenⱼ bytes       | S − 2 − lenⱼ bytes  |
 *  +--------+------------------+---------------------+
 *
 *  repair payload i (what the encoder hands out, i in [0, m))
 *  0                                    S          S + 1      S + 2
 *  +------------------------------------+----------+----------+
 *  | repair shard i: Σⱼ C[i][j]·shardⱼ  | k'       | i        |
 *  | S bytes                            | uint8    | uint8    |
 *  +------------------------------------+----------+----------+
 * </pre>
 *
 * The length prefix is coded with the payload, so a rebuilt shard says its own payload's length;
 * the padding is never sent (data datagrams leave unchanged). A repair payload says how many data
 * shards its group had (k') and which repair it is (its row of {@link ReedSolomon}'s matrix); S
 * follows from its length. Lengths are big-endian; a payload is at most 65,535 bytes. A repair
 * payload is 4 to 11 bytes longer than its group's longest data payload.
 */
final class ShardLayout {

    /** The length prefix in front of each data shard's payload. */
    static final int PREFIX = 2;
    /** The k' and index bytes behind each repair shard. */
    static final int TRAILER = 2;
    /** The longest payload a 2-byte prefix can describe. */
    static final int MAX_PAYLOAD = 0xFFFF;

    private ShardLayout() {
    }

    /** @return the shard length S of a group whose longest payload is {@code longestPayload} */
    static int shardLength(int longestPayload) {
        return (PREFIX + longestPayload + 7) & ~7;
    }

    static void writeLength(byte[] shard, int length) {
        shard[0] = (byte) (length >>> 8);
        shard[1] = (byte) length;
    }

    static int readLength(byte[] shard) {
        return (shard[0] & 0xFF) << 8 | shard[1] & 0xFF;
    }
}
