package org.mptunnel.internal.bridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.BitSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Bursty loss through a bridge on loopback: both directions, and the same seed drops the same datagrams. */
class UdpBridgeBurstLossTest {

    private static final int DATAGRAMS = 4_000;
    private static final int BATCH = 200;
    private static final GilbertElliott TWENTY_PERCENT_IN_BURSTS_OF_EIGHT = GilbertElliott.bursts(0.2, 8);

    @Test
    @Timeout(120)
    void bothDirectionsLoseInBurstsAndTheSameSeedLosesTheSameDatagrams() throws Exception {
        Delivery first = run(Impairment.bursty(TWENTY_PERCENT_IN_BURSTS_OF_EIGHT, 17));
        Delivery again = run(Impairment.bursty(TWENTY_PERCENT_IN_BURSTS_OF_EIGHT, 17));
        System.out.printf("loss-burst 20%%:8 through a bridge, %d datagrams: to the target loss %.3f in bursts of %.2f,"
                        + " back loss %.3f in bursts of %.2f%n", DATAGRAMS, first.toTarget.lossRate(),
                first.toTarget.meanBurst(), first.back.lossRate(), first.back.meanBurst());
        // about 100 bursts each way: the mean loss within 0.1, the mean burst well above independent loss's 1.25
        for (Losses direction : new Losses[] {first.toTarget, first.back}) {
            assertThat(direction.lossRate()).isBetween(0.1, 0.3);
            assertThat(direction.meanBurst()).isGreaterThan(4);
        }
        assertThat(again.atTarget).isEqualTo(first.atTarget);
        assertThat(again.atClient).isEqualTo(first.atClient);
        assertThat(first.atClient).isNotEqualTo(first.atTarget); // the way back has its own losses
    }

    private static Delivery run(Impairment impairment) throws Exception {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        try (EchoTarget target = new EchoTarget();
             UdpBridge bridge = UdpBridge.start(new InetSocketAddress(loopback, 0), target.address(), impairment);
             DatagramChannel client = DatagramChannel.open().bind(new InetSocketAddress(loopback, 0))) {
            client.configureBlocking(false);
            BitSet atClient = new BitSet();
            ByteBuffer buffer = ByteBuffer.allocate(64);
            for (int sent = 0; sent < DATAGRAMS; ) {
                for (int end = sent + BATCH; sent < end; sent++) {
                    client.send(buffer.clear().putInt(sent).flip(), bridge.localAddress());
                }
                // batches keep the sockets' buffers far from full: only the bridge loses datagrams
                int accounted = sent;
                await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(5)).until(() -> {
                    drain(client, atClient);
                    return atClient.cardinality() + bridge.dropped() == accounted;
                });
            }
            return new Delivery(target.received(), atClient);
        }
    }

    private static void drain(DatagramChannel client, BitSet atClient) throws IOException {
        ByteBuffer reply = ByteBuffer.allocate(64);
        while (client.receive(reply.clear()) != null) {
            atClient.set(reply.getInt(4)); // after the upstream port the target puts first
        }
    }

    /** What reached the target, and what came back. */
    private record Delivery(BitSet atTarget, BitSet atClient, Losses toTarget, Losses back) {
        Delivery(BitSet atTarget, BitSet atClient) {
            this(atTarget, atClient, Losses.among(allUpTo(DATAGRAMS), atTarget), Losses.among(atTarget, atClient));
        }
    }

    private static BitSet allUpTo(int n) {
        BitSet all = new BitSet(n);
        all.set(0, n);
        return all;
    }

    /** Losses among the datagrams that entered one direction, in the order they entered it. */
    private record Losses(int entered, int lost, int bursts) {

        static Losses among(BitSet entered, BitSet survived) {
            int lost = 0;
            int bursts = 0;
            boolean previousLost = false;
            for (int i = entered.nextSetBit(0); i >= 0; i = entered.nextSetBit(i + 1)) {
                boolean l = !survived.get(i);
                if (l) {
                    lost++;
                    if (!previousLost) {
                        bursts++;
                    }
                }
                previousLost = l;
            }
            return new Losses(entered.cardinality(), lost, bursts);
        }

        double lossRate() {
            return (double) lost / entered;
        }

        double meanBurst() {
            return (double) lost / bursts;
        }
    }
}
