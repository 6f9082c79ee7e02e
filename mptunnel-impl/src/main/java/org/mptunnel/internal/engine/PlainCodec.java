package org.mptunnel.internal.engine;

import java.nio.ByteBuffer;
import org.mptunnel.internal.session.Session;
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
    public boolean finishProbe(Session session, ByteBuffer probe, int payloadLength) {
        probe.limit(Header.LENGTH + payloadLength).position(0);
        return true;
    }
}
