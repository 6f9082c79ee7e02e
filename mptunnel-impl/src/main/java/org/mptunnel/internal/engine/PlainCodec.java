package org.mptunnel.internal.engine;

import java.nio.ByteBuffer;
import org.mptunnel.internal.schedule.FecRate;
import org.mptunnel.internal.session.Session;
import org.mptunnel.internal.wire.Fec;
import org.mptunnel.internal.wire.Header;

/** Protocol v1: the {@link Header} in plaintext, then the payload. */
final class PlainCodec extends HeaderCodec {

    static final PlainCodec INSTANCE = new PlainCodec();

    private PlainCodec() {
    }

    @Override
    public int check(ByteBuffer datagram, int length) {
        return Header.check(datagram, length);
    }

    @Override
    public ByteBuffer encodeData(Session session, byte[] data, int offset, int length) {
        ByteBuffer out = SendBuffers.get();
        Header.write(out, Header.TYPE_DATA, session.id(), session.nextSequence(), length);
        out.put(Header.LENGTH, data, offset, length);
        out.limit(Header.LENGTH + length).position(0);
        return out;
    }

    @Override
    public ByteBuffer encodeFecData(Session session, byte[] data, int offset, int length, int group, int index,
                                    FecRate rate) {
        ByteBuffer out = SendBuffers.get();
        int payload = Fec.DATA_PAYLOAD_OFFSET - Header.LENGTH + length;
        Header.write(out, Header.TYPE_FEC_DATA, session.id(), session.nextSequence(), payload);
        Fec.writeData(out, group, index, rate.k(), rate.m(), rate.flags());
        out.put(Fec.DATA_PAYLOAD_OFFSET, data, offset, length);
        out.limit(Header.LENGTH + payload).position(0);
        return out;
    }

    @Override
    public ByteBuffer encodeRepair(Session session, long number, int group, FecRate rate, long firstSequence,
                                   ByteBuffer repair) {
        ByteBuffer out = SendBuffers.get();
        int length = repair.remaining();
        int payload = Fec.REPAIR_PAYLOAD_OFFSET - Header.LENGTH + length;
        Header.write(out, Header.TYPE_FEC_REPAIR, session.id(), number, payload);
        Fec.writeRepair(out, group, rate.k(), rate.m(), firstSequence);
        out.put(Fec.REPAIR_PAYLOAD_OFFSET, repair, repair.position(), length);
        out.limit(Header.LENGTH + payload).position(0);
        return out;
    }

    @Override
    public boolean finishProbe(Session session, ByteBuffer probe, int payloadLength) {
        probe.limit(Header.LENGTH + payloadLength).position(0);
        return true;
    }
}
