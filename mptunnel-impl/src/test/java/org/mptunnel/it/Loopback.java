package org.mptunnel.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.mptunnel.MultipathDatagramSocket;
import org.mptunnel.TunnelConfig;
import org.mptunnel.internal.bridge.Impairment;
import org.mptunnel.internal.bridge.UdpBridge;

/**
 * Builds loopback topologies for tests and closes everything it built, in reverse order.
 * Keepalives are fast (50 ms) so that liveness is observable within a test's time.
 */
final class Loopback implements AutoCloseable {

    static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    static final Duration KEEPALIVE = Duration.ofMillis(50);

    private final List<AutoCloseable> opened = new ArrayList<>();

    MultipathDatagramSocket server() throws IOException {
        return server(b -> b);
    }

    MultipathDatagramSocket server(UnaryOperator<TunnelConfig.ServerBuilder> options) throws IOException {
        TunnelConfig config = options.apply(TunnelConfig.server(new InetSocketAddress(LOOPBACK, 0))
                .keepaliveInterval(KEEPALIVE)).build();
        return track(MultipathDatagramSocket.open(config));
    }

    MultipathDatagramSocket client(List<InetSocketAddress> paths) throws IOException {
        return client(paths, b -> b);
    }

    MultipathDatagramSocket client(List<InetSocketAddress> paths, UnaryOperator<TunnelConfig.ClientBuilder> options)
            throws IOException {
        TunnelConfig config = options.apply(TunnelConfig.client().paths(paths).keepaliveInterval(KEEPALIVE)).build();
        return track(MultipathDatagramSocket.open(config));
    }

    UdpBridge bridge(InetSocketAddress target, Impairment impairment) {
        return bridge(target, impairment, new InetSocketAddress(LOOPBACK, 0));
    }

    UdpBridge bridge(InetSocketAddress target, Impairment impairment, InetSocketAddress listen) {
        try {
            return track(UdpBridge.start(listen, target, impairment));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @return {@code count} bridges to {@code target}, bridge i losing {@code loss} with seed {@code seed + i} */
    List<UdpBridge> lossyBridges(int count, InetSocketAddress target, double loss, long seed) {
        List<UdpBridge> bridges = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            bridges.add(bridge(target, Impairment.lossy(loss, seed + i)));
        }
        return bridges;
    }

    /** One bridge per loss in {@code losses}, each losing that share, seeded {@code seed}, {@code seed} + 1, … */
    List<UdpBridge> bridgesLosing(InetSocketAddress target, long seed, double... losses) {
        List<UdpBridge> bridges = new ArrayList<>();
        for (int i = 0; i < losses.length; i++) {
            bridges.add(bridge(target, Impairment.lossy(losses[i], seed + i)));
        }
        return bridges;
    }

    static InetSocketAddress addressOf(MultipathDatagramSocket server) {
        return new InetSocketAddress(LOOPBACK, server.getLocalPort());
    }

    static List<InetSocketAddress> addressesOf(List<UdpBridge> bridges) {
        List<InetSocketAddress> addresses = new ArrayList<>();
        for (UdpBridge bridge : bridges) {
            addresses.add(bridge.localAddress());
        }
        return addresses;
    }

    <T extends AutoCloseable> T track(T resource) {
        opened.add(resource);
        return resource;
    }

    @Override
    public void close() throws Exception {
        Exception failure = null;
        for (int i = opened.size() - 1; i >= 0; i--) {
            try {
                opened.get(i).close();
            } catch (Exception e) {
                failure = e;
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
