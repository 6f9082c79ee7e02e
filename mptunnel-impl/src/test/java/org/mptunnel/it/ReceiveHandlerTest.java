package org.mptunnel.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.net.DatagramPacket;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.mptunnel.DatagramHandler;
import org.mptunnel.MultipathDatagramSocket;
import org.mptunnel.TunnelConfig.WireFormat;
import org.mptunnel.TunnelStats;
import org.mptunnel.internal.bridge.Impairment;
import org.mptunnel.internal.bridge.UdpBridge;

/**
 * A receive handler takes every datagram on the I/O thread: once each although three paths carry a
 * copy, with the bytes and address {@code receive} would have given, on both roles.
 */
@Timeout(60)
class ReceiveHandlerTest {

    private static final int COUNT = 300;
    private static final Duration PATIENCE = Duration.ofSeconds(10);

    /** Every datagram's number, with how often it arrived and whether its bytes and sender were right. */
    private static final class Recorder implements DatagramHandler {
        final Map<Integer, AtomicInteger> seen = new ConcurrentHashMap<>();
        final AtomicInteger wrong = new AtomicInteger();
        final AtomicInteger calls = new AtomicInteger();
        volatile SocketAddress expectedFrom;
        volatile SocketAddress lastFrom;

        @Override
        public void onDatagram(ByteBuffer payload, InetSocketAddress from) {
            lastFrom = from;
            int length = payload.remaining();
            int number = length >= 4 ? payload.getInt(payload.position()) : -1;
            if (number < 0 || !Numbered.matches(payload, number) || (expectedFrom != null && !expectedFrom.equals(from))) {
                wrong.incrementAndGet();
            }
            seen.computeIfAbsent(number, n -> new AtomicInteger()).incrementAndGet();
            calls.incrementAndGet(); // last: a test that sees the call sees what it recorded
        }

        void assertEachOnce() {
            // Exactly COUNT calls, and still exactly COUNT 200 ms later: a late duplicate would show.
            await().atMost(PATIENCE).during(Duration.ofMillis(200)).until(() -> calls.get() == COUNT);
            assertThat(wrong.get()).isZero();
            assertThat(seen).hasSize(COUNT);
            assertThat(seen.values()).allSatisfy(n -> assertThat(n.get()).isEqualTo(1));
        }
    }

    @ParameterizedTest
    @EnumSource(value = WireFormat.class, names = {"MPTUNNEL_V1", "LEGACY"})
    void aServerHandlerGetsEachDatagramOnceWithItsSession(WireFormat format) throws Exception {
        try (Loopback net = new Loopback()) {
            Recorder recorder = new Recorder();
            MultipathDatagramSocket server = net.server(b -> b.wireFormat(format).receiveHandler(recorder));
            MultipathDatagramSocket client = net.client(bridgesTo(net, server), b -> b.wireFormat(format));

            for (int n = 0; n < COUNT; n++) {
                client.send(Numbered.packet(n));
            }
            recorder.assertEachOnce();
            TunnelStats stats = server.stats();
            assertThat(recorder.lastFrom).isEqualTo(stats.sessions().get(0).address());
            assertThat(stats.delivered()).isEqualTo(COUNT);
            assertThat(stats.duplicatesDropped()).isPositive();
        }
    }

    @ParameterizedTest
    @EnumSource(value = WireFormat.class, names = {"MPTUNNEL_V1", "LEGACY"})
    void aClientHandlerGetsEachDatagramOnceFromItsPeer(WireFormat format) throws Exception {
        try (Loopback net = new Loopback()) {
            Recorder recorder = new Recorder();
            MultipathDatagramSocket server = net.server(b -> b.wireFormat(format));
            List<InetSocketAddress> paths = bridgesTo(net, server);
            recorder.expectedFrom = paths.get(0); // the peer address defaults to the first path
            MultipathDatagramSocket client = net.client(paths, b -> b.wireFormat(format).receiveHandler(recorder));

            client.send(Numbered.packet(0)); // opens the session, so the server has somewhere to send
            DatagramPacket first = new DatagramPacket(new byte[2048], 2048);
            server.receive(first);
            for (int n = 0; n < COUNT; n++) {
                DatagramPacket p = Numbered.packet(n);
                p.setSocketAddress(first.getSocketAddress());
                server.send(p);
            }
            recorder.assertEachOnce();
            assertThat(client.stats().delivered()).isEqualTo(COUNT);
        }
    }

    @Test
    void receiveThrowsWhenAHandlerIsSet() throws Exception {
        try (Loopback net = new Loopback()) {
            MultipathDatagramSocket server = net.server(b -> b.receiveHandler((p, from) -> { }));
            MultipathDatagramSocket client = net.client(List.of(Loopback.addressOf(server)), b -> b.receiveHandler((p, from) -> { }));
            for (MultipathDatagramSocket socket : List.of(server, client)) {
                assertThatThrownBy(() -> socket.receive(new DatagramPacket(new byte[16], 16)))
                        .isInstanceOf(SocketException.class)
                        .hasMessageContaining("handler");
            }
        }
    }

    @Test
    void aThrowingHandlerCostsOnlyItsDatagram() throws Exception {
        try (Loopback net = new Loopback()) {
            AtomicInteger calls = new AtomicInteger();
            AtomicInteger kept = new AtomicInteger();
            MultipathDatagramSocket server = net.server(b -> b.receiveHandler((payload, from) -> {
                if (payload.getInt(payload.position()) % 2 == 0) {
                    calls.incrementAndGet();
                    throw new IllegalStateException("the handler's own failure");
                }
                kept.incrementAndGet();
                calls.incrementAndGet(); // after kept: a test that sees the call sees it kept
            }));
            MultipathDatagramSocket client = net.client(List.of(Loopback.addressOf(server)));

            for (int n = 0; n < 10; n++) {
                client.send(Numbered.packet(n));
                int expected = n + 1;
                await().atMost(PATIENCE).until(() -> calls.get() == expected); // in order, so none is lost
            }
            assertThat(kept.get()).isEqualTo(5);
            TunnelStats stats = server.stats();
            assertThat(stats.delivered()).isEqualTo(5);
            assertThat(stats.queueDropped()).isEqualTo(5);
        }
    }

    private static List<InetSocketAddress> bridgesTo(Loopback net, MultipathDatagramSocket server) {
        List<UdpBridge> bridges = List.of(
                net.bridge(Loopback.addressOf(server), Impairment.NONE),
                net.bridge(Loopback.addressOf(server), Impairment.NONE),
                net.bridge(Loopback.addressOf(server), Impairment.NONE));
        return Loopback.addressesOf(bridges);
    }

    /** Datagrams that carry their number and a pattern derived from it, so their bytes can be checked. */
    private static final class Numbered {
        static final int LENGTH = 100;

        static DatagramPacket packet(int number) {
            ByteBuffer b = ByteBuffer.allocate(LENGTH).putInt(number);
            while (b.hasRemaining()) {
                b.put((byte) (number + b.position()));
            }
            return new DatagramPacket(b.array(), LENGTH);
        }

        static boolean matches(ByteBuffer payload, int number) {
            if (payload.remaining() != LENGTH) {
                return false;
            }
            int start = payload.position();
            for (int i = 4; i < LENGTH; i++) {
                if (payload.get(start + i) != (byte) (number + i)) {
                    return false;
                }
            }
            return true;
        }
    }
}
