package org.mptunnel.internal.engine;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;
import org.mptunnel.TunnelConfig;
import org.mptunnel.internal.io.DatagramIo;
import org.mptunnel.internal.io.Frame;
import org.mptunnel.internal.path.Path;

/**
 * Engines without sockets, for unit tests of the real read path: an I/O backend that records what
 * is written, and a way to hand an engine a datagram as the backend would (copied into the inbox's
 * current frame, then {@link Engine#datagram}).
 */
final class Wire implements DatagramIo {

    static final InetSocketAddress PEER = new InetSocketAddress(InetAddress.getLoopbackAddress(), 7000);
    static final InetSocketAddress BRIDGE = new InetSocketAddress(InetAddress.getLoopbackAddress(), 7001);
    static final InetSocketAddress CLIENT = new InetSocketAddress(InetAddress.getLoopbackAddress(), 7002);
    static final byte[] PSK = new byte[32];

    /** One datagram written: its bytes and where it went. */
    record Sent(byte[] bytes, InetSocketAddress to) {
    }

    final List<Sent> sent = new ArrayList<>();

    @Override
    public void read(SelectionKey ready, Sink sink, int max) {
        throw new UnsupportedOperationException("datagrams are handed over with deliver()");
    }

    @Override
    public int write(DatagramChannel channel, boolean connected, ByteBuffer datagram, InetSocketAddress remote) {
        byte[] bytes = new byte[datagram.limit()];
        datagram.get(0, bytes);
        sent.add(new Sent(bytes, remote));
        return bytes.length;
    }

    /** @return the datagrams written so far, and forgets them */
    List<Sent> drain() {
        List<Sent> all = new ArrayList<>(sent);
        sent.clear();
        return all;
    }

    /** Hands {@code bytes} to the engine as read from {@code source} (on {@code path}, a client's). */
    static void deliver(Engine engine, Path path, InetSocketAddress source, byte[] bytes, long now) {
        ByteBuffer buffer = engine.nextBuffer();
        buffer.put(bytes);
        engine.datagram(path, source, buffer, bytes.length, now);
    }

    /** @return the payload of the next delivered datagram, or null if none is queued */
    static byte[] received(Engine engine) throws InterruptedException {
        Frame frame = engine.inbox().take(1_000_000L);
        if (frame == null || engine.inbox().isClosedMarker(frame)) {
            return null;
        }
        byte[] payload = new byte[frame.payloadLength()];
        frame.copyPayloadTo(payload, 0, payload.length);
        engine.inbox().release(frame);
        return payload;
    }

    /** A client engine of one path to {@link #BRIDGE}, writing through this backend. */
    ClientEngine client(TunnelConfig.ClientBuilder config, long sessionId, long now) {
        Path path = new Path(0, BRIDGE, null, true, this, now);
        return new ClientEngine(config.path(BRIDGE).build(), sessionId, new Path[] {path}, PEER, now);
    }

    ServerEngine server(TunnelConfig.ServerBuilder config) {
        return new ServerEngine(config.build(), null, this);
    }

    /** A server whose plans of coded replies' spreads are timed by {@code planningClock}. */
    ServerEngine server(TunnelConfig.ServerBuilder config, LongSupplier planningClock) {
        return new ServerEngine(config.build(), null, this, planningClock);
    }

    static TunnelConfig.ClientBuilder clientConfig() {
        return TunnelConfig.client();
    }

    static TunnelConfig.ServerBuilder serverConfig() {
        return TunnelConfig.server(PEER);
    }
}
