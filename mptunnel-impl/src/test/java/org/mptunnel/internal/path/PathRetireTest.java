package org.mptunnel.internal.path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import org.junit.jupiter.api.Test;

/**
 * A path removed from a running client is retired before its channel closes: a sender that still
 * holds it (it read the path array just before the removal) is told the datagram did not leave,
 * not that the socket is closed.
 */
class PathRetireTest {

    private static final InetSocketAddress DISCARD = new InetSocketAddress(InetAddress.getLoopbackAddress(), 9);

    @Test
    void aRetiredPathsClosedChannelIsNotTheSocketClosing() throws Exception {
        ByteBuffer datagram = ByteBuffer.allocate(32);
        try (DatagramChannel channel = DatagramChannel.open()) {
            channel.connect(DISCARD);
            Path path = new Path(0, DISCARD, channel, true, System.nanoTime());

            path.retire();
            channel.close();

            assertThat(path.isUp()).isFalse();
            assertThat(path.transmit(datagram)).isFalse();
        }
    }

    @Test
    void aPathThatIsNotRetiredReportsItsChannelClosed() throws Exception {
        ByteBuffer datagram = ByteBuffer.allocate(32);
        try (DatagramChannel channel = DatagramChannel.open()) {
            channel.connect(DISCARD);
            Path path = new Path(0, DISCARD, channel, true, System.nanoTime());

            channel.close();

            assertThatThrownBy(() -> path.transmit(datagram)).isInstanceOf(ClosedChannelException.class);
        }
    }
}
