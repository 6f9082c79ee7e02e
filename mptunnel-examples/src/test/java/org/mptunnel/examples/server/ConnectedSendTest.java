package org.mptunnel.examples.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Sockets towards one target never share a local port: two sockets connected from one port to one
 * target have the same address, and the target's replies would all go to one of them. With
 * {@code SO_REUSEPORT} set before the ephemeral bind, Linux handed out shared ports (about 18
 * expected among 1,000 sockets here); mpserver holds thousands of flows towards one DNS server.
 */
@Timeout(60)
class ConnectedSendTest {

    private static final int SOCKETS = 1_000;

    @Test
    void socketsTowardsOneTargetNeverShareALocalPort() throws IOException {
        List<DatagramChannel> channels = new ArrayList<>();
        try (DatagramSocket target = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            InetSocketAddress remote = (InetSocketAddress) target.getLocalSocketAddress();
            Set<Integer> ports = new HashSet<>();
            for (int i = 0; i < SOCKETS; i++) {
                DatagramChannel channel = ConnectedSend.open(remote, 1 << 16);
                channels.add(channel);
                ports.add(((InetSocketAddress) channel.getLocalAddress()).getPort());
            }
            assertThat(ports).as("distinct local ports").hasSize(SOCKETS);
        } finally {
            for (DatagramChannel channel : channels) {
                channel.close();
            }
        }
    }
}
