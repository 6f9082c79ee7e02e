package org.mptunnel.internal.engine;

import java.nio.ByteBuffer;
import org.mptunnel.internal.wire.Header;

/** What both tunnel formats' codecs read the same way: the session id and sequence of the 24-byte {@link Header}. */
abstract class HeaderCodec implements Codec {

    @Override
    public final long sessionId(ByteBuffer datagram) {
        return Header.sessionId(datagram);
    }

    @Override
    public final long sequence(ByteBuffer datagram) {
        return Header.sequence(datagram);
    }

    @Override
    public final int payloadOffset() {
        return Header.LENGTH;
    }
}
