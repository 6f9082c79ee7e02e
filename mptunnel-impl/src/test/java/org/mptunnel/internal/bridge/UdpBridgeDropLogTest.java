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

/** A lossy bridge's drop log names exactly the datagrams it dropped, each with its direction. */
class UdpBridgeDropLogTest {

    private static final int DATAGRAMS = 1_000;

    @Test
    @Timeout(60)
    void theLogHoldsEveryDroppedDatagramWithItsDirection() throws Exception {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        DropLog log = new DropLog();
        BitSet atClient = new BitSet();
        BitSet atTarget;
        long dropped;
        try (EchoTarget target = new EchoTarget();
             UdpBridge bridge = UdpBridge.start(new InetSocketAddress(loopback, 0), target.address(),
                     Impairment.lossy(0.3, 23));
             DatagramChannel client = DatagramChannel.open().bind(new InetSocketAddress(loopback, 0))) {
            bridge.dropLog(log);
            client.configureBlocking(false);
            for (int sent = 0; sent < DATAGRAMS; sent++) {
                client.send(ByteBuffer.allocate(8).putInt(0, sent), bridge.localAddress());
                if (sent % 100 == 99) { // batches keep the sockets' buffers far from full
                    int accounted = sent + 1;
                    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(5)).until(() -> {
                        drain(client, atClient);
                        return atClient.cardinality() + bridge.dropped() == accounted;
                    });
                }
            }
            atTarget = target.received();
            dropped = bridge.dropped();
        }

        BitSet droppedToTarget = new BitSet();
        BitSet droppedToClient = new BitSet();
        StringBuilder text = new StringBuilder();
        log.writeTo(text);
        for (String line : text.toString().split("\n")) {
            String[] f = line.split(" ");
            if (f[0].equals("to-target")) {
                assertThat(f[1]).isEqualTo("8");
                droppedToTarget.set(Integer.parseInt(f[2].substring(0, 8), 16));
            } else {
                assertThat(f[0]).isEqualTo("to-client");
                assertThat(f[1]).isEqualTo("12"); // the echo's port, then the datagram
                droppedToClient.set(Integer.parseInt(f[2].substring(8, 16), 16));
            }
        }
        BitSet all = new BitSet();
        all.set(0, DATAGRAMS);
        BitSet notAtTarget = (BitSet) all.clone();
        notAtTarget.andNot(atTarget);
        BitSet lostOnTheWayBack = (BitSet) atTarget.clone();
        lostOnTheWayBack.andNot(atClient);
        assertThat(log.recorded()).isEqualTo(dropped);
        assertThat(droppedToTarget).isEqualTo(notAtTarget);
        assertThat(droppedToClient).isEqualTo(lostOnTheWayBack);
        assertThat(droppedToTarget.cardinality()).isBetween(200, 400); // 30 % each way, seeded
        assertThat(droppedToClient.cardinality()).isBetween(100, 300);
    }

    private static void drain(DatagramChannel client, BitSet atClient) throws IOException {
        ByteBuffer reply = ByteBuffer.allocate(64);
        while (client.receive(reply.clear()) != null) {
            atClient.set(reply.getInt(4)); // after the upstream port the target puts first
        }
    }
}
