package org.mptunnel.internal.fec;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The sender's side of forward error correction: it is fed the data datagrams one by one, keeps a
 * copy of each (it does not change or hold the caller's buffer), and when k datagrams or the
 * caller's deadline close the group, computes the m repair payloads ({@link ShardLayout}).
 *
 * <p>Groups are numbered from 0, one up per group. The deadline is the caller's timer: {@link #add}
 * returns 0 for the datagram that opened a group, and {@link #closeGroup} closes one early, with
 * k' &lt; k datagrams. The repair payloads of the latest closed group stay readable until the next
 * group closes. Buffers are allocated by the constructor: in use, nothing is allocated.
 *
 * <p>Not thread-safe: one sending thread at a time.
 */
public final class FecEncoder {

    private final int k;
    private final int m;
    private final int maxPayload;
    private final ReedSolomon codec;
    private final byte[][] data;
    private final byte[][] repair;
    private final ByteBuffer[] repairViews;

    private long group = -1;
    private int count;
    private int longest;
    private boolean repairsReady;

    /**
     * @param k          data datagrams per group, at least 1
     * @param m          repair payloads per group, at least 1; k + m ≤ 256
     * @param maxPayload the longest datagram accepted, at most {@value ShardLayout#MAX_PAYLOAD} bytes
     */
    public FecEncoder(int k, int m, int maxPayload) {
        if (m < 1) {
            throw new IllegalArgumentException("m must be at least 1: " + m);
        }
        if (maxPayload < 0 || maxPayload > ShardLayout.MAX_PAYLOAD) {
            throw new IllegalArgumentException("maxPayload outside 0.." + ShardLayout.MAX_PAYLOAD + ": " + maxPayload);
        }
        this.codec = new ReedSolomon(k, m, 1);
        this.k = k;
        this.m = m;
        this.maxPayload = maxPayload;
        int shard = ShardLayout.shardLength(maxPayload);
        this.data = new byte[k][shard];
        this.repair = new byte[m][shard + ShardLayout.TRAILER];
        this.repairViews = new ByteBuffer[m];
        for (int i = 0; i < m; i++) {
            repairViews[i] = ByteBuffer.wrap(repair[i]).asReadOnlyBuffer();
        }
    }

    /**
     * Adds one data datagram, the bytes from {@code payload}'s position to its limit (the buffer's
     * position is not moved), to the open group, opening one if none is. If it is the k-th, the
     * group closes and its repair payloads are ready.
     *
     * @return its index in its group: 0 if it opened the group (the caller's deadline starts now)
     * @throws IllegalArgumentException if the payload is longer than the encoder's maximum
     */
    public int add(ByteBuffer payload) {
        int length = payload.remaining();
        byte[] shard = open(length);
        payload.get(payload.position(), shard, ShardLayout.PREFIX, length);
        return added(length);
    }

    /** As {@link #add(ByteBuffer)}, from {@code length} bytes of an array at {@code offset}. */
    public int add(byte[] payload, int offset, int length) {
        byte[] shard = open(length);
        System.arraycopy(payload, offset, shard, ShardLayout.PREFIX, length);
        return added(length);
    }

    /** @return the next shard, its length written, a group opened if none is */
    private byte[] open(int length) {
        if (length > maxPayload) {
            throw new IllegalArgumentException("payload of " + length + " bytes exceeds " + maxPayload);
        }
        if (count == 0) {
            group++;
        }
        byte[] shard = data[count];
        ShardLayout.writeLength(shard, length);
        return shard;
    }

    private int added(int length) {
        int index = count;
        longest = Math.max(longest, length);
        count++;
        if (count == k) {
            close();
        }
        return index;
    }

    /**
     * Closes the open group early (its deadline passed), coding over the datagrams it has.
     *
     * @return true if a group was open and its repair payloads are now ready; false if no datagram
     *         was added since the last group closed
     */
    public boolean closeGroup() {
        if (count == 0) {
            return false;
        }
        close();
        return true;
    }

    private void close() {
        int shardLength = ShardLayout.shardLength(longest);
        for (int j = 0; j < count; j++) {
            Arrays.fill(data[j], ShardLayout.PREFIX + ShardLayout.readLength(data[j]), shardLength, (byte) 0);
        }
        codec.encode(data, count, repair, m, shardLength);
        for (int i = 0; i < m; i++) {
            repair[i][shardLength] = (byte) count;
            repair[i][shardLength + 1] = (byte) i;
            repairViews[i].limit(shardLength + ShardLayout.TRAILER);
        }
        repairsReady = true;
        count = 0;
        longest = 0;
    }

    /**
     * @return the number of the group the latest datagram joined (while it is open, and after it
     *         closed until the next datagram opens another); −1 before the first datagram
     */
    public long group() {
        return group;
    }

    /** @return how many datagrams the open group has (0 if none is open) */
    public int openCount() {
        return count;
    }

    /** @return k, the data datagrams that close a group */
    public int dataCount() {
        return k;
    }

    /** @return m, the repair payloads per group */
    public int repairCount() {
        return m;
    }

    /**
     * @param i the repair's index, in [0, m)
     * @return repair payload i of the latest closed group ({@link #group()} until the next datagram
     *         is added), read-only, from position 0 to its length; the same buffer each time, valid
     *         until the next group closes
     * @throws IllegalStateException if no group has closed yet
     */
    public ByteBuffer repair(int i) {
        if (!repairsReady) {
            throw new IllegalStateException("no group has closed yet");
        }
        ByteBuffer view = repairViews[i];
        view.position(0);
        return view;
    }
}
