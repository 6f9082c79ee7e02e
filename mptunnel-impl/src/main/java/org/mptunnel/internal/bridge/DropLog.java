package org.mptunnel.internal.bridge;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * The datagrams a {@link UdpBridge} dropped, so that a benchmark can tell which of the datagrams
 * that arrived were rebuilt rather than carried: each drop's direction, length and first
 * {@value #PREFIX} bytes, held in memory up to a bound and written out as text once the bridge has
 * stopped. The bridge knows nothing of what it carries; reading the bytes is the reader's business.
 *
 * <p>Bounded: at most {@code maxRecords} drops are kept ({@link #DEFAULT_MAX_RECORDS} by default,
 * {@value #PREFIX} + 4 bytes each, 17 MiB), the storage growing by doubling; later drops are only
 * counted ({@link #unrecorded()}). Written by the bridge's thread only; read after
 * {@link UdpBridge#close()}, which joins that thread.
 */
public final class DropLog {

    /** How many bytes of each dropped datagram are kept. */
    public static final int PREFIX = 64;
    /** The default bound on the drops kept: 262,144. */
    public static final int DEFAULT_MAX_RECORDS = 1 << 18;
    private static final int INITIAL_RECORDS = 1 << 10;

    private final int maxRecords;
    private byte[] prefixes = new byte[INITIAL_RECORDS * PREFIX];
    /** Per record: the datagram's length, or its complement (negative) if it was going back to the client. */
    private int[] lengths = new int[INITIAL_RECORDS];
    private int recorded;
    private long unrecorded;

    /** A log of at most {@link #DEFAULT_MAX_RECORDS} drops. */
    public DropLog() {
        this(DEFAULT_MAX_RECORDS);
    }

    /** @param maxRecords the most drops kept, at least 1 */
    public DropLog(int maxRecords) {
        if (maxRecords < 1) {
            throw new IllegalArgumentException("maxRecords must be at least 1, got " + maxRecords);
        }
        this.maxRecords = maxRecords;
    }

    /**
     * Bridge thread: records one dropped datagram, its bytes from position to limit (left as they are).
     *
     * @param toTarget whether it was on its way to the target (else back to a client)
     */
    void record(ByteBuffer datagram, boolean toTarget) {
        if (recorded == maxRecords) {
            unrecorded++;
            return;
        }
        if (recorded == lengths.length) {
            int grown = (int) Math.min(maxRecords, 2L * lengths.length);
            lengths = Arrays.copyOf(lengths, grown);
            prefixes = Arrays.copyOf(prefixes, grown * PREFIX);
        }
        int length = datagram.remaining();
        datagram.get(datagram.position(), prefixes, recorded * PREFIX, Math.min(PREFIX, length));
        lengths[recorded++] = toTarget ? length : ~length;
    }

    /** @return the drops kept */
    public int recorded() {
        return recorded;
    }

    /** @return the drops past the bound, counted but not kept */
    public long unrecorded() {
        return unrecorded;
    }

    /**
     * Writes one line per drop kept, in the order they happened: {@code to-target} or
     * {@code to-client}, the datagram's length in bytes, and its first {@value #PREFIX} bytes (all
     * of it if shorter) in lower-case hex, separated by single spaces.
     */
    public void writeTo(Appendable out) throws IOException {
        HexFormat hex = HexFormat.of();
        for (int i = 0; i < recorded; i++) {
            int length = lengths[i] < 0 ? ~lengths[i] : lengths[i];
            out.append(lengths[i] < 0 ? "to-client " : "to-target ").append(Integer.toString(length)).append(' ')
                    .append(hex.formatHex(prefixes, i * PREFIX, i * PREFIX + Math.min(PREFIX, length))).append('\n');
        }
    }
}
