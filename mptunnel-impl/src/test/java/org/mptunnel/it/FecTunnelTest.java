package org.mptunnel.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mptunnel.MultipathDatagramSocket;
import org.mptunnel.OrderedDelivery;
import org.mptunnel.Redundancy;
import org.mptunnel.RedundancyStats;
import org.mptunnel.TunnelConfig;
import org.mptunnel.internal.bridge.Impairment;
import org.mptunnel.internal.bridge.UdpBridge;

/**
 * Forward error correction end to end over loopback bridges: each datagram on one path, repairs
 * spread over the paths, lost datagrams rebuilt at the receiver, in both directions.
 */
class FecTunnelTest {

    private static final int COUNT = 12_000;

    /** Lengths vary, so that groups code datagrams of different lengths. */
    private static int length(int n) {
        return 200 + (n * 37) % 300;
    }

    @Test
    @Timeout(120)
    void fecOverThreeLossyPathsRecoversWhatOneCopyWouldLoseAtLittleMoreThanOneCopysTraffic() throws Exception {
        try (Loopback net = new Loopback()) {
            MultipathDatagramSocket server = net.server();
            List<UdpBridge> bridges = net.lossyBridges(3, Loopback.addressOf(server), 0.05, 20_261_204L);
            MultipathDatagramSocket client = net.client(Loopback.addressesOf(bridges),
                    b -> b.redundancy(Redundancy.fec(4, 2)));
            try (Traffic.Receiver receiver = new Traffic.Receiver(server)) {
                sendVaried(client, null, 0, COUNT, receiver);
                awaitQuiet(server, receiver);
                double loss = 1.0 - (double) receiver.received.get() / COUNT;
                RedundancyStats sent = client.stats().redundancy();
                RedundancyStats got = server.stats().redundancy();
                System.out.printf("fec(4,2) over 3 x 5 %%: loss %.3f %% (one copy: 5 %%), %d recovered, "
                                + "%.3f bytes on the wire per payload byte, %d repairs, residual %.3f %%%n",
                        100 * loss, got.recovered(), sent.wireBytesPerPayloadByte(), sent.repairsSent(),
                        100 * got.residualLoss());
                // One copy on one path loses 5 %; a group of 6 shards loses data for good only if
                // 3 or more of them are lost: about 0.2 %.
                assertThat(loss).as("one-way loss").isLessThan(0.01);
                assertThat(got.recovered()).as("datagrams recovered").isGreaterThan(COUNT / 50);
                assertThat(sent.wireBytesPerPayloadByte()).as("bytes on the wire per payload byte")
                        .isBetween(1.5, 1.9);
                assertThat(sent.repairsSent()).isBetween((long) COUNT / 2 - 50, (long) COUNT / 2 + 500);
                assertThat(got.residualLoss()).as("the receiver's residual").isCloseTo(loss, within(0.002));
                assertThat(receiver.duplicates).as("a datagram recovered and arriving too is delivered once")
                        .hasValue(0);
                assertThat(receiver.damaged).hasValue(0);
                assertThat(server.stats().malformedDropped()).isZero();
            }
        }
    }

    /**
     * Three clean paths, one closed mid-stream: every group of 4 + 2 has 2 shards on each path, so
     * until the client sees the path dead its losses are erasures the repairs fill; with ordered
     * delivery the rebuilt datagrams take their places: nothing is lost, nothing out of order.
     */
    @Test
    @Timeout(120)
    void aPathThatDiesIsOnlyErasuresAndRecoveredDatagramsArriveInOrder() throws Exception {
        try (Loopback net = new Loopback()) {
            MultipathDatagramSocket server = net.server(b -> b.orderedDelivery(OrderedDelivery.fixed(Duration.ofMillis(200))));
            List<UdpBridge> bridges = List.of(
                    net.bridge(Loopback.addressOf(server), Impairment.NONE),
                    net.bridge(Loopback.addressOf(server), Impairment.NONE),
                    net.bridge(Loopback.addressOf(server), Impairment.NONE));
            MultipathDatagramSocket client = net.client(Loopback.addressesOf(bridges),
                    b -> b.redundancy(Redundancy.fec(4, 2)).deadTimeout(Duration.ofSeconds(2)));
            OrderChecker receiver = new OrderChecker(server);
            try {
                for (int n = 0; n < 6_000; n++) {
                    if (n == 2_000) {
                        bridges.get(1).close();
                    }
                    send(client, null, n);
                    if (n % 64 == 63) {
                        int sent = n;
                        await().atMost(Duration.ofSeconds(5)).until(() -> receiver.highest.get() >= sent - 64);
                    }
                }
                try {
                    await().atMost(Duration.ofSeconds(10)).until(() -> receiver.count.get() == 6_000);
                } finally {
                    System.out.printf("dead path: %d received in order, %d out of order, highest %d; server %s%n",
                            receiver.count.get(), receiver.outOfOrder.get(), receiver.highest.get(), server.stats());
                    System.out.printf("client %s%n", client.stats());
                }
                assertThat(receiver.outOfOrder).as("datagrams out of order").hasValue(0);
                assertThat(server.stats().redundancy().recovered()).as("recovered from the dead path's erasures")
                        .isPositive();
            } finally {
                receiver.close();
            }
        }
    }

    /** The server codes its replies at the rate its client's datagrams carry. */
    @Test
    @Timeout(120)
    void theServersRepliesAreProtectedWithTheClientsRate() throws Exception {
        try (Loopback net = new Loopback()) {
            MultipathDatagramSocket server = net.server();
            List<UdpBridge> bridges = net.lossyBridges(3, Loopback.addressOf(server), 0.05, 20_261_205L);
            MultipathDatagramSocket client = net.client(Loopback.addressesOf(bridges),
                    b -> b.redundancy(Redundancy.fec(4, 2)));
            client.send(new DatagramPacket(Traffic.datagram(0, 100), 100));
            DatagramPacket first = new DatagramPacket(new byte[2048], 2048);
            server.setSoTimeout(5_000);
            server.receive(first);
            SocketAddress session = first.getSocketAddress();
            try (Traffic.Receiver receiver = new Traffic.Receiver(client)) {
                sendVaried(server, session, 0, COUNT, receiver);
                awaitQuiet(client, receiver);
                double loss = 1.0 - (double) receiver.received.get() / COUNT;
                RedundancyStats replies = server.stats().redundancy();
                System.out.printf("replies, mirrored fec(4,2) over 3 x 5 %%: loss %.3f %%, %d recovered by the client, "
                                + "%.3f bytes on the wire per payload byte%n",
                        100 * loss, client.stats().redundancy().recovered(), replies.wireBytesPerPayloadByte());
                assertThat(loss).isLessThan(0.01);
                assertThat(client.stats().redundancy().recovered()).isGreaterThan(COUNT / 50);
                assertThat(replies.repairsSent()).isGreaterThan(COUNT / 3);
                assertThat(replies.wireBytesPerPayloadByte()).as("not one copy per path").isLessThan(1.9);
                assertThat(client.stats().redundancy().residualLoss())
                        .as("the client's residual, of a server that numbers from its clock").isCloseTo(loss, within(0.002));
            }
        }
    }

    /** Protocol v2: data and repairs sealed, recovery the same. */
    @Test
    @Timeout(120)
    void sealedRepairsRecoverToo() throws Exception {
        try (Loopback net = new Loopback()) {
            MultipathDatagramSocket server = net.server(b -> b.preSharedKey(SecureTunnelTest.KEY));
            List<UdpBridge> bridges = net.lossyBridges(3, Loopback.addressOf(server), 0.05, 20_261_206L);
            MultipathDatagramSocket client = net.client(Loopback.addressesOf(bridges),
                    b -> b.preSharedKey(SecureTunnelTest.KEY).redundancy(Redundancy.fec(4, 2)));
            await().atMost(Duration.ofSeconds(5)).until(() -> client.stats().handshakes() > 0);
            try (Traffic.Receiver receiver = new Traffic.Receiver(server)) {
                sendVaried(client, null, 0, 4_000, receiver);
                awaitQuiet(server, receiver);
                double loss = 1.0 - (double) receiver.received.get() / 4_000;
                assertThat(loss).isLessThan(0.015);
                assertThat(server.stats().redundancy().recovered()).isGreaterThan(40);
                assertThat(server.stats().authFailed()).isZero();
                assertThat(server.stats().malformedDropped()).isZero();
                assertThat(receiver.damaged).hasValue(0);
            }
        }
    }

    @Test
    void legacyFormatsRefuseFecAtConfiguration() {
        for (TunnelConfig.WireFormat format : List.of(TunnelConfig.WireFormat.LEGACY, TunnelConfig.WireFormat.LEGACY_PLAIN)) {
            assertThatThrownBy(() -> TunnelConfig.client().path(new InetSocketAddress(Loopback.LOOPBACK, 9))
                    .wireFormat(format).redundancy(Redundancy.fec(8, 4)).build())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("FEC redundancy").hasMessageContaining(format.toString());
        }
    }

    @Test
    void fecRatesOutsideTheLimitsAreRefused() {
        assertThatThrownBy(() -> Redundancy.fec(0, 2)).hasMessageContaining("k (data datagrams per group) must be 1 to 32");
        assertThatThrownBy(() -> Redundancy.fec(33, 2)).hasMessageContaining("must be 1 to 32");
        assertThatThrownBy(() -> Redundancy.fec(8, 0)).hasMessageContaining("m (repair datagrams per group) must be 1 to 16");
        assertThatThrownBy(() -> Redundancy.fec(8, 17)).hasMessageContaining("must be 1 to 16");
        assertThatThrownBy(() -> Redundancy.fec(8, 4, Duration.ofSeconds(2))).hasMessageContaining("deadline");
        assertThatThrownBy(() -> new Redundancy(Redundancy.Mode.ALL_PATHS, 0, 8, 4, Duration.ZERO))
                .hasMessageContaining("FEC redundancy only");
        Redundancy fec = Redundancy.fec(8, 4);
        assertThat(fec.groupDeadline()).isEqualTo(Duration.ofMillis(5));
        assertThat(fec.isFec()).isTrue();
        assertThat(new Redundancy(Redundancy.Mode.ADAPTIVE, 0.01).groupDeadline()).isEqualTo(Duration.ZERO);
    }

    private static org.assertj.core.data.Offset<Double> within(double d) {
        return org.assertj.core.data.Offset.offset(d);
    }

    private static void send(java.net.DatagramSocket socket, SocketAddress to, int n) throws IOException {
        byte[] data = Traffic.datagram(n, length(n));
        DatagramPacket packet = new DatagramPacket(data, data.length);
        if (to != null) {
            packet.setSocketAddress(to);
        }
        socket.send(packet);
    }

    /** Sends {@code from} to {@code to}, at most 64 ahead of what the receiver has seen (each wait bounded). */
    private static void sendVaried(java.net.DatagramSocket socket, SocketAddress to, int from, int end,
                                   Traffic.Receiver receiver) throws IOException {
        for (int n = from; n < end; n++) {
            long deadline = System.nanoTime() + 200_000_000L;
            while (n - receiver.highest.get() > 64 && System.nanoTime() - deadline < 0) {
                java.util.concurrent.locks.LockSupport.parkNanos(20_000);
            }
            send(socket, to, n);
        }
    }

    /** Waits until the receiving socket has delivered all it will and the receiver took it all. */
    private static void awaitQuiet(MultipathDatagramSocket socket, Traffic.Receiver receiver) {
        AtomicReference<Long> last = new AtomicReference<>(-1L);
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(300)).until(() -> {
            long delivered = socket.stats().delivered();
            boolean still = delivered == last.getAndSet(delivered);
            return still && receiver.received.get() + receiver.duplicates.get() >= delivered - 1;
        });
    }

    /** Receives and checks that numbers only go up. */
    private static final class OrderChecker implements AutoCloseable {
        final AtomicInteger count = new AtomicInteger();
        final AtomicInteger highest = new AtomicInteger(-1);
        final AtomicInteger outOfOrder = new AtomicInteger();
        private final MultipathDatagramSocket socket;
        private final Thread thread;

        OrderChecker(MultipathDatagramSocket socket) throws IOException {
            this.socket = socket;
            socket.setSoTimeout(100);
            thread = new Thread(this::run, "order-checker");
            thread.setDaemon(true);
            thread.start();
        }

        private void run() {
            DatagramPacket packet = new DatagramPacket(new byte[2048], 2048);
            while (!socket.isClosed()) {
                try {
                    socket.receive(packet);
                } catch (SocketTimeoutException e) {
                    continue;
                } catch (IOException e) {
                    return;
                }
                int n = Traffic.check(packet.getData(), packet.getOffset(), packet.getLength());
                if (n <= highest.get()) {
                    outOfOrder.incrementAndGet();
                } else {
                    highest.set(n);
                    count.incrementAndGet();
                }
            }
        }

        @Override
        public void close() throws InterruptedException {
            socket.close();
            thread.join(5_000);
        }
    }
}
