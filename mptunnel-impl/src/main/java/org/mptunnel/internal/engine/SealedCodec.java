package org.mptunnel.internal.engine;

import java.nio.ByteBuffer;
import org.mptunnel.internal.crypto.Transport;
import org.mptunnel.internal.schedule.FecRate;
import org.mptunnel.internal.session.Session;
import org.mptunnel.internal.wire.Fec;
import org.mptunnel.internal.wire.Header;
import org.mptunnel.internal.wire.Sealed;

/**
 * Protocol v2: the {@link Header} with version 2 as associated data, the payload sealed in place
 * under the session's {@link Transport}, the tag after it ({@link Sealed}).
 */
final class SealedCodec extends HeaderCodec {

    static final SealedCodec INSTANCE = new SealedCodec();

    private SealedCodec() {
    }

    @Override
    public int check(ByteBuffer datagram, int length) {
        return Sealed.check(datagram, length);
    }

    @Override
    public boolean authenticates() {
        return true;
    }

    /** Nothing opens before the session's first handshake completes, nor under keys not held. */
    @Override
    public boolean mayOpen(Session session, ByteBuffer datagram, long nowNanos) {
        Transport keys = session.transport();
        return keys != null && keys.holds(Sealed.generation(datagram), nowNanos);
    }

    /** Nothing opens before the session's first handshake completes. */
    @Override
    public int open(Session session, ByteBuffer datagram, int length, long nowNanos) {
        Transport keys = session.transport();
        return keys == null ? -1 : keys.open(datagram, length, nowNanos);
    }

    @Override
    public int overhead() {
        return Sealed.OVERHEAD;
    }

    /**
     * The send buffer's 65,507 bytes hold the largest sealed datagram (24 + 65,467 + 16). The
     * sequence number is taken only once the keys are there, so a datagram that cannot be sealed
     * uses none.
     */
    @Override
    public ByteBuffer encodeData(Session session, byte[] data, int offset, int length) {
        Transport keys = session.transport();
        if (keys == null) {
            return null;
        }
        ByteBuffer out = SendBuffers.get();
        Header.write(out, Header.VERSION_SEALED, Header.TYPE_DATA, 0, session.id(), session.nextSequence(), length);
        out.put(Header.LENGTH, data, offset, length);
        int sealed = keys.seal(out, length);
        if (sealed < 0) {
            return null;
        }
        out.limit(sealed).position(0);
        return out;
    }

    @Override
    public ByteBuffer encodeFecData(Session session, byte[] data, int offset, int length, int group, int index,
                                    FecRate rate) {
        Transport keys = session.transport();
        if (keys == null) {
            return null;
        }
        ByteBuffer out = SendBuffers.get();
        int payload = Fec.DATA_PAYLOAD_OFFSET - Header.LENGTH + length;
        Header.write(out, Header.VERSION_SEALED, Header.TYPE_FEC_DATA, 0, session.id(), session.nextSequence(), payload);
        Fec.writeData(out, group, index, rate.k(), rate.m(), rate.flags());
        out.put(Fec.DATA_PAYLOAD_OFFSET, data, offset, length);
        return seal(keys, out, payload);
    }

    /** A repair is sealed like data, under its own number (FEC_REPAIR's nonce space). */
    @Override
    public ByteBuffer encodeRepair(Session session, long number, int group, FecRate rate, long firstSequence,
                                   ByteBuffer repair) {
        Transport keys = session.transport();
        if (keys == null) {
            return null;
        }
        ByteBuffer out = SendBuffers.get();
        int length = repair.remaining();
        int payload = Fec.REPAIR_PAYLOAD_OFFSET - Header.LENGTH + length;
        Header.write(out, Header.VERSION_SEALED, Header.TYPE_FEC_REPAIR, 0, session.id(), number, payload);
        Fec.writeRepair(out, group, rate.k(), rate.m(), firstSequence);
        out.put(Fec.REPAIR_PAYLOAD_OFFSET, repair, repair.position(), length);
        return seal(keys, out, payload);
    }

    private static ByteBuffer seal(Transport keys, ByteBuffer out, int payload) {
        int sealed = keys.seal(out, payload);
        if (sealed < 0) {
            return null;
        }
        out.limit(sealed).position(0);
        return out;
    }

    @Override
    public boolean finishProbe(Session session, ByteBuffer probe, int payloadLength) {
        Transport keys = session.transport();
        if (keys == null) {
            return false;
        }
        probe.put(Header.VERSION_OFFSET, Header.VERSION_SEALED).limit(probe.capacity());
        int sealed = keys.seal(probe, payloadLength);
        if (sealed < 0) {
            return false;
        }
        probe.limit(sealed).position(0);
        return true;
    }
}
