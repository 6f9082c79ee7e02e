package org.mptunnel.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.lang.management.ManagementFactory;
import java.net.DatagramPacket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.mptunnel.MultipathDatagramSocket;
import org.mptunnel.OrderedDelivery;
import org.mptunnel.OrderingStats;
import org.mptunnel.Redundancy;
import org.mptunnel.TunnelConfig;
import org.mptunnel.TunnelConfig.WireFormat;
import org.mptunnel.internal.bridge.Impairment;

/**
 * The per-datagram path allocates nothing once warm, on every thread it runs on: the sender, both
 * I/O threads and the receiver. Measured with the JVM's per-thread allocation counter, so the
 * figure does not depend on timing.
 */
class SteadyStateAllocationTest {

    private static final int ROUND = 20_000;
    private static final int WARM_UP_ROUNDS = 2;
    /**
     * Timers, keepalives and a timed-out wait may allocate a few hundred bytes a round; one object
     * per datagram, even 16 bytes, would be 320,000.
     */
    private static final long BUDGET_PER_ROUND = ROUND / 4;
    /**
     * Ordered delivery keeps the copies it held for reuse, so it allocates only when more
     * datagrams are held at once than ever before: on a loaded machine a later round can hold a few
     * dozen more than the warm-up did (about 200 bytes each). Still far below one object per
     * datagram.
     */
    private static final long ORDERED_BUDGET_PER_ROUND = ROUND;

    private final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    /** LEGACY: the obfuscated format, which also runs the LFSR both ways in place. */
    @ParameterizedTest
    @EnumSource(value = WireFormat.class, names = {"MPTUNNEL_V1", "LEGACY"})
    @Timeout(120)
    void sendingAndReceivingAllocateNothingPerDatagram(WireFormat format) throws Exception {
        measure(format, false);
    }

    /** With a receive handler the server's I/O thread delivers in place: still nothing per datagram. */
    @ParameterizedTest
    @EnumSource(value = WireFormat.class, names = {"MPTUNNEL_V1", "LEGACY"})
    @Timeout(120)
    void aReceiveHandlerAllocatesNothingPerDatagram(WireFormat format) throws Exception {
        measure(format, true);
    }

    private void measure(WireFormat format, boolean handler) throws Exception {
        assertThat(threads.isThreadAllocatedMemorySupported()).isTrue();
        try (Loopback net = new Loopback()) {
            AtomicInteger highest = new AtomicInteger(-1);
            MultipathDatagramSocket server = net.server(b -> handler
                    ? b.wireFormat(format).receiveHandler((payload, from) -> advance(highest, payload.getInt(payload.position())))
                    : b.wireFormat(format));
            MultipathDatagramSocket client = net.client(List.of(Loopback.addressOf(server)), b -> b.wireFormat(format));
            Thread[] measured;
            String[] names;
            Thread clientIo = named("mptunnel-client-" + client.getLocalPort());
            Thread serverIo = named("mptunnel-server-" + server.getLocalPort());
            if (handler) {
                measured = new Thread[] {Thread.currentThread(), clientIo, serverIo};
                names = new String[] {"sender", "client I/O", "server I/O and handler"};
            } else {
                Thread receiver = new Thread(() -> receiveNumbers(server, highest), "allocation-receiver");
                receiver.setDaemon(true);
                receiver.start();
                measured = new Thread[] {Thread.currentThread(), clientIo, serverIo, receiver};
                names = new String[] {"sender", "client I/O", "server I/O", "receiver"};
            }

            long[] allocated = measureLastRound(client, highest, measured);
            for (int i = 0; i < measured.length; i++) {
                System.out.printf("steady state: %s allocated %d bytes for %d datagrams%n", names[i], allocated[i], ROUND);
            }
            for (int i = 0; i < measured.length; i++) {
                assertThat(allocated[i]).as("bytes allocated by the %s for %d datagrams", names[i], ROUND)
                        .isLessThan(BUDGET_PER_ROUND);
            }
        }
    }

    /**
     * Protocol v2 is not allocation-free: the JDK's ciphers allocate on every seal and open
     * (docs/PROTOCOL.md, "Cost"). This measures it per datagram on each thread (the sender seals,
     * the server's I/O thread opens; the client's I/O thread only seals keepalives and opens acks)
     * and holds it to a bound that would catch anything beyond the ciphers' own: 16 KB per datagram.
     */
    @ParameterizedTest
    @EnumSource(TunnelConfig.AeadSuite.class)
    @Timeout(120)
    void version2AllocatesOnlyWhatTheCipherDoes(TunnelConfig.AeadSuite suite) throws Exception {
        try (Loopback net = new Loopback()) {
            MultipathDatagramSocket server = net.server(b -> b.preSharedKey(SecureTunnelTest.KEY).aeadSuite(suite));
            MultipathDatagramSocket client = net.client(List.of(Loopback.addressOf(server)),
                    b -> b.preSharedKey(SecureTunnelTest.KEY).aeadSuite(suite));
            await().atMost(Duration.ofSeconds(5)).until(() -> client.stats().handshakes() > 0);
            AtomicInteger highest = new AtomicInteger(-1);
            Thread receiver = new Thread(() -> receiveNumbers(server, highest), "allocation-receiver");
            receiver.setDaemon(true);
            receiver.start();
            Thread[] measured = {Thread.currentThread(), named("mptunnel-client-" + client.getLocalPort()),
                named("mptunnel-server-" + server.getLocalPort()), receiver};
            String[] names = {"sender (seal)", "client I/O", "server I/O (open)", "receiver"};
            long[] allocated = measureLastRound(client, highest, measured);
            for (int i = 0; i < measured.length; i++) {
                System.out.printf("v2 %s, 200-byte datagrams: %s allocated %d bytes per datagram%n",
                        suite, names[i], allocated[i] / ROUND);
            }
            assertThat(allocated[0] / ROUND).as("sender, bytes per datagram").isLessThan(16_384);
            assertThat(allocated[2] / ROUND).as("server I/O, bytes per datagram").isLessThan(16_384);
            assertThat(allocated[3]).as("receiver: the copy out is unchanged").isLessThan(BUDGET_PER_ROUND);
        }
    }

    /**
     * Adaptive redundancy over two clean paths (direct and through a bridge) sends on one of them:
     * the sender reads the published choice, and the I/O thread plans without allocating unless
     * the choice changes.
     */
    @Test
    @Timeout(120)
    void adaptiveRedundancyAllocatesNothingPerDatagram() throws Exception {
        try (Loopback net = new Loopback()) {
            MultipathDatagramSocket server = net.server();
            InetSocketAddress bridge = net.bridge(Loopback.addressOf(server), Impairment.NONE).localAddress();
            MultipathDatagramSocket client = net.client(List.of(Loopback.addressOf(server), bridge),
                    b -> b.redundancy(Redundancy.adaptive()));
            await().atMost(Duration.ofSeconds(30)).until(() -> client.stats().sessions().get(0).paths().stream()
                    .allMatch(p -> p.datagramsSent() >= 40));
            AtomicInteger highest = new AtomicInteger(-1);
            Thread receiver = new Thread(() -> receiveNumbers(server, highest), "allocation-receiver");
            receiver.setDaemon(true);
            receiver.start();
            Thread[] measured = {Thread.currentThread(), named("mptunnel-client-" + client.getLocalPort())};
            long[] allocated = measureLastRound(client, highest, measured);
            double copies = client.stats().sessions().get(0).copiesPerDatagram();
            System.out.printf("steady state, adaptive: sender %d, client I/O %d bytes for %d datagrams; %.3f copies%n",
                    allocated[0], allocated[1], ROUND, copies);
            assertThat(copies).as("copies per datagram over two clean paths").isLessThan(1.5);
            assertThat(allocated[0]).as("bytes allocated by the sender").isLessThan(BUDGET_PER_ROUND);
            assertThat(allocated[1]).as("bytes allocated by the client I/O thread").isLessThan(BUDGET_PER_ROUND);
        }
    }

    /**
     * Ordered delivery through a reordering bridge: the server's I/O thread holds datagrams (in
     * frames from the inbox's pool) and releases them, by receive() or by handler, and allocates
     * nothing per datagram doing so. One bridge, not several: a server receiving from several
     * sources in turn gets a new address object from the JDK at each change (see ARCHITECTURE.md,
     * "What allocates"), which would hide what ordering costs.
     */
    @ParameterizedTest(name = "handler {0}")
    @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
    @Timeout(120)
    void orderedDeliveryAllocatesNothingPerDatagramWhileHolding(boolean handler) throws Exception {
        try (Loopback net = new Loopback()) {
            AtomicInteger highest = new AtomicInteger(-1);
            MultipathDatagramSocket server = net.server(b -> {
                b.orderedDelivery(OrderedDelivery.fixed(Duration.ofMillis(100)));
                return handler ? b.receiveHandler((payload, from) -> advance(highest, payload.getInt(payload.position()))) : b;
            });
            InetSocketAddress bridge = net.bridge(Loopback.addressOf(server),
                    new Impairment(0, Duration.ZERO, Duration.ZERO, 0, 0.3, 1)).localAddress();
            MultipathDatagramSocket client = net.client(List.of(bridge));
            Thread serverIo = named("mptunnel-server-" + server.getLocalPort());
            Thread[] measured;
            if (handler) {
                measured = new Thread[] {Thread.currentThread(), serverIo};
            } else {
                Thread receiver = new Thread(() -> receiveNumbers(server, highest), "allocation-receiver");
                receiver.setDaemon(true);
                receiver.start();
                measured = new Thread[] {Thread.currentThread(), serverIo, receiver};
            }
            long heldBefore = server.stats().ordering().held();
            long[] allocated = measureLastRound(client, highest, measured);
            OrderingStats ordering = server.stats().ordering();
            System.out.printf("steady state, ordered (handler %s): server I/O %d bytes%s for %d datagrams; "
                            + "%d held in all, %d skipped%n", handler, allocated[1],
                    handler ? "" : ", receiver " + allocated[2] + " bytes", ROUND, ordering.held(), ordering.skipped());
            assertThat(ordering.held()).as("datagrams held: the bridges reordered").isGreaterThan(heldBefore);
            for (int i = 1; i < measured.length; i++) {
                assertThat(allocated[i]).as("bytes allocated by %s for %d datagrams", measured[i].getName(), ROUND)
                        .isLessThan(ORDERED_BUDGET_PER_ROUND);
            }
        }
    }

    /**
     * Forward error correction through one lossy bridge (one: a server receiving from several
     * sources in turn gets a new address object from the JDK at each change, see
     * {@link #orderedDeliveryAllocatesNothingPerDatagramWhileHolding}): the sender numbers, copies
     * and codes under its group lock, the server's I/O thread copies each datagram into its group
     * and rebuilds the lost ones through the current frame, and none of them allocates per datagram.
     */
    @Test
    @Timeout(120)
    void fecAllocatesNothingPerDatagram() throws Exception {
        try (Loopback net = new Loopback()) {
            MultipathDatagramSocket server = net.server();
            InetSocketAddress bridge = net.bridge(Loopback.addressOf(server), Impairment.lossy(0.02, 20_261_204L))
                    .localAddress();
            MultipathDatagramSocket client = net.client(List.of(bridge), b -> b.redundancy(Redundancy.fec(4, 2)));
            AtomicInteger highest = new AtomicInteger(-1);
            Thread receiver = new Thread(() -> receiveNumbers(server, highest), "allocation-receiver");
            receiver.setDaemon(true);
            receiver.start();
            Thread[] measured = {Thread.currentThread(), named("mptunnel-client-" + client.getLocalPort()),
                named("mptunnel-server-" + server.getLocalPort()), receiver};
            String[] names = {"sender", "client I/O", "server I/O", "receiver"};
            long recoveredBefore = server.stats().redundancy().recovered();
            long[] allocated = measureLastRound(client, highest, measured);
            long recovered = server.stats().redundancy().recovered() - recoveredBefore;
            for (int i = 0; i < measured.length; i++) {
                System.out.printf("steady state, fec(4,2) through a 2 %% lossy bridge: %s allocated %d bytes for %d "
                        + "datagrams (%d recovered over the rounds)%n", names[i], allocated[i], ROUND, recovered);
            }
            assertThat(recovered).as("datagrams rebuilt: the bridge lost some").isPositive();
            for (int i = 0; i < measured.length; i++) {
                assertThat(allocated[i]).as("bytes allocated by the %s for %d datagrams", names[i], ROUND)
                        .isLessThan(BUDGET_PER_ROUND);
            }
        }
    }

    /**
     * Sends {@link #WARM_UP_ROUNDS} rounds and then one more of {@link #ROUND} numbered datagrams,
     * paced by the receiver's {@code highest}, and returns what each of {@code measured} allocated
     * in the last round. {@code measured[0]} must be the sending thread (this one).
     */
    private long[] measureLastRound(MultipathDatagramSocket client, AtomicInteger highest, Thread[] measured)
            throws Exception {
        long[] allocated = new long[measured.length];
        for (int round = 0; round <= WARM_UP_ROUNDS; round++) {
            byte[][] datagrams = new byte[ROUND][];
            for (int n = 0; n < ROUND; n++) {
                datagrams[n] = ByteBuffer.allocate(200).putInt(round * ROUND + n).array();
            }
            DatagramPacket packet = new DatagramPacket(datagrams[0], 200);
            long[] before = allocatedBy(measured);
            for (int n = 0; n < ROUND; n++) {
                awaitInFlightBelow(round * ROUND + n, highest);
                packet.setData(datagrams[n]);
                client.send(packet);
            }
            long senderAfter = threads.getThreadAllocatedBytes(Thread.currentThread().getId());
            int last = (round + 1) * ROUND - 1;
            await().atMost(Duration.ofSeconds(10)).until(() -> highest.get() == last);
            long[] after = allocatedBy(measured);
            after[0] = senderAfter; // the wait above is the test's, not the datagrams'
            for (int i = 0; i < measured.length; i++) {
                allocated[i] = after[i] - before[i];
            }
        }
        return allocated;
    }

    /** Keeps at most 64 datagrams ahead of the receiver, so nothing is lost in a socket buffer. */
    private static void awaitInFlightBelow(int number, AtomicInteger highest) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
        while (number - highest.get() > 64 && System.nanoTime() - deadline < 0) {
            Thread.onSpinWait();
        }
    }

    private static void receiveNumbers(MultipathDatagramSocket server, AtomicInteger highest) {
        DatagramPacket packet = new DatagramPacket(new byte[2048], 2048);
        try {
            server.setSoTimeout(100);
            while (!server.isClosed()) {
                try {
                    server.receive(packet);
                    byte[] b = packet.getData();
                    advance(highest, (b[0] & 0xFF) << 24 | (b[1] & 0xFF) << 16 | (b[2] & 0xFF) << 8 | (b[3] & 0xFF));
                } catch (SocketTimeoutException e) {
                    // look at isClosed again
                }
            }
        } catch (Exception e) {
            // closed
        }
    }

    /** Single writer: the receiver, or the server's I/O thread running the handler. */
    private static void advance(AtomicInteger highest, int number) {
        highest.lazySet(Math.max(highest.get(), number));
    }

    private long[] allocatedBy(Thread[] measured) {
        long[] bytes = new long[measured.length];
        for (int i = 0; i < measured.length; i++) {
            bytes[i] = threads.getThreadAllocatedBytes(measured[i].getId());
        }
        return bytes;
    }

    private static Thread named(String name) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals(name)).findFirst().orElseThrow();
    }
}
