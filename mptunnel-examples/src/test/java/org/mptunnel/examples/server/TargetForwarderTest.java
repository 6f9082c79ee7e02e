package org.mptunnel.examples.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mptunnel.MultipathDatagramSocket;
import org.mptunnel.TunnelConfig;
import org.mptunnel.examples.socks.SocksUdp;

/** mpserver's classic forwarding in one JVM, fed by a library client over loopback. */
@Timeout(30)
class TargetForwarderTest {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    private DatagramSocket target;
    private TargetForwarder forwarder;

    @BeforeEach
    void start() throws IOException {
        target = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0));
        target.setSoTimeout(5_000);
        forwarder = TargetForwarder.start(TunnelConfig.server(new InetSocketAddress(LOOPBACK, 0)).build(),
                new InetSocketAddress(LOOPBACK, target.getLocalPort()));
    }

    @AfterEach
    void stop() {
        forwarder.close();
        target.close();
    }

    @Test
    void anEmptyDatagramReachesTheTargetAndItsEmptyReplyComesBack() throws Exception {
        try (MultipathDatagramSocket client = MultipathDatagramSocket.open(
                TunnelConfig.client().path(forwarder.localAddress()).build())) {
            client.setSoTimeout(5_000);
            client.send(new DatagramPacket(new byte[0], 0));
            DatagramPacket atTarget = new DatagramPacket(new byte[64], 64);
            target.receive(atTarget);
            assertThat(atTarget.getLength()).isZero();
            target.send(new DatagramPacket(new byte[0], 0, atTarget.getSocketAddress()));

            DatagramPacket reply = new DatagramPacket(new byte[64], 64);
            client.receive(reply);
            assertThat(reply.getLength()).isZero();
        }
        // counted once the send returns, which may be after the reply came back
        await().atMost(Duration.ofSeconds(5)).until(() -> forwarder.toTarget() == 1);
        assertThat(forwarder.fromTarget()).isEqualTo(1);
        assertThat(forwarder.targetDropped()).isZero();
    }

    /**
     * Each empty datagram leaves from a socket of its own (ConnectedSend): a flood of them would
     * churn a descriptor per datagram. Past the budget they are dropped and counted; the target
     * gets no more than the budget let through.
     */
    @Test
    void emptyDatagramsAreSentWithinTheirBudgetAndTheRestCounted() throws Exception {
        int flood = 4 * EmptyDatagramBudget.PER_SECOND;
        try (MultipathDatagramSocket client = MultipathDatagramSocket.open(
                TunnelConfig.client().path(forwarder.localAddress()).build())) {
            client.send(new DatagramPacket(new byte[1], 1)); // the session and its target socket first
            target.receive(new DatagramPacket(new byte[64], 64));
            // Read as they come: the target's receive buffer alone holds only a few hundred.
            java.util.concurrent.atomic.AtomicInteger atTarget = new java.util.concurrent.atomic.AtomicInteger();
            target.setSoTimeout(1_000);
            Thread reader = new Thread(() -> {
                try {
                    for (;;) {
                        target.receive(new DatagramPacket(new byte[64], 64));
                        atTarget.incrementAndGet();
                    }
                } catch (IOException e) {
                    // a second without one: the flood is over
                }
            });
            reader.start();
            long start = System.nanoTime();
            for (int i = 0; i < flood; i++) {
                client.send(new DatagramPacket(new byte[0], 0));
            }
            await().atMost(Duration.ofSeconds(20)).until(() -> forwarder.toTarget() + forwarder.targetDropped()
                    + forwarder.tunnelStats().queueDropped() >= 1 + flood);
            double seconds = (System.nanoTime() - start) / 1e9;
            reader.join();
            long bound = (long) (EmptyDatagramBudget.PER_SECOND * (1 + Math.ceil(seconds)));
            assertThat(atTarget.get()).as("empty datagrams at the target, %d sent in %.2f s", flood, seconds)
                    .isLessThanOrEqualTo((int) bound);
            assertThat(forwarder.emptySent()).isBetween((long) atTarget.get(), bound);
            assertThat(forwarder.emptyRefused()).isPositive();
            assertThat(forwarder.targetDropped()).isEqualTo(forwarder.emptyRefused());
        }
    }

    @Test
    void inLegacyModeAPayloadThatLooksLikeSocksIsData() throws Exception {
        forwarder.close();
        forwarder = TargetForwarder.start(TunnelConfig.server(new InetSocketAddress(LOOPBACK, 0))
                .wireFormat(TunnelConfig.WireFormat.LEGACY).build(), new InetSocketAddress(LOOPBACK, target.getLocalPort()));
        // Marked, and naming a destination the default allow list refuses: a SOCKS relay would drop it.
        byte[] looksMarked = new byte[SocksUdp.MARK_LENGTH + 12];
        SocksUdp.writeMark(looksMarked, 0);
        System.arraycopy(new byte[] {0, 0, 0, 1, 127, 0, 0, 1, 0, 9, 'h', 'i'}, 0, looksMarked, SocksUdp.MARK_LENGTH, 12);
        try (MultipathDatagramSocket client = MultipathDatagramSocket.open(TunnelConfig.client()
                .wireFormat(TunnelConfig.WireFormat.LEGACY).path(forwarder.localAddress()).build())) {
            client.send(new DatagramPacket(looksMarked, looksMarked.length));
            DatagramPacket atTarget = new DatagramPacket(new byte[64], 64);
            target.receive(atTarget);
            assertThat(Arrays.copyOf(atTarget.getData(), atTarget.getLength())).containsExactly(looksMarked);
        }
        assertThat(forwarder.socksCounters().sessions()).isZero();
    }
}
