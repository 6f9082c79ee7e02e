package org.mptunnel.internal.engine;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.List;
import org.mptunnel.TunnelConfig;
import org.mptunnel.TunnelStats;
import org.mptunnel.internal.path.Path;
import org.mptunnel.internal.schedule.AllPaths;
import org.mptunnel.internal.session.Session;
import org.mptunnel.internal.wire.Header;

/**
 * The client role in the C mptunnel's wire format: one connected channel per path (see
 * {@link ConnectedEngine}), every datagram on every path. The format has no session id and no
 * keepalive, so the session's id is 0 and is never sent, every path stays up (nothing could tell
 * it is down), and the timer has nothing to do.
 */
public final class LegacyClientEngine extends ConnectedEngine {

    private final Session session;
    /** Package-private for tests: what was read, such as control datagrams. */
    final LegacyReader reader;

    LegacyClientEngine(TunnelConfig config, Path[] paths, InetSocketAddress peer, long now) {
        super(config, paths, peer);
        this.session = new Session(0, peer, config.duplicateWindow(), paths, null, paths.length, totals, now);
        this.reader = new LegacyReader(this, session, config.duplicateWindow(), deadTimeoutNanos);
    }

    /** Opens one channel per path, bound and connected, and starts the I/O thread. */
    public static LegacyClientEngine open(TunnelConfig config) throws IOException {
        return open(config, LegacyClientEngine::new);
    }

    @Override
    protected Session session() {
        return session;
    }

    @Override
    public void send(byte[] data, int offset, int length, InetAddress address, int port) throws IOException {
        sendData(session, AllPaths.INSTANCE, data, offset, length);
    }

    @Override
    protected void onDatagram(Path path, ByteBuffer datagram, int length, long now) {
        int type = reader.check(datagram, length);
        if (type != Header.MALFORMED) {
            reader.read(type, path, datagram, length, now, peer, peer);
        }
    }

    @Override
    public TunnelStats stats() {
        return snapshot(List.of(session.snapshot()));
    }
}
