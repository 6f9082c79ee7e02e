package org.mptunnel.internal.engine;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.List;
import org.mptunnel.TunnelConfig;
import org.mptunnel.internal.path.Path;

/**
 * What every client role shares, whatever its wire format: one connected channel per path, each
 * registered with its {@link Path}, which the I/O backend hands back with every datagram read from
 * it. Connected channels let the kernel filter out anything not from the path's
 * address, report ICMP errors per path, and always have the same sender, so the JDK's one-entry
 * sender-address cache always hits and receiving allocates nothing.
 */
public abstract class ConnectedEngine extends Engine {

    protected final Path[] paths;
    protected final InetSocketAddress peer;

    /** Builds the role's engine once its channels are open. */
    @FunctionalInterface
    protected interface Factory<E extends ConnectedEngine> {
        E create(TunnelConfig config, Path[] paths, InetSocketAddress peer, long nowNanos);
    }

    protected ConnectedEngine(TunnelConfig config, Path[] paths, InetSocketAddress peer) {
        super(config);
        this.paths = paths;
        this.peer = peer;
    }

    /** Opens one channel per path, bound and connected, builds the engine and starts its I/O thread. */
    protected static <E extends ConnectedEngine> E open(TunnelConfig config, Factory<E> factory) throws IOException {
        InetSocketAddress peer = resolve(config.peerAddress(), "peer");
        List<InetSocketAddress> remotes = new ArrayList<>();
        for (InetSocketAddress path : config.paths()) {
            remotes.add(resolve(path, "path"));
        }
        Selector selector = Selector.open();
        try {
            long now = System.nanoTime();
            Path[] paths = new Path[remotes.size()];
            for (int i = 0; i < paths.length; i++) {
                InetSocketAddress remote = remotes.get(i);
                DatagramChannel channel = openChannel(remote.getAddress() instanceof Inet4Address
                        ? StandardProtocolFamily.INET : StandardProtocolFamily.INET6);
                try {
                    InetAddress local = config.bindAddress().getAddress();
                    channel.bind(local.isAnyLocalAddress() ? null : new InetSocketAddress(local, 0));
                    channel.connect(remote);
                    paths[i] = new Path(i, remote, channel, true, now);
                    channel.register(selector, SelectionKey.OP_READ, paths[i]);
                } catch (IOException | RuntimeException e) {
                    channel.close();
                    throw e;
                }
            }
            E engine = factory.create(config, paths, peer, now);
            engine.start("mptunnel-client-" + paths[0].channel().socket().getLocalPort(), selector);
            return engine;
        } catch (IOException | RuntimeException e) {
            for (SelectionKey key : selector.keys()) {
                key.channel().close();
            }
            selector.close();
            throw e;
        }
    }

    private static InetSocketAddress resolve(InetSocketAddress address, String what) throws UnknownHostException {
        InetSocketAddress resolved = address.isUnresolved()
                ? new InetSocketAddress(address.getHostString(), address.getPort()) : address;
        if (resolved.isUnresolved()) {
            throw new UnknownHostException("cannot resolve " + what + " " + address.getHostString() + ":" + address.getPort());
        }
        return resolved;
    }

    /** @return the resolved peer address, which received datagrams carry */
    public final InetSocketAddress peer() {
        return peer;
    }

    @Override
    protected final void received(Object endpoint, InetSocketAddress source, ByteBuffer datagram, int length,
                                  long nowNanos) {
        onDatagram((Path) endpoint, datagram, length, nowNanos);
    }

    /**
     * I/O thread: one datagram of {@code length} bytes, in the inbox's current frame, arrived on
     * {@code path}; {@code now} is the clock read once for the read batch.
     */
    protected abstract void onDatagram(Path path, ByteBuffer datagram, int length, long now);

    @Override
    public final InetSocketAddress localAddress() {
        return (InetSocketAddress) paths[0].channel().socket().getLocalSocketAddress();
    }

    @Override
    public final List<DatagramChannel> channels() {
        List<DatagramChannel> channels = new ArrayList<>(paths.length);
        for (Path path : paths) {
            channels.add(path.channel());
        }
        return channels;
    }
}
