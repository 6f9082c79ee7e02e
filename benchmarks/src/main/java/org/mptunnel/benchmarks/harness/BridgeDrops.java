package org.mptunnel.benchmarks.harness;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Which of the load generator's datagrams the bridges dropped, read from their {@code mpbridge
 * --drop-log} files: per direction and sequence number, how many copies were dropped and how many
 * the sender had sent. The bridge knows nothing of the tunnel; this reads its version 1 header
 * (docs/PROTOCOL.md): a DATA datagram (type 1) carries its payload at offset 24 and goes out on
 * every path, so the log cannot tell whether all its copies were dropped; an FEC_DATA one (type 8)
 * carries it at offset 32 and goes out once, or twice if its flags' bit 0 says so. The payload is
 * the generator's datagram, its sequence number first, after mpclient's 9-byte flow prefix
 * ("Tools: flows", kind classic) if there is one. Repairs, keepalives and anything sealed (version
 * 2, with a key) name no generator datagram and are only counted.
 */
final class BridgeDrops {

    /** The two directions of a bridge in front of the mpserver. */
    enum Direction {
        /** mpclient to mpserver: the way there. */
        TO_SERVER("to-target"),
        /** mpserver to mpclient: the way back. */
        TO_CLIENT("to-client");

        private final String logName;

        Direction(String logName) {
            this.logName = logName;
        }
    }

    private static final int MAGIC = 0x4D50;
    private static final int VERSION = 1;
    private static final int DATA = 1;
    private static final int FEC_DATA = 8;
    private static final int DATA_PAYLOAD = 24;
    private static final int FEC_DATA_FLAGS = 31;
    private static final int FEC_DATA_PAYLOAD = 32;
    /** mpclient's flow prefix of a classic flow: mark "\xFFFL", version 1, kind 0, then a 4-byte flow id. */
    private static final int FLOW_MARK = 0xFF464C01;
    private static final int FLOW_PREFIX = 9;
    /** Copies of a DATA datagram: one per path, however many; never "all dropped" here. */
    private static final int EVERY_PATH = Integer.MAX_VALUE;

    /** Per direction: sequence number → {copies dropped, copies sent}. */
    private final Map<Direction, Map<Long, int[]>> drops = Map.of(Direction.TO_SERVER, new HashMap<>(),
            Direction.TO_CLIENT, new HashMap<>());
    private long unread;

    /** Reads every line of the files (a bridge's log each). */
    static BridgeDrops read(List<Path> files) throws IOException {
        BridgeDrops d = new BridgeDrops();
        for (Path file : files) {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                d.add(line);
            }
        }
        return d;
    }

    /**
     * Adds one line of a drop log: {@code to-target|to-client LENGTH HEX}.
     *
     * @throws IllegalArgumentException if the line is not one
     */
    void add(String line) {
        String[] f = line.split(" ", -1);
        if (f.length != 3) {
            throw new IllegalArgumentException("not a drop log line: " + line);
        }
        Direction direction = f[0].equals(Direction.TO_SERVER.logName) ? Direction.TO_SERVER
                : f[0].equals(Direction.TO_CLIENT.logName) ? Direction.TO_CLIENT : null;
        if (direction == null) {
            throw new IllegalArgumentException("not a drop log direction: " + f[0]);
        }
        ByteBuffer b = ByteBuffer.wrap(HexFormat.of().parseHex(f[2]));
        int type = b.limit() >= 4 && b.getShort(0) == MAGIC && b.get(2) == VERSION ? b.get(3) : -1;
        int payload = type == DATA ? DATA_PAYLOAD : type == FEC_DATA ? FEC_DATA_PAYLOAD : -1;
        if (payload >= 0 && b.limit() >= payload + FLOW_PREFIX && b.getInt(payload) == FLOW_MARK
                && b.get(payload + 4) == 0) {
            payload += FLOW_PREFIX;
        }
        if (payload < 0 || b.limit() < payload + Long.BYTES) {
            unread++;
            return;
        }
        int copies = type == DATA ? EVERY_PATH : (b.get(FEC_DATA_FLAGS) & 1) != 0 ? 2 : 1;
        int[] counts = drops.get(direction).computeIfAbsent(b.getLong(payload), s -> new int[] {0, copies});
        counts[0]++;
    }

    /** @return how many copies of the generator's datagram {@code sequence} were dropped going {@code direction} */
    int dropped(Direction direction, long sequence) {
        int[] counts = drops.get(direction).get(sequence);
        return counts == null ? 0 : counts[0];
    }

    /**
     * @return whether every copy the sender sent of datagram {@code sequence} was dropped going
     *         {@code direction}: if it arrived all the same, forward error correction rebuilt it
     */
    boolean everyCopyDropped(Direction direction, long sequence) {
        int[] counts = drops.get(direction).get(sequence);
        return counts != null && counts[0] >= counts[1];
    }

    /** @return the drops that named no generator datagram: repairs, keepalives, sealed datagrams */
    long unread() {
        return unread;
    }
}
