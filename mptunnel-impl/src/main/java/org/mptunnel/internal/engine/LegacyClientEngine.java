package org.mptunnel.internal.engine;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.List;
import org.mptunnel.TunnelConfig;
import org.mptunnel.TunnelStats;
import org.mptunnel.internal.legacy.LegacyNumbering;
import org.mptunnel.internal.path.Counter;
import org.mptunnel.internal.path.Path;
import org.mptunnel.internal.schedule.AllPaths;
import org.mptunnel.internal.session.Session;
import org.mptunnel.internal.wire.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client role in the C mptunnel's wire format: one connected channel per path (see
 * {@link ConnectedEngine}), every datagram on every path. The format has no session id and no
 * keepalive, so the session's id is 0 and is never sent, every path stays up (nothing could tell
 * it is down), and the timer has nothing to do.
 */
public final class LegacyClientEngine extends ConnectedEngine {

    private static final Logger LOG = LoggerFactory.getLogger(LegacyClientEngine.class);

    /** The timer has no work; the loop only needs to wake for it rarely. */
    private static final long IDLE_TIMER_NANOS = 1_000_000_000L;

    private final Session session;
    private final LegacyNumbering numbering;
    private final Counter controlReceived = new Counter();

    LegacyClientEngine(TunnelConfig config, Path[] paths, InetSocketAddress peer, long now) {
        super(config, paths, peer);
        this.session = new Session(0, peer, config.duplicateWindow(), paths, null, paths.length, totals, now);
        this.numbering = new LegacyNumbering(config.duplicateWindow(), deadTimeoutNanos);
    }

    /** Opens one channel per path, bound and connected, and starts the I/O thread. */
    public static LegacyClientEngine open(TunnelConfig config) throws IOException {
        return open(config, LegacyClientEngine::new);
    }

    @Override
    public void send(byte[] data, int offset, int length, InetAddress address, int port) throws IOException {
        AllPaths.INSTANCE.send(session, codec.encodeData(session, data, offset, length));
    }

    @Override
    protected void onDatagram(Path path, ByteBuffer datagram, int length, long now) {
        int type = codec.check(datagram, length);
        if (type == Header.MALFORMED) {
            totals.malformed.increment();
            return;
        }
        long silent = now - session.lastHeardNanos();
        path.heard(now, length);
        session.heard(now);
        if (type == Codec.TYPE_CONTROL) {
            controlReceived.increment(); // valid, but means nothing to the application
            return;
        }
        long sequence = codec.sequence(datagram);
        if (numbering.isRestart(sequence, session.newestInbound(), silent, now)) {
            LOG.info("server {} restarted its numbering (id {} after {})", peer, sequence, session.newestInbound());
            session.restartInbound();
        }
        admitData(session, path, sequence, codec.payloadOffset(), length - codec.payloadOffset(), peer);
    }

    @Override
    public long onTimer(long now) {
        return now + IDLE_TIMER_NANOS;
    }

    /** @return control datagrams received: valid, counted as heard on their path, not delivered */
    public long controlReceived() {
        return controlReceived.get();
    }

    @Override
    public TunnelStats stats() {
        return snapshot(List.of(session.snapshot()));
    }
}
