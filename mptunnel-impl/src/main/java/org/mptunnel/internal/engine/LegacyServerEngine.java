package org.mptunnel.internal.engine;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.List;
import org.mptunnel.TunnelConfig;
import org.mptunnel.TunnelStats;
import org.mptunnel.internal.io.NioDatagramIo;
import org.mptunnel.internal.path.Path;
import org.mptunnel.internal.schedule.AllPaths;
import org.mptunnel.internal.session.Session;
import org.mptunnel.internal.wire.Header;
import org.mptunnel.internal.session.SessionAddress;

/**
 * The server role in the C mptunnel's wire format. The format has no session id, so the server
 * serves one peer, as the C server does: every valid datagram, from any source, belongs to its one
 * session, which exists from the start, never expires and has one address for the application
 * ({@link SessionAddress} of id 0). Every source address heard is a path, learned as the v1 server
 * learns them (up to {@code maxPathsPerSession}, the stalest replaced); with no keepalive, no path
 * is ever marked down.
 */
public final class LegacyServerEngine extends BoundEngine {

    /** The one session's id: never on the wire, it only names the session's address. */
    public static final long SESSION_ID = 0;

    private final Session session;
    private final InetAddress sessionAddress;
    /** Package-private for tests: what was read, such as control datagrams. */
    final LegacyReader reader;

    LegacyServerEngine(TunnelConfig config, DatagramChannel channel) {
        super(config, channel, NioDatagramIo.INSTANCE);
        this.session = new Session(SESSION_ID, SessionAddress.of(SESSION_ID), config.duplicateWindow(), new Path[0],
                channel, config.maxPathsPerSession(), totals, System.nanoTime());
        this.sessionAddress = session.address().getAddress();
        this.reader = new LegacyReader(this, session, config.duplicateWindow(), deadTimeoutNanos);
    }

    /** Binds the server's channel and starts the I/O thread. */
    public static LegacyServerEngine open(TunnelConfig config) throws IOException {
        return open(config, LegacyServerEngine::new);
    }

    /** @return the address the application sees for the one peer, and replies to */
    public InetSocketAddress sessionAddress() {
        return session.address();
    }

    @Override
    public void send(byte[] data, int offset, int length, InetAddress address, int port) throws IOException {
        if (port != SessionAddress.PORT || !sessionAddress.equals(address)) {
            throw new IllegalArgumentException(address + ":" + port + " does not name the legacy server's peer "
                    + session.address() + "; reply to the address receive() reported");
        }
        sendData(session, AllPaths.INSTANCE, data, offset, length);
    }

    @Override
    protected void onDatagram(InetSocketAddress source, ByteBuffer datagram, int length, long now) {
        int type = reader.check(datagram, length);
        if (type != Header.MALFORMED) {
            reader.read(type, session.pathFrom(source, now), datagram, length, now, session.address(), source);
        }
    }

    @Override
    public TunnelStats stats() {
        return snapshot(List.of(session.snapshot()));
    }
}
