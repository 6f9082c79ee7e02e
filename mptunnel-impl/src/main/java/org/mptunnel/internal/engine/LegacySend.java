package org.mptunnel.internal.engine;

import java.nio.ByteBuffer;
import java.util.concurrent.ThreadLocalRandom;
import org.mptunnel.internal.legacy.LegacyHeader;
import org.mptunnel.internal.legacy.LegacyNumbering;
import org.mptunnel.internal.session.Session;

/** Encoding of a legacy data datagram, shared by both legacy roles. */
final class LegacySend {

    private LegacySend() {
    }

    /**
     * Any thread: encodes a data datagram once into the calling thread's send buffer, ready for
     * every path. When obfuscating, the IV is random per datagram, as the C code's {@code rand()}
     * is: a thread-local generator, since this is obfuscation, not security, and it must not
     * allocate or contend.
     */
    static ByteBuffer encodeData(Session session, boolean obfuscate, byte[] data, int offset, int length) {
        ByteBuffer out = SendBuffers.get();
        out.put(LegacyHeader.LENGTH, data, offset, length);
        int iv = obfuscate ? ThreadLocalRandom.current().nextInt() : 0;
        LegacyHeader.encode(out, obfuscate, iv, LegacyHeader.TYPE_DATA,
                LegacyNumbering.idOf(session.nextSequence()), length);
        out.limit(LegacyHeader.LENGTH + length).position(0);
        return out;
    }
}
