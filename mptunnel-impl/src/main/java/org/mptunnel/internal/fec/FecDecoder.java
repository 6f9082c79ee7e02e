package org.mptunnel.internal.fec;

import java.nio.ByteBuffer;
import java.util.Arrays;
import org.mptunnel.internal.path.Counter;

/**
 * The receiver's side of forward error correction: it is given each group's data datagrams (which
 * the caller delivers at once as well) and repair payloads as they arrive, and as soon as a group
 * has k' of its k' + m shards with data missing, rebuilds the missing datagrams and hands them to
 * the {@link Sink}.
 *
 * <p>Memory is bounded: a ring of {@code slots} groups, indexed by group number; each slot holds
 * up to k + m shards of up to maxPayload + 2 bytes (rounded up to a multiple of 8), allocated by the
 * constructor (about slots × (k + m) × (maxPayload + 2) bytes in all). A group older than the newest by {@code slots} or more is
 * refused ({@link #tooOld()}); a newer group reusing a slot evicts the group there, which expires
 * ({@link #groupsExpired()}) if it was not complete. Each data datagram is copied into its slot (a
 * copy of at most maxPayload bytes); in use nothing is allocated.
 *
 * <p>Input from the network is checked, not trusted: an index, length or trailer outside the
 * limits, or a repair that disagrees with its group's earlier ones, is dropped and counted as
 * {@link #malformed()}. Not thread-safe: one receiving thread (the I/O thread); the counters may be
 * read from any thread.
 */
public final class FecDecoder {

    /** Receives the datagrams the decoder rebuilds. */
    @FunctionalInterface
    public interface Sink {
        /**
         * @param group   the datagram's group
         * @param index   its index in the group
         * @param payload the rebuilt datagram, read-only, from its position to its limit; valid only
         *                during the call
         */
        void recovered(long group, int index, ByteBuffer payload);
    }

    private final int maxData;
    private final int maxRepair;
    private final int maxPayload;
    private final ReedSolomon codec;
    private final Group[] ring;
    private final Sink sink;
    private final int[] rebuilt;

    private long newest = -1;

    private final Counter datagramsRecovered = new Counter();
    private final Counter groupsExpired = new Counter();
    private final Counter datagramsLost = new Counter();
    private final Counter tooOld = new Counter();
    private final Counter malformed = new Counter();

    /**
     * @param maxData    the largest k' a group may have, at least 1
     * @param maxRepair  the largest m; maxData + maxRepair ≤ 256
     * @param maxPayload the longest data payload, at most {@value ShardLayout#MAX_PAYLOAD} bytes
     * @param slots      how many groups are kept open at once, at least 1
     * @param sink       receives rebuilt datagrams
     */
    public FecDecoder(int maxData, int maxRepair, int maxPayload, int slots, Sink sink) {
        if (maxPayload < 0 || maxPayload > ShardLayout.MAX_PAYLOAD) {
            throw new IllegalArgumentException("maxPayload outside 0.." + ShardLayout.MAX_PAYLOAD + ": " + maxPayload);
        }
        if (slots < 1) {
            throw new IllegalArgumentException("slots must be at least 1: " + slots);
        }
        // One recipe per slot: a steady erasure pattern (one lossy path) is then always cached.
        this.codec = new ReedSolomon(maxData, maxRepair, Math.max(slots, 16));
        this.maxData = maxData;
        this.maxRepair = maxRepair;
        this.maxPayload = maxPayload;
        this.sink = sink;
        this.ring = new Group[slots];
        for (int s = 0; s < slots; s++) {
            ring[s] = new Group(maxData, maxRepair, ShardLayout.shardLength(maxPayload));
        }
        this.rebuilt = new int[maxRepair];
    }

    /**
     * Takes a copy of data datagram {@code index} of {@code group}: the bytes from the payload's
     * position to its limit (the position is not moved). Rebuilds what it completes.
     */
    public void data(long group, int index, ByteBuffer payload) {
        int length = payload.remaining();
        if (index < 0 || index >= maxData || length > maxPayload || group < 0) {
            malformed.increment();
            return;
        }
        Group g = slot(group);
        if (g == null || g.done || g.dataPresent[index]) {
            return;
        }
        if (g.count > 0 && (index >= g.count || ShardLayout.PREFIX + length > g.shardLength)) {
            malformed.increment();
            return;
        }
        byte[] shard = g.data[index];
        ShardLayout.writeLength(shard, length);
        payload.get(payload.position(), shard, ShardLayout.PREFIX, length);
        g.dataPresent[index] = true;
        g.dataReceived++;
        complete(g);
    }

    /**
     * Takes a copy of a repair payload of {@code group} (from its position to its limit; the
     * position is not moved). Rebuilds what it completes.
     */
    public void repair(long group, ByteBuffer payload) {
        int length = payload.remaining();
        int shardLength = length - ShardLayout.TRAILER;
        if (group < 0 || shardLength < ShardLayout.PREFIX || shardLength > ShardLayout.shardLength(maxPayload)
                || (shardLength & 7) != 0) {
            malformed.increment();
            return;
        }
        int end = payload.position() + shardLength;
        int count = payload.get(end) & 0xFF;
        int index = payload.get(end + 1) & 0xFF;
        if (count < 1 || count > maxData || index >= maxRepair) {
            malformed.increment();
            return;
        }
        Group g = slot(group);
        if (g == null || g.done || g.repairPresent[index]) {
            return;
        }
        if (g.count > 0 ? g.count != count || g.shardLength != shardLength : !fits(g, count, shardLength)) {
            malformed.increment();
            return;
        }
        g.count = count;
        g.shardLength = shardLength;
        payload.get(payload.position(), g.repair[index], 0, shardLength);
        g.repairPresent[index] = true;
        g.repairReceived++;
        complete(g);
    }

    /** @return whether the data already received fit a group of {@code count} shards of {@code shardLength} */
    private static boolean fits(Group g, int count, int shardLength) {
        for (int j = 0; j < g.dataPresent.length; j++) {
            if (g.dataPresent[j] && (j >= count || ShardLayout.PREFIX + ShardLayout.readLength(g.data[j]) > shardLength)) {
                return false;
            }
        }
        return true;
    }

    /** @return the slot holding {@code group}, claimed for it if needed; null if the group is too old */
    private Group slot(long group) {
        if (newest >= 0 && newest - group >= ring.length) {
            tooOld.increment();
            return null;
        }
        newest = Math.max(newest, group);
        Group g = ring[(int) (group % ring.length)];
        if (g.number != group) {
            // Within the ring's reach a slot can only hold an older group.
            if (g.number >= 0 && !g.done) {
                groupsExpired.increment();
                if (g.count > 0) {
                    datagramsLost.add(g.count - g.dataReceived);
                }
            }
            g.reset(group);
        }
        return g;
    }

    /** Marks the group done once it is whole, rebuilding its missing data if it can. */
    private void complete(Group g) {
        if (g.count == 0) {
            // No repair yet: only a full group is known to be whole.
            g.done = g.dataReceived == maxData;
            return;
        }
        if (g.dataReceived == g.count) {
            g.done = true;
            return;
        }
        if (g.dataReceived + g.repairReceived < g.count) {
            return;
        }
        int missing = 0;
        for (int j = 0; j < g.count; j++) {
            if (g.dataPresent[j]) {
                byte[] shard = g.data[j];
                Arrays.fill(shard, ShardLayout.PREFIX + ShardLayout.readLength(shard), g.shardLength, (byte) 0);
            } else {
                rebuilt[missing++] = j;
            }
        }
        codec.decode(g.data, g.dataPresent, g.count, g.repair, g.repairPresent, maxRepair, g.shardLength);
        g.done = true;
        for (int t = 0; t < missing; t++) {
            int j = rebuilt[t];
            int length = ShardLayout.readLength(g.data[j]);
            if (ShardLayout.PREFIX + length > g.shardLength) {
                // Only shards that disagree with each other rebuild into this.
                malformed.increment();
                continue;
            }
            datagramsRecovered.increment();
            ByteBuffer view = g.views[j];
            view.limit(ShardLayout.PREFIX + length).position(ShardLayout.PREFIX);
            sink.recovered(g.number, j, view);
        }
    }

    /**
     * @return data datagram {@code index} of {@code group} as received or rebuilt, read-only, from
     *         its position to its limit, while the group is in the ring; null if it is not there.
     *         Valid until the next call that takes a datagram or repair. Lets a sink that cannot
     *         deliver during {@link Sink#recovered} (its caller's buffer is busy) deliver just after.
     */
    public ByteBuffer payload(long group, int index) {
        if (group < 0 || index < 0 || index >= maxData) {
            return null;
        }
        Group g = ring[(int) (group % ring.length)];
        if (g.number != group || !(g.dataPresent[index] || g.done && index < g.count)) {
            return null;
        }
        int length = ShardLayout.readLength(g.data[index]);
        ByteBuffer view = g.views[index];
        view.limit(ShardLayout.PREFIX + length).position(ShardLayout.PREFIX);
        return view;
    }

    /** @return about what a decoder of these limits holds: its shards (the recipes are a few KB more) */
    public static long bytesFor(int maxData, int maxRepair, int maxPayload, int slots) {
        return (long) slots * (maxData + maxRepair) * ShardLayout.shardLength(maxPayload);
    }

    /** @return the largest k' this decoder takes */
    public int maxData() {
        return maxData;
    }

    /** @return the largest m this decoder takes */
    public int maxRepair() {
        return maxRepair;
    }

    /** @return datagrams rebuilt and handed to the sink */
    public long datagramsRecovered() {
        return datagramsRecovered.get();
    }

    /** @return groups evicted from the ring before they were whole */
    public long groupsExpired() {
        return groupsExpired.get();
    }

    /**
     * @return data datagrams missing from expired groups whose size was known (from a repair): lost
     *         for good unless they arrive by other means
     */
    public long datagramsLost() {
        return datagramsLost.get();
    }

    /** @return datagrams and repairs of groups already out of the ring, ignored */
    public long tooOld() {
        return tooOld.get();
    }

    /** @return inputs refused as malformed or inconsistent with their group */
    public long malformed() {
        return malformed.get();
    }

    /** One slot of the ring: a group's shards and what has arrived of it. */
    private static final class Group {
        long number = -1;
        /** k', from the group's repairs; 0 until one arrives. */
        int count;
        int shardLength;
        int dataReceived;
        int repairReceived;
        boolean done;
        final boolean[] dataPresent;
        final boolean[] repairPresent;
        final byte[][] data;
        final byte[][] repair;
        final ByteBuffer[] views;

        Group(int maxData, int maxRepair, int maxShard) {
            dataPresent = new boolean[maxData];
            repairPresent = new boolean[maxRepair];
            data = new byte[maxData][maxShard];
            repair = new byte[maxRepair][maxShard];
            views = new ByteBuffer[maxData];
            for (int j = 0; j < maxData; j++) {
                views[j] = ByteBuffer.wrap(data[j]).asReadOnlyBuffer();
            }
        }

        void reset(long number) {
            this.number = number;
            count = 0;
            shardLength = 0;
            dataReceived = 0;
            repairReceived = 0;
            done = false;
            Arrays.fill(dataPresent, false);
            Arrays.fill(repairPresent, false);
        }
    }
}
