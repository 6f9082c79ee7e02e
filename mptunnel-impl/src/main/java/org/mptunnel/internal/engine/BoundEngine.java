package org.mptunnel.internal.engine;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.List;
import org.mptunnel.TunnelConfig;
import org.mptunnel.internal.io.DatagramIo;

/**
 * What every server role shares, whatever its wire format: one bound channel, whose datagrams the
 * I/O backend hands over with their source address.
 */
public abstract class BoundEngine extends Engine {

    protected final DatagramChannel channel;

    /** Builds the role's engine once its channel is bound. */
    @FunctionalInterface
    protected interface Factory<E extends BoundEngine> {
        E create(TunnelConfig config, DatagramChannel channel);
    }

    protected BoundEngine(TunnelConfig config, DatagramChannel channel, DatagramIo io) {
        super(config, io);
        this.channel = channel;
    }

    /** Binds the channel, builds the engine and starts its I/O thread. */
    protected static <E extends BoundEngine> E open(TunnelConfig config, Factory<E> factory) throws IOException {
        InetSocketAddress bind = config.bindAddress();
        // A wildcard bind takes a dual-stack socket, so IPv4 and IPv6 clients share the port.
        DatagramChannel channel = openChannel(bind.getAddress() instanceof Inet4Address
                && !bind.getAddress().isAnyLocalAddress() ? StandardProtocolFamily.INET : null);
        Selector selector = null;
        try {
            channel.bind(bind);
            selector = Selector.open();
            channel.register(selector, SelectionKey.OP_READ);
            E engine = factory.create(config, channel);
            engine.start("mptunnel-server-" + channel.socket().getLocalPort(), selector);
            return engine;
        } catch (IOException | RuntimeException e) {
            channel.close();
            if (selector != null) {
                selector.close();
            }
            throw e;
        }
    }

    @Override
    protected final void received(Object endpoint, InetSocketAddress source, ByteBuffer datagram, int length,
                                  long nowNanos) {
        onDatagram(source, datagram, length, nowNanos);
    }

    /**
     * I/O thread: one datagram of {@code length} bytes, in the inbox's current frame, came from
     * {@code source}; {@code now} is the clock read once for the read batch.
     */
    protected abstract void onDatagram(InetSocketAddress source, ByteBuffer datagram, int length, long now);

    @Override
    public final InetSocketAddress localAddress() {
        return (InetSocketAddress) channel.socket().getLocalSocketAddress();
    }

    @Override
    public final List<DatagramChannel> channels() {
        return List.of(channel);
    }
}
