package org.mptunnel.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.DatagramPacket;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mptunnel.MultipathDatagramSocket;
import org.mptunnel.TunnelConfig;
import org.mptunnel.TunnelStats;
import org.mptunnel.internal.bridge.Impairment;
import org.mptunnel.internal.bridge.UdpBridge;
import org.mptunnel.internal.crypto.Handshake;

/** Protocol v2 through real sockets: what a key holder gets. Attacks are in {@link SecureAttackTest}. */
class SecureTunnelTest {

    static final byte[] KEY = key(1);

    static byte[] key(int seed) {
        byte[] key = new byte[32];
        for (int i = 0; i < key.length; i++) {
            key[i] = (byte) (seed * 97 + i * 13);
        }
        return key;
    }

    @Test
    @Timeout(120)
    void threeLossyPathsLoseWhatTheIndependentLossTheoryPredicts() throws Exception {
        int count = 20_000;
        double pathLoss = 0.20;
        try (Loopback net = new Loopback()) {
            MultipathDatagramSocket server = net.server(b -> b.preSharedKey(KEY));
            List<UdpBridge> bridges = net.lossyBridges(3, Loopback.addressOf(server), pathLoss, 20_260_001L);
            MultipathDatagramSocket client = net.client(Loopback.addressesOf(bridges), b -> b.preSharedKey(KEY));

            // Steady state: what the queue before the first handshake does is tested on its own.
            await().atMost(Duration.ofSeconds(5)).until(() -> client.stats().handshakes() > 0);
            try (Traffic.Receiver receiver = new Traffic.Receiver(server)) {
                Traffic.sendPaced(client, 0, count, 200, 64, receiver);
                await().atMost(Duration.ofSeconds(10)).until(() -> receiver.received.get() == server.stats().delivered());
                RedundancyTest.awaitQuiet(server);

                int delivered = receiver.received.get();
                double loss = 1.0 - (double) delivered / count;
                double expected = Math.pow(pathLoss, 3);
                double sigma = Math.sqrt(expected * (1 - expected) / count);
                System.out.printf("v2, 3 x 20%% loss over %d datagrams: loss %.3f%% (theory %.3f%%, sigma %.3f%%)%n",
                        count, loss * 100, expected * 100, sigma * 100);
                // The first datagrams wait for the handshake; they are queued, not lost.
                assertThat(loss).as("one-way loss").isBetween(expected - 4 * sigma, expected + 4 * sigma);
                assertThat(receiver.duplicates).hasValue(0);
                assertThat(receiver.damaged).hasValue(0);
                TunnelStats stats = server.stats();
                assertThat(stats.sessions()).hasSize(1);
                assertThat(stats.sessions().get(0).paths()).hasSize(3);
                assertThat(stats.duplicatesDropped()).as("copies dropped unopened").isPositive();
                assertThat(stats.authFailed()).isZero();
                assertThat(stats.malformedDropped()).isZero();
                assertThat(stats.handshakes()).isPositive();
                assertThat(client.stats().handshakes()).isPositive();
            }
        }
    }

    /**
     * The handshake gets the paths' redundancy too: the initiation goes out on every path, and a
     * copy that arrives from another path while the client may still be waiting gets the response
     * the first copy got, on its own path. Here the first copy's response is lost on path A; the
     * copy held back on path B and let through afterwards brings the same response back on B.
     */
    @Test
    @Timeout(30)
    void aCopyOfTheInitiationFromAnotherPathGetsTheSameResponse() throws Exception {
        try (Loopback net = new Loopback()) {
            MultipathDatagramSocket server = net.server(b -> b.preSharedKey(KEY));
            Tap a = net.track(new Tap(Loopback.addressOf(server)));
            Tap b = net.track(new Tap(Loopback.addressOf(server)));
            boolean[] first = {true};
            a.holdToServer = bytes -> { // only the first initiation crosses A, so the server answers no retry
                if (bytes[3] != Handshake.TYPE_INITIATION) {
                    return false;
                }
                boolean hold = !first[0];
                first[0] = false;
                return hold;
            };
            a.holdToClient = bytes -> bytes[3] == Handshake.TYPE_RESPONSE; // A loses every response
            b.holdToServer = bytes -> bytes[3] == Handshake.TYPE_INITIATION; // B's copies wait
            MultipathDatagramSocket client = net.client(List.of(a.address(), b.address()), c -> c.preSharedKey(KEY));

            await().atMost(Duration.ofSeconds(5)).until(() -> Tap.last(a.toClient, Handshake.TYPE_RESPONSE) != null);
            byte[] answered = a.toServer.get(0).bytes();
            byte[] lostResponse = Tap.last(a.toClient, Handshake.TYPE_RESPONSE);
            byte[] copy = b.toServer.stream().map(Tap.Captured::bytes)
                    .filter(bytes -> java.util.Arrays.equals(bytes, answered)).findFirst().orElseThrow();
            b.injectToServer(copy);

            await().atMost(Duration.ofSeconds(5)).until(() -> Tap.last(b.toClient, Handshake.TYPE_RESPONSE) != null);
            assertThat(Tap.last(b.toClient, Handshake.TYPE_RESPONSE)).as("the response the first copy got")
                    .isEqualTo(lostResponse);
            // Retries are held on both paths, so the server saw one initiation and one copy.
            assertThat(server.stats().handshakes()).as("one handshake, answered twice").isEqualTo(1);
        }
    }

    /**
     * A retry abandons the initiation before it, so retries back off: on a path whose round trip
     * (300 ms here) is longer than the first waits (100 ms, then 200 ms), a later attempt (400 ms)
     * waits long enough for its response.
     */
    @Test
    @Timeout(30)
    void theHandshakeCompletesOverAPathSlowerThanItsFirstRetries() throws Exception {
        try (Loopback net = new Loopback()) {
            MultipathDatagramSocket server = net.server(b -> b.preSharedKey(KEY));
            UdpBridge slow = net.bridge(Loopback.addressOf(server),
                    new Impairment(0, Duration.ofMillis(150), Duration.ZERO, 0, 0, 1));
            MultipathDatagramSocket client = net.client(List.of(slow.localAddress()),
                    b -> b.preSharedKey(KEY).deadTimeout(Duration.ofSeconds(5)));
            await().atMost(Duration.ofSeconds(10)).until(() -> client.stats().handshakes() == 1);
            byte[] data = Traffic.datagram(7, 40);
            client.send(new DatagramPacket(data, data.length));
            server.setSoTimeout(5_000);
            DatagramPacket received = new DatagramPacket(new byte[2048], 2048);
            server.receive(received);
            assertThat(Traffic.check(received.getData(), received.getOffset(), received.getLength())).isEqualTo(7);
        }
    }

    /** The server's loss reports travel in sealed acks too, so the client measures its data's loss. */
    @Test
    @Timeout(60)
    void theServersLossReportsReachTheClientUnderEncryption() throws Exception {
        try (Loopback net = new Loopback()) {
            MultipathDatagramSocket server = net.server(b -> b.preSharedKey(KEY));
            List<UdpBridge> bridge = net.lossyBridges(1, Loopback.addressOf(server), 0.10, 20_261_126L);
            MultipathDatagramSocket client = net.client(Loopback.addressesOf(bridge), b -> b.preSharedKey(KEY));
            try (Traffic.Receiver receiver = new Traffic.Receiver(server)) {
                // In rounds, until the reports have counted enough: a report measures what crossed
                // since the first one the client heard, which may come late on a busy machine.
                int[] sent = {0};
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                    Traffic.sendPaced(client, sent[0], sent[0] + 1_000, 200, 64, receiver);
                    sent[0] += 1_000;
                    assertThat(client.stats().sessions().get(0).measuredLoss()).as("measured one-way loss")
                            .isBetween(0.05, 0.15);
                });
            }
        }
    }

    @Test
    @Timeout(30)
    void anEchoRoundTripsBothWaysAndTheCountersAreOnJmx() throws Exception {
        try (Loopback net = new Loopback()) {
            MultipathDatagramSocket echo = net.server(b -> b.preSharedKey(KEY).jmx(true));
            MultipathDatagramSocket client = net.client(List.of(Loopback.addressOf(echo)), b -> b.preSharedKey(KEY));
            echo.setSoTimeout(5_000);
            client.setSoTimeout(5_000);
            for (int n = 0; n < 20; n++) {
                byte[] request = Traffic.datagram(n, 100 + n);
                client.send(new DatagramPacket(request, request.length));
                DatagramPacket atServer = new DatagramPacket(new byte[2048], 2048);
                echo.receive(atServer);
                assertThat(Traffic.check(atServer.getData(), atServer.getOffset(), atServer.getLength())).isEqualTo(n);
                echo.send(atServer);
                DatagramPacket reply = new DatagramPacket(new byte[2048], 2048);
                client.receive(reply);
                assertThat(Traffic.check(reply.getData(), reply.getOffset(), reply.getLength())).isEqualTo(n);
            }
            javax.management.ObjectName name = new javax.management.ObjectName(
                    "org.mptunnel:type=MultipathDatagramSocket,role=server,port=" + echo.getLocalPort());
            javax.management.MBeanServer mbeans = java.lang.management.ManagementFactory.getPlatformMBeanServer();
            assertThat(mbeans.getAttribute(name, "Handshakes")).isEqualTo(echo.stats().handshakes()).isNotEqualTo(0L);
            assertThat(mbeans.getAttribute(name, "AuthFailed")).isEqualTo(0L);
            assertThat(mbeans.getAttribute(name, "HandshakesRefused")).isEqualTo(echo.stats().handshakesRefused());
        }
    }

    @Test
    @Timeout(30)
    void aReceiveHandlerGetsTheOpenedPayloadInPlace() throws Exception {
        try (Loopback net = new Loopback()) {
            java.util.concurrent.ConcurrentLinkedQueue<Integer> seen = new java.util.concurrent.ConcurrentLinkedQueue<>();
            MultipathDatagramSocket server = net.server(b -> b.preSharedKey(KEY).receiveHandler((payload, from) -> {
                byte[] bytes = new byte[payload.remaining()];
                payload.get(bytes);
                seen.add(Traffic.check(bytes, 0, bytes.length));
            }));
            MultipathDatagramSocket client = net.client(List.of(Loopback.addressOf(server)), b -> b.preSharedKey(KEY));
            for (int n = 0; n < 10; n++) {
                client.send(new DatagramPacket(Traffic.datagram(n, 50 + n), 50 + n));
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> seen.size() == 10);
            assertThat(seen).containsExactlyInAnyOrder(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
        }
    }

    @Test
    @Timeout(30)
    void datagramsSentBeforeTheHandshakeWaitInABoundedQueue() throws Exception {
        try (Loopback net = new Loopback()) {
            MultipathDatagramSocket server = net.server(b -> b.preSharedKey(KEY));
            UdpBridge bridge = net.bridge(Loopback.addressOf(server), Impairment.NONE);
            bridge.blackhole(true);
            MultipathDatagramSocket client = net.client(List.of(bridge.localAddress()),
                    b -> b.preSharedKey(KEY).keepaliveInterval(Duration.ofMillis(200)));
            for (int n = 0; n < 300; n++) {
                byte[] data = Traffic.datagram(n, 40);
                client.send(new DatagramPacket(data, data.length));
            }
            assertThat(client.stats().sendDropped()).as("beyond the queue's 256 datagrams").isEqualTo(44);
            MultipathDatagramSocket large = net.client(List.of(bridge.localAddress()),
                    b -> b.preSharedKey(KEY).keepaliveInterval(Duration.ofMillis(200)));
            for (int n = 0; n < 5; n++) {
                byte[] data = Traffic.datagram(1_000 + n, 60_000);
                large.send(new DatagramPacket(data, data.length));
            }
            assertThat(large.stats().sendDropped()).as("beyond the queue's 256 KiB").isEqualTo(1);
            bridge.blackhole(false);

            try (Traffic.Receiver receiver = new Traffic.Receiver(server)) {
                // The four large ones reach the server too, but the receiver's 2 KB buffer
                // truncates them, so it counts them as damaged.
                await().atMost(Duration.ofSeconds(5))
                        .until(() -> receiver.received.get() == 256 && receiver.damaged.get() == 4);
                for (int n = 0; n < 256; n++) {
                    assertThat(receiver.has(n)).as("queued datagram %d", n).isTrue();
                }
                assertThat(receiver.duplicates).hasValue(0);
            }
        }
    }

    @Test
    @Timeout(60)
    void keysRotateAfterADatagramCountWithoutLossOrDuplicates() throws Exception {
        try (Loopback net = new Loopback()) {
            MultipathDatagramSocket server = net.server(b -> b.preSharedKey(KEY));
            MultipathDatagramSocket client = net.client(List.of(Loopback.addressOf(server)),
                    b -> b.preSharedKey(KEY).rekeyAfterDatagrams(1_000));
            try (Traffic.Receiver receiver = new Traffic.Receiver(server)) {
                await().atMost(Duration.ofSeconds(5)).until(() -> client.stats().handshakes() > 0);
                // Each batch of 1,000 makes a rekey due; the next batch goes out under the new keys.
                for (int batch = 0; batch < 5; batch++) {
                    Traffic.sendPaced(client, batch * 1_000, (batch + 1) * 1_000, 100, 32, receiver);
                    long handshakes = batch + 2;
                    await().atMost(Duration.ofSeconds(10)).until(() -> client.stats().handshakes() >= handshakes);
                }
                Traffic.sendPaced(client, 5_000, 6_000, 100, 32, receiver);
                await().atMost(Duration.ofSeconds(10)).until(() -> receiver.received.get() == 6_000);
                assertThat(receiver.duplicates).hasValue(0);
                assertThat(receiver.damaged).hasValue(0);
                assertThat(server.stats().handshakes()).as("first handshake and five rekeys").isGreaterThanOrEqualTo(6);
                assertThat(server.stats().authFailed()).isZero();
            }
        }
    }

    @Test
    @Timeout(60)
    void keysRotateAfterATimeWithoutLossOrDuplicatesInBothDirections() throws Exception {
        try (Loopback net = new Loopback()) {
            MultipathDatagramSocket server = net.server(b -> b.preSharedKey(KEY));
            MultipathDatagramSocket client = net.client(List.of(Loopback.addressOf(server)),
                    b -> b.preSharedKey(KEY).rekeyAfter(Duration.ofSeconds(1)));
            server.setSoTimeout(2_000);
            client.setSoTimeout(2_000);
            int n = 0;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (client.stats().handshakes() < 4 && System.nanoTime() - deadline < 0) {
                byte[] request = Traffic.datagram(n, 64);
                client.send(new DatagramPacket(request, request.length));
                DatagramPacket atServer = new DatagramPacket(new byte[256], 256);
                server.receive(atServer); // a loss would time out here and fail the test
                assertThat(Traffic.check(atServer.getData(), 0, atServer.getLength())).isEqualTo(n);
                server.send(atServer);
                DatagramPacket reply = new DatagramPacket(new byte[256], 256);
                client.receive(reply);
                assertThat(Traffic.check(reply.getData(), 0, reply.getLength())).isEqualTo(n);
                n++;
            }
            assertThat(client.stats().handshakes()).isGreaterThanOrEqualTo(4);
            assertThat(server.stats().handshakes()).isGreaterThanOrEqualTo(4);
            assertThat(server.stats().duplicatesDropped()).isZero();
            assertThat(client.stats().authFailed()).isZero();
            assertThat(server.stats().authFailed()).isZero();
        }
    }

    @Test
    @Timeout(60)
    void trafficResumesAfterTheServerTheClientOrBothRestart() throws Exception {
        try (Loopback net = new Loopback()) {
            MultipathDatagramSocket server = net.server(b -> b.preSharedKey(KEY));
            InetSocketAddress address = Loopback.addressOf(server);
            MultipathDatagramSocket client = net.client(List.of(address), b -> b.preSharedKey(KEY));
            assertThat(echoUntilAnswered(client, server)).isLessThan(5_000);

            server.close();
            server = net.track(MultipathDatagramSocket.open(TunnelConfig.server(address)
                    .keepaliveInterval(Loopback.KEEPALIVE).preSharedKey(KEY).build()));
            long serverRestart = echoUntilAnswered(client, server);

            client.close();
            client = net.client(List.of(address), b -> b.preSharedKey(KEY));
            long clientRestart = echoUntilAnswered(client, server);

            client.close();
            server.close();
            server = net.track(MultipathDatagramSocket.open(TunnelConfig.server(address)
                    .keepaliveInterval(Loopback.KEEPALIVE).preSharedKey(KEY).build()));
            client = net.client(List.of(address), b -> b.preSharedKey(KEY));
            long bothRestart = echoUntilAnswered(client, server);

            System.out.printf("v2 recovery (keepalive %d ms): server restart %d ms, client restart %d ms,"
                    + " both %d ms%n", Loopback.KEEPALIVE.toMillis(), serverRestart, clientRestart, bothRestart);
            assertThat(List.of(serverRestart, clientRestart, bothRestart)).allSatisfy(ms -> assertThat(ms).isLessThan(5_000));
        }
    }

    /** Echoes one request at a time, each retried every 20 ms, until a reply comes; @return ms taken. */
    private static long echoUntilAnswered(MultipathDatagramSocket client, MultipathDatagramSocket server) throws Exception {
        long start = System.nanoTime();
        client.setSoTimeout(20);
        server.setSoTimeout(1);
        int number = (int) (start & 0x7FFF_FFFF);
        byte[] request = Traffic.datagram(number, 32);
        DatagramPacket atServer = new DatagramPacket(new byte[64], 64);
        DatagramPacket reply = new DatagramPacket(new byte[64], 64);
        long deadline = start + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() - deadline < 0) {
            client.send(new DatagramPacket(request, request.length));
            try {
                while (true) {
                    server.receive(atServer);
                    server.send(atServer);
                }
            } catch (java.net.SocketTimeoutException drained) {
                // nothing more at the server
            }
            try {
                client.receive(reply);
                if (Traffic.check(reply.getData(), 0, reply.getLength()) == number) { // not an earlier call's
                    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                }
            } catch (java.net.SocketTimeoutException e) {
                // retry
            }
        }
        return Long.MAX_VALUE;
    }
}
