package org.mptunnel.examples.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mptunnel.MultipathDatagramSocket;
import org.mptunnel.PathStats;
import org.mptunnel.TunnelConfig;
import org.mptunnel.TunnelPath;
import org.mptunnel.examples.cli.UserError;

/**
 * Automatic paths over a fake interface source whose "interfaces" carry loopback addresses
 * (127.0.0.2, 127.0.0.3 … answer on Linux loopback), so real path sockets bind to them and the
 * server names each path by that address.
 */
@Timeout(60)
class AutomaticPathsTest {

    private static final Duration KEEPALIVE = Duration.ofMillis(50);
    private static final AutomaticPaths.Filter DEFAULT = new AutomaticPaths.Filter(List.of(), List.of(), false, false);

    private final FakeInterfaces interfaces = new FakeInterfaces();
    private MultipathDatagramSocket server;
    private InetSocketAddress serverAddress;
    private MultipathDatagramSocket client;
    private AutomaticPaths automatic;
    private final List<List<TunnelPath>> forNewTunnels = new CopyOnWriteArrayList<>();
    private final BitSet received = new BitSet();
    private Thread receiver;

    @BeforeEach
    void startServer() throws IOException {
        server = MultipathDatagramSocket.open(TunnelConfig.server(new InetSocketAddress(ip("127.0.0.1"), 0))
                .keepaliveInterval(KEEPALIVE).build());
        serverAddress = new InetSocketAddress(ip("127.0.0.1"), server.getLocalPort());
        server.setSoTimeout(100);
        receiver = new Thread(() -> {
            DatagramPacket packet = new DatagramPacket(new byte[64], 64);
            while (!server.isClosed()) {
                try {
                    server.receive(packet);
                    synchronized (received) {
                        received.set(ByteBuffer.wrap(packet.getData(), packet.getOffset(), 4).getInt());
                    }
                } catch (SocketTimeoutException e) {
                    // look whether the server closed
                } catch (IOException e) {
                    return;
                }
            }
        }, "test-receiver");
        receiver.start();
    }

    @AfterEach
    void stop() throws InterruptedException {
        if (automatic != null) {
            automatic.close();
        }
        if (client != null) {
            client.close();
        }
        server.close();
        receiver.join(5_000);
    }

    /** Starts the automatic paths and a client with their first paths, as mpclient does. */
    private void startClient(AutomaticPaths.Filter filter, List<TunnelPath> configured) throws IOException {
        automatic = new AutomaticPaths(interfaces, filter, configured);
        List<TunnelPath> initial = automatic.initialPaths();
        TunnelConfig.ClientBuilder builder = TunnelConfig.client().keepaliveInterval(KEEPALIVE);
        initial.forEach(builder::path);
        client = MultipathDatagramSocket.open(builder.build());
        automatic.updateThrough(new PathUpdater(new PathUpdater.Tunnels() {
            @Override
            public void pathsForNewTunnels(List<TunnelPath> paths) {
                forNewTunnels.add(paths);
            }

            @Override
            public List<MultipathDatagramSocket> openTunnels() {
                return List.of(client);
            }
        }, initial));
    }

    @Test
    void oneUsablePathPerInterfaceAndRemoteLoopbackLinkLocalDownAndExcludedLeftOut() throws IOException {
        interfaces.set(
                nif("lo", true, true, "127.0.0.1", "::1"),
                nif("up1", true, false, "127.0.0.2", "fe80::1"),
                nif("down1", false, false, "127.0.0.4"),
                nif("ll1", true, false, "169.254.7.7", "fe80::2"),
                nif("docker0", true, false, "127.0.0.5"));
        InetSocketAddress v6server = new InetSocketAddress(ip("::1"), 2000);
        TunnelPath fixed = TunnelPath.to(serverAddress).from(new InetSocketAddress(ip("127.0.0.6"), 0));
        AutomaticPaths paths = new AutomaticPaths(interfaces,
                new AutomaticPaths.Filter(List.of(), List.of("dock*"), false, false),
                List.of(TunnelPath.to(serverAddress), TunnelPath.to(v6server), fixed));

        assertThat(paths.selected()).containsExactly(
                fixed, TunnelPath.to(serverAddress).from(new InetSocketAddress(ip("127.0.0.2"), 0)));

        AutomaticPaths asked = new AutomaticPaths(interfaces, new AutomaticPaths.Filter(List.of("l*"), List.of(), true, true),
                List.of(TunnelPath.to(serverAddress), TunnelPath.to(v6server)));
        assertThat(asked.selected()).containsExactly(
                TunnelPath.to(serverAddress).from(new InetSocketAddress(ip("127.0.0.1"), 0)),
                TunnelPath.to(v6server).from(new InetSocketAddress(ip("::1"), 0)),
                TunnelPath.to(serverAddress).from(new InetSocketAddress(ip("169.254.7.7"), 0)),
                TunnelPath.to(v6server).from(new InetSocketAddress(ip("fe80::2"), 0)));

        interfaces.set(nif("lo", true, true, "127.0.0.1"));
        assertThatThrownBy(() -> new AutomaticPaths(interfaces, DEFAULT, List.of(TunnelPath.to(serverAddress)))
                .selected()).isInstanceOf(UserError.class).hasMessageContaining("no usable interface");
    }

    @Test
    void anInterfaceThatComesUpGetsItsPathAndOneThatGoesLosesItWithNothingLostMeanwhile() throws Exception {
        interfaces.set(nif("up1", true, false, "127.0.0.2"));
        startClient(DEFAULT, List.of(TunnelPath.to(serverAddress)));
        int sent = send(0, 100);
        awaitReceived(sent);

        interfaces.set(nif("up1", true, false, "127.0.0.2"), nif("up2", true, false, "127.0.0.3"));
        automatic.poll();
        TunnelPath second = TunnelPath.to(serverAddress).from(new InetSocketAddress(ip("127.0.0.3"), 0));
        assertThat(client.paths()).contains(second);
        assertThat(forNewTunnels).last().asList().contains(second);
        sent = send(sent, 100);
        awaitReceived(sent);
        await().atMost(Duration.ofSeconds(5)).until(() -> heardFrom("127.0.0.3") > 100);

        interfaces.set(nif("up2", true, false, "127.0.0.3"));
        automatic.poll();
        assertThat(client.paths()).containsExactly(second);
        sent = send(sent, 200);
        awaitReceived(sent);
        assertThat(client.stats().sendDropped()).isZero();

        interfaces.set(nif("up2", true, false, "127.0.0.4", "127.0.0.3"));
        automatic.poll();
        assertThat(client.paths()).as("the address in use is kept while the interface has it").containsExactly(second);
        interfaces.set(nif("up2", true, false, "127.0.0.4"));
        automatic.poll();
        assertThat(client.paths()).as("the path moves with the address")
                .containsExactly(TunnelPath.to(serverAddress).from(new InetSocketAddress(ip("127.0.0.4"), 0)));
        sent = send(sent, 100);
        awaitReceived(sent);
    }

    @Test
    void anAddressThatCannotBeBoundIsLeftOutUntilTheInterfaceHasOneThatCan() throws Exception {
        interfaces.set(nif("up1", true, false, "127.0.0.2"));
        startClient(DEFAULT, List.of(TunnelPath.to(serverAddress)));
        // 192.0.2.1 (TEST-NET-1) is not this machine's: as a new IPv6 address is until the kernel has checked it.
        interfaces.set(nif("up1", true, false, "127.0.0.2"), nif("new1", true, false, "192.0.2.1"));
        automatic.poll();
        assertThat(client.paths()).hasSize(1);

        interfaces.set(nif("up1", true, false, "127.0.0.2"), nif("new1", true, false, "127.0.0.3"));
        automatic.poll();
        assertThat(client.paths()).hasSize(2);
    }

    /**
     * At the start, an interface's path that cannot be bound and connected (here an address this
     * machine does not have; on a real machine also no route yet) is left out rather than failing
     * the session, and added once it can be.
     */
    @Test
    void aPathThatCannotBeConnectedAtTheStartIsLeftOutUntilItCan() throws Exception {
        interfaces.set(nif("up1", true, false, "127.0.0.2"), nif("new1", true, false, "192.0.2.1"));
        startClient(DEFAULT, List.of(TunnelPath.to(serverAddress)));
        assertThat(client.paths()).containsExactly(
                TunnelPath.to(serverAddress).from(new InetSocketAddress(ip("127.0.0.2"), 0)));

        interfaces.set(nif("up1", true, false, "127.0.0.2"), nif("new1", true, false, "127.0.0.3"));
        automatic.poll();
        assertThat(client.paths()).hasSize(2);
    }

    /**
     * A path the open socket cannot add although its address can be bound (as one with no route
     * to its remote yet: an interface up before its routes) is tried again at the next poll. Here a
     * fixed local port held by another socket stands for the missing route.
     */
    @Test
    void aPathTheOpenSocketCouldNotAddIsTriedAgainAtTheNextPoll() throws Exception {
        interfaces.set(nif("up1", true, false, "127.0.0.2"));
        startClient(DEFAULT, List.of(TunnelPath.to(serverAddress)));
        TunnelPath pinned;
        try (java.net.DatagramSocket holder = new java.net.DatagramSocket(new InetSocketAddress(ip("127.0.0.3"), 0))) {
            pinned = TunnelPath.to(serverAddress).from((InetSocketAddress) holder.getLocalSocketAddress());
            automatic.configure(List.of(TunnelPath.to(serverAddress), pinned));
            automatic.poll();
            assertThat(client.paths()).doesNotContain(pinned);
            automatic.poll();
            assertThat(client.paths()).doesNotContain(pinned);
        }
        automatic.poll();
        assertThat(client.paths()).contains(pinned);
        int sent = send(0, 100);
        awaitReceived(sent);
        await().atMost(Duration.ofSeconds(5)).until(() -> heardFrom("127.0.0.3") > 0);
    }

    @Test
    void pollingOnItsOwnThreadFollowsAnInterfaceThatComesUp() throws Exception {
        interfaces.set(nif("up1", true, false, "127.0.0.2"));
        startClient(DEFAULT, List.of(TunnelPath.to(serverAddress)));
        automatic.start(Duration.ofSeconds(1));

        interfaces.set(nif("up1", true, false, "127.0.0.2"), nif("up2", true, false, "127.0.0.3"));
        long upAt = System.nanoTime();
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(10)).until(() -> client.paths().size() == 2);
        System.out.printf("automatic paths: a new interface had its path after %d ms (poll every 1 s)%n",
                (System.nanoTime() - upAt) / 1_000_000);
    }

    private int send(int from, int count) throws IOException {
        for (int n = from; n < from + count; n++) {
            byte[] data = ByteBuffer.allocate(16).putInt(n).array();
            client.send(new DatagramPacket(data, data.length));
            if ((n & 15) == 15) {
                int upTo = n;
                await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(1)).until(() -> count(upTo) > upTo - 16);
            }
        }
        return from + count;
    }

    private void awaitReceived(int count) {
        await().atMost(Duration.ofSeconds(10)).until(() -> count(count - 1) == count);
    }

    /** How many of the numbers 0 to {@code upTo} arrived. */
    private int count(int upTo) {
        synchronized (received) {
            return received.get(0, upTo + 1).cardinality();
        }
    }

    private long heardFrom(String local) throws IOException {
        var sessions = server.stats().sessions();
        InetAddress address = ip(local);
        return sessions.isEmpty() ? 0 : sessions.get(0).paths().stream()
                .filter(p -> p.remote().getAddress().equals(address)).mapToLong(PathStats::datagramsReceived).sum();
    }

    private static InterfaceSource.NetInterface nif(String name, boolean up, boolean loopback, String... addresses) {
        List<InetAddress> list = new ArrayList<>();
        for (String address : addresses) {
            list.add(ip(address));
        }
        return new InterfaceSource.NetInterface(name, up, loopback, list);
    }

    private static InetAddress ip(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Interfaces the test sets; read by the poller's thread. */
    private static final class FakeInterfaces implements InterfaceSource {
        private volatile List<NetInterface> now = List.of();

        void set(NetInterface... interfaces) {
            now = List.of(interfaces);
        }

        @Override
        public List<NetInterface> interfaces() throws SocketException {
            return now;
        }
    }
}
