package org.mptunnel.internal.session;

import java.nio.ByteBuffer;
import java.util.Arrays;
import org.mptunnel.internal.fec.FecDecoder;
import org.mptunnel.internal.path.Counter;
import org.mptunnel.internal.wire.Fec;

/**
 * One session's inbound forward error correction, on the I/O thread: the {@link FecDecoder}, each
 * open group's first sequence number (so that a rebuilt datagram gets its own), and the datagrams
 * the last input rebuilt, which the engine delivers once the datagram that completed them is out
 * of its receive buffer. The decoder is sized to the largest k and m the peer has used (resized,
 * losing its open groups, only when a group needs more); {@link #bytes} is what it holds, which the
 * engine charges to its budget.
 */
public final class FecInbound implements FecDecoder.Sink {

    /** Groups held open at once: at 5,000 datagrams a second and k = 8, 50 ms of groups. */
    public static final int SLOTS = 32;

    private FecDecoder decoder;
    private long newestGroup = -1;
    private final long[] firstOf = new long[SLOTS];
    private final long[] firstSequence = new long[SLOTS];
    private final long[] pendingGroup = new long[Fec.MAX_M];
    private final int[] pendingIndex = new int[Fec.MAX_M];
    private int pending;
    private final Counter repairsReceived = new Counter();
    /** What decoders replaced by {@link #grow} had recovered. */
    private long recoveredBefore;

    /** @param k, m the first group's: the decoder's first size */
    public FecInbound(int k, int m) {
        this.decoder = new FecDecoder(k, m, Fec.MAX_CODED_PAYLOAD, SLOTS, this);
        Arrays.fill(firstOf, -1);
    }

    /** @return the bytes a decoder of this size holds */
    public static long bytesFor(int k, int m) {
        return FecDecoder.bytesFor(k, m, Fec.MAX_CODED_PAYLOAD, SLOTS);
    }

    /** @return the bytes this one holds */
    public long bytes() {
        return bytesFor(decoder.maxData(), decoder.maxRepair());
    }

    /** @return the largest k the decoder takes now */
    public int decoderK() {
        return decoder.maxData();
    }

    /** @return the largest m the decoder takes now */
    public int decoderM() {
        return decoder.maxRepair();
    }

    /** @return whether a group of k data and m repair datagrams fits the decoder as it is */
    public boolean fits(int k, int m) {
        return k <= decoder.maxData() && m <= decoder.maxRepair();
    }

    /** Replaces the decoder by one that fits groups of up to k and m (its open groups are lost). */
    public void grow(int k, int m) {
        recoveredBefore += decoder.datagramsRecovered();
        decoder = new FecDecoder(Math.max(k, decoder.maxData()), Math.max(m, decoder.maxRepair()),
                Fec.MAX_CODED_PAYLOAD, SLOTS, this);
        Arrays.fill(firstOf, -1);
    }

    /** @return the group number a datagram's 32 bits stand for, near the newest seen */
    public long group(int wire) {
        long group = Fec.unwrapGroup(newestGroup, wire);
        newestGroup = Math.max(newestGroup, group);
        return group;
    }

    /** A data datagram: its payload from position to limit (not moved) is copied into its group. */
    public void data(long group, int index, long sequence, ByteBuffer payload) {
        if (group < 0) {
            return;
        }
        first(group, sequence - index);
        decoder.data(group, index, payload);
    }

    /** A repair payload, from position to limit (not moved). */
    public void repair(long group, long firstSequence, ByteBuffer repair) {
        repairsReceived.increment();
        if (group < 0) {
            return;
        }
        first(group, firstSequence);
        decoder.repair(group, repair);
    }

    private void first(long group, long sequence) {
        int slot = (int) (group % SLOTS);
        if (firstOf[slot] != group && sequence >= 0) {
            firstOf[slot] = group;
            firstSequence[slot] = sequence;
        }
    }

    @Override
    public void recovered(long group, int index, ByteBuffer payload) {
        if (pending < pendingGroup.length) {
            pendingGroup[pending] = group;
            pendingIndex[pending++] = index;
        }
    }

    /** @return how many datagrams the last input rebuilt, not yet delivered */
    public int pending() {
        return pending;
    }

    /** @return rebuilt datagram i's sequence number, or −1 if its group's first is not known */
    public long pendingSequence(int i) {
        long group = pendingGroup[i];
        int slot = (int) (group % SLOTS);
        return firstOf[slot] == group ? firstSequence[slot] + pendingIndex[i] : -1;
    }

    /** @return rebuilt datagram i, read-only, position to limit; null if it is gone */
    public ByteBuffer pendingPayload(int i) {
        return decoder.payload(pendingGroup[i], pendingIndex[i]);
    }

    /** The rebuilt datagrams were delivered. */
    public void clearPending() {
        pending = 0;
    }

    /** @return datagrams rebuilt; any thread */
    public long recovered() {
        return recoveredBefore + decoder.datagramsRecovered();
    }

    /** @return repair datagrams received; any thread */
    public long repairsReceived() {
        return repairsReceived.get();
    }
}
