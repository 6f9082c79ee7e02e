package org.mptunnel.internal.socket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mptunnel.internal.socket.SocketPair.bytes;
import static org.mptunnel.internal.socket.SocketPair.pattern;
import static org.mptunnel.internal.socket.SocketPair.payload;
import static org.mptunnel.internal.socket.SocketPair.receive;
import static org.mptunnel.internal.socket.SocketPair.send;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mptunnel.TunnelConfig;

/** The role addresses and the size limit hold over ::1 as over 127.0.0.1. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class Ipv6LoopbackTest {

    private SocketPair pair;

    @BeforeEach
    void openPair() throws IOException {
        pair = SocketPair.open(InetAddress.getByName("::1"), UnaryOperator.identity(), UnaryOperator.identity());
    }

    @AfterEach
    void closePair() {
        pair.close();
    }

    @Test
    void clientReceivesFromItsIpv6PeerAndServerFromASessionAddress() throws IOException {
        InetSocketAddress session = pair.openSession();
        send(pair.server, bytes("reply"), session);
        DatagramPacket reply = receive(pair.client, 64);

        assertThat(session.getPort()).isEqualTo(9);
        assertThat(session.getAddress().getAddress()[0]).isEqualTo((byte) 1);
        assertThat(reply.getSocketAddress()).isEqualTo(pair.serverAddress);
        assertThat(pair.client.getRemoteSocketAddress()).isEqualTo(pair.serverAddress);
    }

    @Test
    void largestPayloadCrossesBothWays() throws IOException {
        byte[] largest = pattern(TunnelConfig.MAX_PAYLOAD_LIMIT, 5);

        InetSocketAddress session = pair.openSession();
        send(pair.client, largest);
        assertThat(payload(receive(pair.server, largest.length))).isEqualTo(largest);
        send(pair.server, largest, session);
        assertThat(payload(receive(pair.client, largest.length))).isEqualTo(largest);
    }
}
