package org.mptunnel.internal.engine;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import org.mptunnel.internal.legacy.LegacyNumbering;
import org.mptunnel.internal.path.Counter;
import org.mptunnel.internal.path.Path;
import org.mptunnel.internal.session.Session;
import org.mptunnel.internal.wire.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The read path both legacy roles share, around their one session: the format has no session id
 * and no keepalive, so every valid datagram is heard on its path, control datagrams are counted
 * and dropped, and a peer that restarted its numbering is recognised by {@link LegacyNumbering}'s
 * heuristic. I/O thread only.
 */
final class LegacyReader {

    private static final Logger LOG = LoggerFactory.getLogger(LegacyReader.class);

    private final Engine engine;
    private final Session session;
    private final LegacyNumbering numbering;
    private final Counter controlReceived = new Counter();

    LegacyReader(Engine engine, Session session, int duplicateWindow, long deadTimeoutNanos) {
        this.engine = engine;
        this.session = session;
        this.numbering = new LegacyNumbering(duplicateWindow, deadTimeoutNanos);
    }

    /**
     * Checks (and, obfuscated, restores in place) the datagram in the inbox's current frame.
     *
     * @return its type, or {@code Header.MALFORMED} (counted)
     */
    int check(ByteBuffer datagram, int length) {
        int type = engine.codec.check(datagram, length);
        if (type == Header.MALFORMED) {
            engine.totals.malformed.increment();
        }
        return type;
    }

    /**
     * A checked datagram of {@code type} arrived on {@code path} from {@code peer}: heard, then
     * delivered as coming from {@code deliverAs} if it is data and the first copy.
     */
    void read(int type, Path path, ByteBuffer datagram, int length, long now, InetSocketAddress deliverAs,
              InetSocketAddress peer) {
        long silent = now - session.lastHeardNanos();
        path.heard(now, length);
        session.heard(now);
        if (type == Codec.TYPE_CONTROL) {
            controlReceived.increment(); // valid, but means nothing to the application
            return;
        }
        long sequence = engine.codec.sequence(datagram);
        if (numbering.isRestart(sequence, session.newestInbound(), silent, now)) {
            LOG.info("peer {} restarted its numbering (id {} after {})", peer, sequence, session.newestInbound());
            session.restartInbound();
        }
        int offset = engine.codec.payloadOffset();
        engine.admitData(session, path, sequence, offset, length - offset, deliverAs);
    }

    /** @return control datagrams received: valid, counted as heard on their path, not delivered */
    long controlReceived() {
        return controlReceived.get();
    }
}
