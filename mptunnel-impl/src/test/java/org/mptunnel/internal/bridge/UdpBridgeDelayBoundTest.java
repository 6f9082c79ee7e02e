package org.mptunnel.internal.bridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The copies a delaying bridge holds are bounded in bytes: past the bound, datagrams are dropped and counted. */
class UdpBridgeDelayBoundTest {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    @Test
    @Timeout(30)
    void aFloodThroughADelayingBridgeHoldsAtMostItsBoundAndCountsTheRest() throws Exception {
        try (DatagramChannel target = DatagramChannel.open().bind(new InetSocketAddress(LOOPBACK, 0));
             DatagramChannel source = DatagramChannel.open().bind(new InetSocketAddress(LOOPBACK, 0));
             UdpBridge bridge = UdpBridge.start(new InetSocketAddress(LOOPBACK, 0),
                     (InetSocketAddress) target.getLocalAddress(),
                     new Impairment(0, Duration.ofSeconds(20), Duration.ZERO, 0, 0, 1), ClientLimits.DEFAULT, 5_000)) {
            for (int i = 0; i < 50; i++) {
                source.send(ByteBuffer.allocate(1_000), bridge.localAddress());
            }
            // each is counted as delayDropped just before it is counted as dropped
            await().atMost(Duration.ofSeconds(10)).until(() -> bridge.delayDropped() == 45 && bridge.dropped() >= 45);
            assertThat(bridge.dropped()).isEqualTo(45);
            assertThat(bridge.forwarded()).as("the 5 held are not due for 20 s").isZero();
        }
    }
}
