package org.mptunnel.internal.bridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 14, item 5: each new source address costs the bridge a socket, so a flood of new source
 * ports must cost a bounded number of descriptors, and must not lock out the next client.
 * Loopback only; sources are 127.0.0.1 and 127.0.0.2.
 */
class UdpBridgeClientLimitsTest {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    /** Descriptors the test itself and the JVM may open meanwhile, besides the bridge's clients. */
    private static final int SLACK = 64;

    @Test
    @Timeout(120)
    void aFloodOfNewSourcePortsCostsBoundedDescriptorsAndNewClientsKeepBeingServed() throws Exception {
        int perSource = ClientLimits.DEFAULT_MAX_CLIENTS_PER_SOURCE;
        int flood = 3 * perSource;
        try (EchoTarget target = new EchoTarget();
             UdpBridge bridge = UdpBridge.start(new InetSocketAddress(LOOPBACK, 0), target.address(), Impairment.NONE);
             Client established = new Client("127.0.0.1", bridge)) {
            int establishedUpstream = established.ping();
            long baseline = openDescriptors();
            long peak = baseline;
            Set<Integer> floodPorts = new HashSet<>();
            DatagramPacket sixteenBytes = new DatagramPacket(new byte[16], 16, bridge.localAddress());
            for (int i = 1; i <= flood; i++) {
                try (DatagramSocket source = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0))) {
                    source.send(sixteenBytes);
                    floodPorts.add(source.getLocalPort());
                }
                if (i % 128 == 0) {
                    // the bridge has handled every datagram before the ping when the ping's answer arrives
                    assertThat(established.ping()).as("an active client keeps its upstream socket during the flood")
                            .isEqualTo(establishedUpstream);
                    try (Client newcomer = new Client("127.0.0.1", bridge)) {
                        newcomer.ping();
                    }
                    peak = Math.max(peak, openDescriptors());
                }
            }
            try (Client newcomer = new Client("127.0.0.1", bridge); Client otherHost = new Client("127.0.0.2", bridge)) {
                newcomer.ping();
                otherHost.ping();
                peak = Math.max(peak, openDescriptors());
            }
            System.out.printf("flood of %d datagrams from %d source ports: descriptors %d above the baseline at most,"
                            + " %d clients, %d evicted%n", flood, floodPorts.size(), peak - baseline, bridge.clients(),
                    bridge.evicted());
            assertThat(peak - baseline).as("descriptors opened during the flood").isLessThanOrEqualTo(perSource + SLACK);
            assertThat(bridge.clients()).isLessThanOrEqualTo(perSource + 1);
            assertThat(bridge.evicted()).isGreaterThanOrEqualTo(floodPorts.size() - perSource);
            assertThat(bridge.refused()).isZero();
        }
    }

    /**
     * At most 8 clients, 4 per source: a source at its share gives up its own least recently
     * active client; when all are taken, the least recently active of all goes.
     */
    @Test
    @Timeout(60)
    void theLeastRecentlyActiveClientGivesWay() throws Exception {
        ClientLimits limits = new ClientLimits(8, 4, ClientLimits.DEFAULT_IDLE_TIMEOUT);
        try (EchoTarget target = new EchoTarget();
             UdpBridge bridge = UdpBridge.start(new InetSocketAddress(LOOPBACK, 0), target.address(), Impairment.NONE,
                     limits)) {
            Client[] a = clients("127.0.0.2", 3, bridge);
            Client[] b = clients("127.0.0.3", 5, bridge);
            int[] upstreamOfA = new int[3];
            int[] upstreamOfB = new int[5];
            for (int i = 0; i < 3; i++) {
                upstreamOfA[i] = a[i].ping();
            }
            for (int i = 0; i < 5; i++) {
                upstreamOfB[i] = b[i].ping(); // the fifth takes the first one's socket, not one of a's
            }
            assertThat(bridge.evicted()).isEqualTo(1);
            assertThat(bridge.clients()).isEqualTo(7);
            for (int i = 0; i < 3; i++) {
                assertThat(a[i].ping()).as("a[%d] kept its socket", i).isEqualTo(upstreamOfA[i]);
            }
            assertThat(b[4].ping()).isEqualTo(upstreamOfB[4]);

            a[0].ping(); // now b[1] is the least recently active of all
            try (Client c = new Client("127.0.0.4", bridge); Client d = new Client("127.0.0.4", bridge)) {
                c.ping(); // the eighth client
                assertThat(bridge.evicted()).isEqualTo(1);
                d.ping(); // one too many: b[1] gives way
                assertThat(bridge.evicted()).isEqualTo(2);
                assertThat(bridge.clients()).isEqualTo(8);
                assertThat(b[2].ping()).as("b[2] kept its socket").isEqualTo(upstreamOfB[2]);
                assertThat(a[0].ping()).isEqualTo(upstreamOfA[0]);
                assertThat(b[1].ping()).as("b[1] lost its socket and gets a new one").isNotEqualTo(upstreamOfB[1]);
            }
            for (Client client : a) {
                client.close();
            }
            for (Client client : b) {
                client.close();
            }
        }
    }

    @Test
    @Timeout(60)
    void anIdleClientLosesItsSocket() throws Exception {
        ClientLimits limits = new ClientLimits(8, 4, Duration.ofMillis(100));
        try (EchoTarget target = new EchoTarget();
             UdpBridge bridge = UdpBridge.start(new InetSocketAddress(LOOPBACK, 0), target.address(), Impairment.NONE,
                     limits);
             Client client = new Client("127.0.0.1", bridge)) {
            int upstream = client.ping();
            assertThat(bridge.clients()).isEqualTo(1);
            await().atMost(Duration.ofSeconds(10)).until(() -> bridge.clients() == 0);
            assertThat(client.ping()).isNotEqualTo(upstream);
            assertThat(bridge.evicted()).as("expiry is not eviction").isZero();
        }
    }

    /**
     * With the table full, a known client's datagrams (both ways) cost the bridge thread a lookup
     * and two moves in its recency lists, and no allocation. One client measured, since the JDK
     * allocates a new source address whenever the source of received datagrams changes.
     */
    @Test
    @Timeout(120)
    void aKnownClientsDatagramsAllocateNothingOnTheBridgeThread() throws Exception {
        int round = 5_000;
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        try (EchoTarget target = new EchoTarget();
             UdpBridge bridge = UdpBridge.start(new InetSocketAddress(LOOPBACK, 0), target.address(), Impairment.NONE,
                     new ClientLimits(8, 4, ClientLimits.DEFAULT_IDLE_TIMEOUT));
             Client measured = new Client("127.0.0.1", bridge)) {
            Client[] others = Stream.concat(Stream.of(clients("127.0.0.2", 4, bridge)),
                    Stream.of(clients("127.0.0.3", 3, bridge))).toArray(Client[]::new);
            for (Client other : others) {
                other.ping();
            }
            assertThat(bridge.clients()).isEqualTo(7);
            Thread bridgeThread = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.getName().equals("mpbridge-" + bridge.localAddress().getPort())).findFirst().orElseThrow();
            long allocated = 0;
            for (int warmUp = 0; warmUp < 3; warmUp++) {
                long before = threads.getThreadAllocatedBytes(bridgeThread.getId());
                for (int i = 0; i < round; i++) {
                    measured.ping();
                }
                allocated = threads.getThreadAllocatedBytes(bridgeThread.getId()) - before;
            }
            System.out.printf("bridge thread, table full: %d bytes allocated for %d round trips%n", allocated, round);
            assertThat(bridge.clients()).isEqualTo(8);
            assertThat(allocated).as("bytes allocated by the bridge thread for %d round trips", round)
                    .isLessThan(round / 4);
            for (Client other : others) {
                other.close();
            }
        }
    }

    private static Client[] clients(String address, int count, UdpBridge bridge) throws IOException {
        Client[] clients = new Client[count];
        for (int i = 0; i < count; i++) {
            clients[i] = new Client(address, bridge);
        }
        return clients;
    }

    private static long openDescriptors() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }

    /** A client of the bridge that asks the target which upstream socket its datagrams come from. */
    private static final class Client implements AutoCloseable {
        private final DatagramSocket socket;
        private final InetSocketAddress bridge;
        private int sequence;

        Client(String address, UdpBridge bridge) throws IOException {
            this.socket = new DatagramSocket(new InetSocketAddress(InetAddress.getByName(address), 0));
            this.socket.setSoTimeout(5_000);
            this.bridge = bridge.localAddress();
        }

        /** @return the port of this client's upstream socket, as the target saw it */
        int ping() throws IOException {
            int sent = ++sequence;
            socket.send(new DatagramPacket(ByteBuffer.allocate(4).putInt(sent).array(), 4, bridge));
            DatagramPacket reply = new DatagramPacket(new byte[64], 64);
            while (true) {
                socket.receive(reply); // throws after 5 s without an answer
                ByteBuffer answer = ByteBuffer.wrap(reply.getData(), 0, reply.getLength());
                if (answer.remaining() == 8 && answer.getInt(4) == sent) {
                    return answer.getInt(0);
                }
            }
        }

        @Override
        public void close() {
            socket.close();
        }
    }
}
