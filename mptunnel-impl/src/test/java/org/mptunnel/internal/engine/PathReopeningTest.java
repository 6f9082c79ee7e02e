package org.mptunnel.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mptunnel.MultipathDatagramSocket;
import org.mptunnel.PathStats;
import org.mptunnel.TunnelConfig;
import org.mptunnel.TunnelPath;
import org.mptunnel.internal.io.DatagramIo;
import org.mptunnel.internal.io.NioDatagramIo;

/**
 * A client's path whose local address went away (roaming, issue 18): its sends fail, and the
 * client opens the path's channel again under the same path, so the server moves the path to the
 * new source once validated and the v2 session goes on without a handshake. The address going
 * away is pretended (a test cannot take 127.0.0.2 off loopback without root): sends on the path's
 * first channel fail as the kernel fails them then, and the engine is told the address is gone.
 */
@Timeout(30)
class PathReopeningTest {

    private static final InetAddress SECOND = address("127.0.0.2");
    private static final Duration KEEPALIVE = Duration.ofMillis(100);
    private static final byte[] KEY = new byte[TunnelConfig.PRE_SHARED_KEY_LENGTH];

    static {
        Arrays.fill(KEY, (byte) 5);
    }

    private final FailingIo io = new FailingIo();
    private MultipathDatagramSocket server;
    private ClientEngine client;

    @BeforeEach
    void open() throws IOException {
        server = MultipathDatagramSocket.open(TunnelConfig.server(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .keepaliveInterval(KEEPALIVE).preSharedKey(KEY).build());
        server.setSoTimeout(100);
        InetSocketAddress to = new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort());
        client = ClientEngine.open(TunnelConfig.client().path(TunnelPath.to(to).from(new InetSocketAddress(SECOND, 0)))
                .keepaliveInterval(KEEPALIVE).preSharedKey(KEY).build(), io);
        await().atMost(Duration.ofSeconds(10)).until(() -> client.stats().handshakes() > 0);
        await().atMost(Duration.ofSeconds(5)).until(() -> arrives("before"));
    }

    @AfterEach
    void close() {
        client.close();
        server.close();
    }

    @Test
    void aPathWhoseAddressWentAwayIsReopenedAndTheSessionGoesOnWithoutAHandshake() throws Exception {
        DatagramChannel first = client.channels().get(0);
        InetSocketAddress before = (InetSocketAddress) first.getLocalAddress();
        client.addressPresent(address -> false);
        io.broken = first;

        await().atMost(Duration.ofSeconds(5)).until(() -> arrives("after") && serverPathIs(client.channels().get(0)));
        DatagramChannel now = client.channels().get(0);
        assertThat(now).isNotSameAs(first);
        assertThat(first.isOpen()).isFalse();
        assertThat(((InetSocketAddress) now.getLocalAddress()).getAddress()).isEqualTo(SECOND); // as the path says
        assertThat(now.getLocalAddress()).isNotEqualTo(before);
        assertThat(client.reopenAttempts()).isEqualTo(1);
        assertThat(client.pathsReopened()).isEqualTo(1);
        assertThat(client.stats().handshakes()).isEqualTo(1);
        assertThat(server.stats().sessions()).singleElement()
                .satisfies(s -> assertThat(s.sessionId()).isEqualTo(client.sessionId()));
        assertThat(client.stats().sessions().get(0).paths()).hasSize(1);
    }

    @Test
    void aFailingSendWhoseAddressIsStillThereReopensNothing() {
        io.broken = client.channels().get(0); // as when the uplink's link is down: the address stays
        await().during(Duration.ofMillis(4 * KEEPALIVE.toMillis())).atMost(Duration.ofSeconds(5))
                .until(() -> send("lost") && client.reopenAttempts() == 0);
        assertThat(client.channels()).containsExactly(io.broken);
    }

    @Test
    void anAddressThatStaysGoneIsTriedAgainAtMostOncePerKeepaliveInterval() {
        long start = System.nanoTime();
        client.addressPresent(address -> false);
        io.all = true;
        await().atMost(Duration.ofSeconds(10)).until(() -> send("lost") && client.reopenAttempts() >= 4);
        long intervals = (System.nanoTime() - start) / KEEPALIVE.toNanos();
        assertThat(client.reopenAttempts()).isLessThanOrEqualTo(intervals + 1);
    }

    /** Sends {@code text} and reports whether the server received a datagram saying so. */
    private boolean arrives(String text) throws IOException {
        send(text);
        DatagramPacket packet = new DatagramPacket(new byte[100], 100);
        try {
            while (true) {
                server.receive(packet);
                if (new String(packet.getData(), 0, packet.getLength(), StandardCharsets.UTF_8).equals(text)) {
                    return true;
                }
            }
        } catch (SocketTimeoutException e) {
            return false;
        }
    }

    private boolean send(String text) throws IOException {
        byte[] data = text.getBytes(StandardCharsets.UTF_8);
        client.send(data, 0, data.length, null, 0);
        return true;
    }

    /** @return whether the server's one session has one path, validated and up, from {@code channel}'s address */
    private boolean serverPathIs(DatagramChannel channel) throws IOException {
        List<PathStats> paths = server.stats().sessions().get(0).paths();
        return paths.size() == 1 && paths.get(0).remote().equals(channel.getLocalAddress()) && paths.get(0).validated()
                && paths.get(0).up();
    }

    private static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The JDK's I/O, except that sends on {@link #broken} (or, with {@link #all}, every send) fail. */
    private static final class FailingIo implements DatagramIo {

        volatile DatagramChannel broken;
        volatile boolean all;

        @Override
        public void read(SelectionKey ready, Sink sink, int max) {
            NioDatagramIo.INSTANCE.read(ready, sink, max);
        }

        @Override
        public int write(DatagramChannel channel, boolean connected, ByteBuffer datagram, InetSocketAddress remote)
                throws IOException {
            if (all || channel == broken) {
                throw new SocketException("Invalid argument (a test's: the source address is gone)");
            }
            return NioDatagramIo.INSTANCE.write(channel, connected, datagram, remote);
        }
    }
}
