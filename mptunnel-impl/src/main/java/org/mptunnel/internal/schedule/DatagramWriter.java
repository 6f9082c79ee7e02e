package org.mptunnel.internal.schedule;

import java.nio.ByteBuffer;
import org.mptunnel.internal.session.Session;

/**
 * How a scheduler has data written in the wire format (the engine's codec), for schedulers that
 * must choose what a datagram carries before it is sealed: forward error correction numbers a
 * group's datagrams consecutively, so it takes each sequence number as it encodes. Each method
 * writes into the calling thread's send buffer and returns it from position 0 to its limit, or
 * null if the session cannot send now (protocol v2: no keys).
 */
public interface DatagramWriter {

    /** A DATA datagram, taking the session's next sequence number. */
    ByteBuffer encodeData(Session session, byte[] data, int offset, int length);

    /** A FEC_DATA datagram of the given group block, taking the session's next sequence number. */
    ByteBuffer encodeFecData(Session session, byte[] data, int offset, int length, int group, int index, FecRate rate);

    /**
     * A FEC_REPAIR datagram.
     *
     * @param number        the repair's own number (its sequence field: one up per repair per session)
     * @param firstSequence the sequence number of the group's first data datagram
     * @param repair        the repair payload, from its position to its limit (not moved)
     */
    ByteBuffer encodeRepair(Session session, long number, int group, FecRate rate, long firstSequence,
                            ByteBuffer repair);
}
