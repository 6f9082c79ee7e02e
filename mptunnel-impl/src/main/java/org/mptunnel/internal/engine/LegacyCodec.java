package org.mptunnel.internal.engine;

import java.nio.ByteBuffer;
import java.util.concurrent.ThreadLocalRandom;
import org.mptunnel.internal.legacy.LegacyHeader;
import org.mptunnel.internal.legacy.LegacyNumbering;
import org.mptunnel.internal.schedule.FecRate;
import org.mptunnel.internal.session.Session;
import org.mptunnel.internal.wire.Header;

/**
 * The C mptunnel's format: the 16-byte little-endian {@link LegacyHeader}, optionally obfuscated
 * in place; no session id (sessions are id 0), no keepalives.
 */
final class LegacyCodec implements Codec {

    private final boolean obfuscated;

    LegacyCodec(boolean obfuscated) {
        this.obfuscated = obfuscated;
    }

    /** Deobfuscates in place when the format is obfuscated. */
    @Override
    public int check(ByteBuffer datagram, int length) {
        int type = LegacyHeader.check(datagram, length, obfuscated);
        if (type == LegacyHeader.MALFORMED) {
            return Header.MALFORMED;
        }
        return type == LegacyHeader.TYPE_CONTROL ? TYPE_CONTROL : Header.TYPE_DATA;
    }

    @Override
    public long sessionId(ByteBuffer datagram) {
        return 0;
    }

    /** The 32-bit id as an unsigned number. */
    @Override
    public long sequence(ByteBuffer datagram) {
        return LegacyHeader.sequence(LegacyHeader.id(datagram));
    }

    @Override
    public int payloadOffset() {
        return LegacyHeader.LENGTH;
    }

    /**
     * When obfuscating, the IV is random per datagram, as the C code's {@code rand()} is: a
     * thread-local generator, since this is obfuscation, not security, and it must not allocate
     * or contend.
     */
    @Override
    public ByteBuffer encodeData(Session session, byte[] data, int offset, int length) {
        ByteBuffer out = SendBuffers.get();
        out.put(LegacyHeader.LENGTH, data, offset, length);
        int iv = obfuscated ? ThreadLocalRandom.current().nextInt() : 0;
        LegacyHeader.encode(out, obfuscated, iv, LegacyHeader.TYPE_DATA,
                LegacyNumbering.idOf(session.nextSequence()), length);
        out.limit(LegacyHeader.LENGTH + length).position(0);
        return out;
    }

    /** The format has no room for forward error correction: refused at configuration. */
    @Override
    public ByteBuffer encodeFecData(Session session, byte[] data, int offset, int length, int group, int index,
                                    FecRate rate) {
        throw new UnsupportedOperationException("the legacy wire format has no forward error correction");
    }

    @Override
    public ByteBuffer encodeRepair(Session session, long number, int group, FecRate rate, long firstSequence,
                                   ByteBuffer repair) {
        throw new UnsupportedOperationException("the legacy wire format has no forward error correction");
    }

    /** The format has no probes. */
    @Override
    public boolean finishProbe(Session session, ByteBuffer probe, int payloadLength) {
        throw new UnsupportedOperationException("the legacy format has no probes");
    }
}
