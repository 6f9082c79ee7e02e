package org.mptunnel.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mptunnel.MultipathDatagramSocket;
import org.mptunnel.OrderedDelivery;
import org.mptunnel.PathStats;
import org.mptunnel.Redundancy;
import org.mptunnel.RedundancyStats;
import org.mptunnel.SessionStats;
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
                Traffic.sendPaced(client, null, 0, COUNT, FecTunnelTest::length, 64, receiver);
                awaitQuiet(server, receiver);
                double loss = 1.0 - (double) receiver.received.get() / COUNT;
                RedundancyStats sent = client.stats().redundancy();
                RedundancyStats got = server.stats().redundancy();
                System.out.printf("fec(4,2) over 3 x 5 %%: loss %.3f %% (one copy: 5 %%), %d recovered, "
                                + "%.3f bytes on the wire per payload byte, %d repairs, residual %.3f %%%n",
                        100 * loss, got.recovered(), sent.wireBytesPerPayloadByte(), sent.repairsSent(),
                        100 * got.residualLoss());
                // One copy on one path loses 5 %; a group of 6 shards loses data for good only if
                // 3 or more of them are lost: about 0.2 %. The bound leaves room for what a loaded
                // machine drops in socket buffers, far below what one copy loses.
                assertThat(loss).as("one-way loss; %d damaged, %d duplicates; server %s", receiver.damaged.get(),
                        receiver.duplicates.get(), server.stats()).isLessThan(0.025);
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
     * Adaptive FEC over paths losing 1 %, 20 % and 30 %: it starts with every datagram on every
     * path, then follows each path's loss as the server measures it. After a warm-up, the traffic
     * is far below duplication's 3 bytes per payload byte and the loss far below one copy's.
     */
    @Test
    @Timeout(180)
    void adaptiveFecMeetsTheTargetOverUnequalPathsForLessThanDuplication() throws Exception {
        try (Loopback net = new Loopback()) {
            MultipathDatagramSocket server = net.server();
            InetSocketAddress to = Loopback.addressOf(server);
            List<UdpBridge> bridges = net.bridgesLosing(to, 171, 0.01, 0.20, 0.30);
            MultipathDatagramSocket client = net.client(Loopback.addressesOf(bridges),
                    b -> b.redundancy(Redundancy.fecAdaptive(0.001)).keepaliveInterval(Duration.ofMillis(10))
                            .deadTimeout(Duration.ofSeconds(1)));
            try (Traffic.Receiver receiver = new Traffic.Receiver(server)) {
                int warmUp = 8_000;
                Traffic.sendPaced(client, null, 0, warmUp, FecTunnelTest::length, 64, receiver);
                awaitQuiet(server, receiver);
                RedundancyStats before = client.stats().redundancy();
                long receivedBefore = receiver.received.get();
                Traffic.sendPaced(client, null, warmUp, warmUp + 2 * COUNT, FecTunnelTest::length, 64, receiver);
                awaitQuiet(server, receiver);
                RedundancyStats after = client.stats().redundancy();
                double loss = 1.0 - (double) (receiver.received.get() - receivedBefore) / (2 * COUNT);
                double cost = (double) (after.wireBytesSent() - before.wireBytesSent())
                        / (after.payloadBytesSent() - before.payloadBytesSent());
                System.out.printf("fec-adaptive(0.1 %%) over 1 %%, 20 %%, 30 %% after %d datagrams: loss %.3f %%, "
                        + "%.3f bytes on the wire per payload byte (duplication: 3), %d recovered%n", warmUp,
                        100 * loss, cost, server.stats().redundancy().recovered());
                assertThat(cost).as("bytes on the wire per payload byte; client %s", client.stats()).isLessThan(2.2);
                // The target is 0.1 %; the bound leaves room for what a loaded machine drops in
                // socket buffers, and is far below the 1 % one copy on the best path loses.
                assertThat(loss).as("one-way loss; server %s", server.stats()).isLessThan(0.005);
                assertThat(receiver.duplicates).hasValue(0);
                assertThat(receiver.damaged).hasValue(0);
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
            // A wait far longer than any rebuild takes, so that only a datagram never rebuilt (or a
            // stall of seconds) releases a gap: a loaded machine stalls processes for 200 ms and more.
            MultipathDatagramSocket server = net.server(b -> b.orderedDelivery(OrderedDelivery.fixed(Duration.ofSeconds(3))));
            List<UdpBridge> bridges = List.of(
                    net.bridge(Loopback.addressOf(server), Impairment.NONE),
                    net.bridge(Loopback.addressOf(server), Impairment.NONE),
                    net.bridge(Loopback.addressOf(server), Impairment.NONE));
            MultipathDatagramSocket client = net.client(Loopback.addressesOf(bridges),
                    b -> b.redundancy(Redundancy.fec(4, 2)).deadTimeout(Duration.ofSeconds(2)));
            try (Traffic.Receiver receiver = new Traffic.Receiver(server)) {
                // The first datagram sets where the order starts (docs/ARCHITECTURE.md, "Ordered
                // delivery"): one that the second overtook on another path would be late. So it goes alone.
                send(client, 0);
                await().atMost(Duration.ofSeconds(5)).until(() -> receiver.received.get() == 1);
                for (int n = 1; n < 6_000; n++) {
                    if (n == 2_000) {
                        bridges.get(1).close();
                    }
                    send(client, n);
                    if (n % 64 == 63) {
                        int sent = n;
                        await().atMost(Duration.ofSeconds(5)).until(() -> receiver.highest.get() >= sent - 64);
                    }
                }
                await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(receiver.received.get())
                        .as("all of them; server %s; client %s", server.stats(), client.stats()).isEqualTo(6_000));
                assertThat(receiver.outOfOrder).as("datagrams out of order").hasValue(0);
                assertThat(server.stats().ordering().skipped()).as("gaps given up on").isZero();
                assertThat(receiver.duplicates).hasValue(0);
                assertThat(server.stats().redundancy().recovered()).as("recovered from the dead path's erasures")
                        .isPositive();
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
                Traffic.sendPaced(server, session, 0, COUNT, FecTunnelTest::length, 64, receiver);
                awaitQuiet(client, receiver);
                double loss = 1.0 - (double) receiver.received.get() / COUNT;
                RedundancyStats replies = server.stats().redundancy();
                System.out.printf("replies, mirrored fec(4,2) over 3 x 5 %%: loss %.3f %%, %d recovered by the client, "
                                + "%.3f bytes on the wire per payload byte%n",
                        100 * loss, client.stats().redundancy().recovered(), replies.wireBytesPerPayloadByte());
                assertThat(loss).as("one-way loss of the replies (one copy: 5 %)").isLessThan(0.025);
                assertThat(client.stats().redundancy().recovered()).isGreaterThan(COUNT / 50);
                assertThat(replies.repairsSent()).isGreaterThan(COUNT / 3);
                assertThat(replies.wireBytesPerPayloadByte()).as("not one copy per path").isLessThan(1.9);
                assertThat(client.stats().redundancy().residualLoss())
                        .as("the client's residual, of a server that numbers from its clock").isCloseTo(loss, within(0.002));
            }
        }
    }

    /**
     * The server spreads its replies by what the client reports of each path, not in turn: over
     * paths losing 1 %, 1 % and 30 % (both ways), the client sends fec(4, 4) in turn (a fixed rate:
     * two datagrams of each group per path), and once the server has measured its replies' loss
     * on each path it codes them at the client's 4:4 but leaves the 30 % path out (8 datagrams fit
     * within m = 4 per path on the other two), where in turn it would carry a third of them.
     */
    @Test
    @Timeout(120)
    void theServersRepliesAreSpreadByTheLossTheClientReportsOnEachPath() throws Exception {
        try (Loopback net = new Loopback()) {
            MultipathDatagramSocket server = net.server();
            InetSocketAddress to = Loopback.addressOf(server);
            List<UdpBridge> bridges = net.bridgesLosing(to, 1_205, 0.01, 0.01, 0.30);
            MultipathDatagramSocket client = net.client(Loopback.addressesOf(bridges),
                    b -> b.redundancy(Redundancy.fec(4, 4)).keepaliveInterval(Duration.ofMillis(10)));
            SocketAddress session = firstDatagram(client, server);
            try (Traffic.Receiver receiver = new Traffic.Receiver(client)) {
                // Until each path has 200 replies over the client's reports, the replies go in turn.
                int warmUp = 4_000;
                Traffic.sendPaced(server, session, 0, warmUp, FecTunnelTest::length, 64, receiver);
                awaitQuiet(client, receiver);
                await().atMost(Duration.ofSeconds(10)).until(() -> worst(sessionOf(server).paths()).measuredLoss() > 0.15);
                // then a plan within a quarter of a second: replies until 500 in a row leave nothing on that path
                int[] next = {warmUp};
                await("replies that leave the 30 % path nothing").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ZERO)
                        .until(() -> {
                            long onWorst = dataOnWorst(server);
                            Traffic.sendPaced(server, session, next[0], next[0] + 500, FecTunnelTest::length, 64,
                                    receiver);
                            next[0] += 500;
                            return dataOnWorst(server) - onWorst <= 2; // an ack in flight between the two reads
                        });
                awaitQuiet(client, receiver);
                long[] before = sentPerPath(server);
                long[] acksBefore = receivedPerPath(server);
                long receivedBefore = receiver.received.get();
                Traffic.sendPaced(server, session, next[0], next[0] + COUNT, FecTunnelTest::length, 64, receiver);
                awaitQuiet(client, receiver);
                long[] after = sentPerPath(server);
                long[] acksAfter = receivedPerPath(server);
                List<PathStats> paths = sessionOf(server).paths();
                PathStats worst = worst(paths);
                long onWorst = 0;
                long all = 0;
                for (int i = 0; i < paths.size(); i++) {
                    all += after[i] - before[i];
                    // what the server sent there that was not a keepalive-ack (one per keepalive received)
                    onWorst += paths.get(i).equals(worst) ? after[i] - before[i] - (acksAfter[i] - acksBefore[i]) : 0;
                }
                double loss = 1.0 - (double) (receiver.received.get() - receivedBefore) / COUNT;
                System.out.printf("replies, fec(4,4) spread by the server over 1 %%, 1 %%, 30 %%: %d of %d datagrams "
                        + "on the 30 %% path, loss %.3f %%%n", onWorst, all, 100 * loss);
                // In turn the 30 % path would carry a third.
                assertThat(onWorst).as("the server's datagrams on the 30 %% path, of %d; %s", all, paths)
                        .isLessThan(all / 20);
                assertThat(server.stats().redundancy().repairsSent()).as("%s", server.stats()).isGreaterThan(COUNT / 2);
                assertThat(loss).as("one-way loss of the replies").isLessThan(0.01);
            }
        }
    }

    /**
     * Sends until the server has a datagram (at most 10 times): a lone first datagram of this client
     * sometimes never arrives (seen without this change too; left to look into).
     *
     * @return the session's address at the server
     */
    private static SocketAddress firstDatagram(MultipathDatagramSocket client, MultipathDatagramSocket server)
            throws IOException {
        DatagramPacket first = new DatagramPacket(new byte[2048], 2048);
        server.setSoTimeout(500);
        for (int tries = 1; ; tries++) {
            client.send(new DatagramPacket(Traffic.datagram(0, 100), 100));
            try {
                server.receive(first);
                return first.getSocketAddress();
            } catch (java.net.SocketTimeoutException e) {
                if (tries == 10) {
                    throw e;
                }
            }
        }
    }

    private static SessionStats sessionOf(MultipathDatagramSocket server) {
        return server.stats().sessions().get(0);
    }

    /** @return the path with the highest loss its peer reports */
    private static PathStats worst(List<PathStats> paths) {
        return paths.stream().max(Comparator.comparingDouble(PathStats::measuredLoss)).orElseThrow();
    }

    private static long[] sentPerPath(MultipathDatagramSocket server) {
        return sessionOf(server).paths().stream().mapToLong(PathStats::datagramsSent).toArray();
    }

    private static long[] receivedPerPath(MultipathDatagramSocket server) {
        return sessionOf(server).paths().stream().mapToLong(PathStats::datagramsReceived).toArray();
    }

    /** @return what the server sent on its worst path that was not a keepalive-ack (one per keepalive received) */
    private static long dataOnWorst(MultipathDatagramSocket server) {
        PathStats worst = worst(sessionOf(server).paths());
        return worst.datagramsSent() - worst.datagramsReceived();
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
                Traffic.sendPaced(client, null, 0, 4_000, FecTunnelTest::length, 64, receiver);
                awaitQuiet(server, receiver);
                double loss = 1.0 - (double) receiver.received.get() / 4_000;
                assertThat(loss).isLessThan(0.025);
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
            assertThatThrownBy(() -> TunnelConfig.client().path(new InetSocketAddress(Loopback.LOOPBACK, 9))
                    .wireFormat(format).redundancy(Redundancy.fecAdaptive(0.001)).build())
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("FEC redundancy");
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
        Redundancy adaptive = Redundancy.fecAdaptive(0.001);
        assertThat(adaptive.isFec()).isTrue();
        assertThat(adaptive.isFecAdaptive()).isTrue();
        assertThat(adaptive.groupDeadline()).isEqualTo(Duration.ofMillis(5));
        assertThatThrownBy(() -> Redundancy.fecAdaptive(0)).hasMessageContaining("above 0 and below 1");
        assertThatThrownBy(() -> Redundancy.fecAdaptive(1)).hasMessageContaining("above 0 and below 1");
        assertThatThrownBy(() -> Redundancy.fecAdaptive(Double.NaN)).hasMessageContaining("above 0 and below 1");
        assertThatThrownBy(() -> new Redundancy(Redundancy.Mode.FEC_ADAPTIVE, 0.01, 8, 4, Duration.ofMillis(5)))
                .hasMessageContaining("chooses k and m itself");
    }

    private static org.assertj.core.data.Offset<Double> within(double d) {
        return org.assertj.core.data.Offset.offset(d);
    }

    private static void send(MultipathDatagramSocket client, int n) throws IOException {
        byte[] data = Traffic.datagram(n, length(n));
        client.send(new DatagramPacket(data, data.length));
    }

    /** Waits until the receiving socket has delivered all it will and the receiver took it all. */
    private static void awaitQuiet(MultipathDatagramSocket socket, Traffic.Receiver receiver) {
        long delivered = Settled.value(() -> socket.stats().delivered());
        await().atMost(Duration.ofSeconds(20))
                .until(() -> receiver.received.get() + receiver.duplicates.get() >= delivered - 1);
    }
}
