package org.mptunnel.benchmarks;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.util.List;
import org.mptunnel.TunnelConfig;
import org.mptunnel.TunnelStats;
import org.mptunnel.internal.engine.Engine;
import org.mptunnel.internal.path.Path;
import org.mptunnel.internal.session.Session;
import org.mptunnel.internal.wire.Header;

/**
 * An {@link Engine} with no channels and no I/O thread, so that the benchmarks run the engine's own
 * per-datagram code: {@code Engine.encodeData} (protected static) and {@code Engine.admitData}
 * (protected final) are reached by subclassing, with no change to the main code. The constructor
 * builds the real inbox from the configuration; {@code start} is never called.
 */
final class SocketlessEngine extends Engine {

    private final Path path = Fixtures.path();
    private final Session session = Fixtures.session(path, totals);

    SocketlessEngine(TunnelConfig config) {
        super(config);
    }

    Session session() {
        return session;
    }

    Path path() {
        return path;
    }

    /** Read from the counter directly: a stats snapshot would allocate inside the measured trial. */
    long delivered() {
        return totals.delivered.get();
    }

    /** The sender's step: {@code Engine.encodeData} itself, into the calling thread's send buffer. */
    static ByteBuffer encode(Session session, byte[] data, int offset, int length) {
        return encodeData(session, data, offset, length);
    }

    /**
     * The I/O thread's step for one data datagram on a client: what the socket read would do (copy
     * the datagram into the inbox's current frame), then {@code ClientEngine.onDatagram}'s DATA
     * branch, reproduced here because that method is private: check, session id, heard, admit.
     *
     * @param wire the datagram from position 0 to its limit
     */
    private long arrivals;
    private long now;

    void arrive(ByteBuffer wire) {
        int length = wire.limit();
        ByteBuffer frame = inbox.current().clearedBuffer();
        frame.put(0, wire, 0, length).position(length); // receive() leaves the position at the end
        int type = Header.check(frame, length);
        if (type != Header.TYPE_DATA) {
            totals.malformed.increment();
            return;
        }
        if (Header.sessionId(frame) != session.id()) {
            totals.unknownSession.increment();
            return;
        }
        if ((arrivals++ & 63) == 0) {
            now = System.nanoTime(); // the client reads the clock once per read batch of up to 64
        }
        path.heard(now, length);
        session.heard(now);
        admitData(session, path, frame, length, Fixtures.PEER);
    }

    // Nothing below is reached: there are no channels and no I/O loop.

    @Override
    public void send(byte[] data, int offset, int length, InetAddress address, int port) {
        throw new UnsupportedOperationException();
    }

    @Override
    public InetSocketAddress localAddress() {
        throw new UnsupportedOperationException();
    }

    @Override
    public List<DatagramChannel> channels() {
        return List.of();
    }

    @Override
    public TunnelStats stats() {
        throw new UnsupportedOperationException();
    }

    @Override
    public void onReadable(SelectionKey key) {
        throw new UnsupportedOperationException();
    }

    @Override
    public long onTimer(long nowNanos) {
        throw new UnsupportedOperationException();
    }
}
