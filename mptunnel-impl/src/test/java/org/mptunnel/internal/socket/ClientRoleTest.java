package org.mptunnel.internal.socket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mptunnel.internal.socket.SocketPair.LOOPBACK;
import static org.mptunnel.internal.socket.SocketPair.bytes;
import static org.mptunnel.internal.socket.SocketPair.payload;
import static org.mptunnel.internal.socket.SocketPair.receive;
import static org.mptunnel.internal.socket.SocketPair.send;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mptunnel.MultipathDatagramSocket;

/** A client socket: connected to its peer from the start and for good. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ClientRoleTest {

    private SocketPair pair;

    @AfterEach
    void closePair() {
        if (pair != null) {
            pair.close();
        }
    }

    /** A loopback address that is not the client's peer. */
    private InetSocketAddress notThePeer() {
        return new InetSocketAddress(LOOPBACK, pair.serverAddress.getPort() == 65_535 ? 65_534 : pair.serverAddress.getPort() + 1);
    }

    @Test
    void clientIsConnectedToItsPeerFromTheStart() throws IOException {
        pair = SocketPair.open();
        MultipathDatagramSocket client = pair.client;

        assertThat(client.isConnected()).isTrue();
        assertThat(client.getRemoteSocketAddress()).isEqualTo(pair.serverAddress);
        assertThat(client.getInetAddress()).isEqualTo(pair.serverAddress.getAddress());
        assertThat(client.getPort()).isEqualTo(pair.serverAddress.getPort());
        assertThat(client.isBound()).isTrue();
    }

    @Test
    void connectToThePeerIsAccepted() throws IOException {
        pair = SocketPair.open();

        assertThatCode(() -> pair.client.connect(pair.serverAddress)).doesNotThrowAnyException();
        assertThatCode(() -> pair.client.connect(pair.serverAddress.getAddress(), pair.serverAddress.getPort()))
                .doesNotThrowAnyException();
        assertThat(pair.client.getRemoteSocketAddress()).isEqualTo(pair.serverAddress);
    }

    @Test
    void connectToAnotherAddressThrowsSocketExceptionAndKeepsThePeer() throws IOException {
        pair = SocketPair.open();
        InetSocketAddress other = notThePeer();

        assertThatThrownBy(() -> pair.client.connect(other)).isInstanceOf(SocketException.class);
        assertThat(pair.client.getRemoteSocketAddress()).isEqualTo(pair.serverAddress);
    }

    @Test
    void connectByAddressAndPortToAnotherAddressThrowsUncheckedIoException() throws IOException {
        pair = SocketPair.open();
        InetSocketAddress other = notThePeer();

        assertThatThrownBy(() -> pair.client.connect(other.getAddress(), other.getPort()))
                .isInstanceOf(UncheckedIOException.class)
                .hasCauseInstanceOf(SocketException.class);
        assertThat(pair.client.getRemoteSocketAddress()).isEqualTo(pair.serverAddress);
    }

    @Test
    void disconnectLeavesTheClientConnectedToItsPeer() throws IOException {
        pair = SocketPair.open();

        pair.client.disconnect();

        assertThat(pair.client.isConnected()).isTrue();
        assertThat(pair.client.getRemoteSocketAddress()).isEqualTo(pair.serverAddress);
        send(pair.client, bytes("still connected"));
        assertThat(payload(receive(pair.server, 64))).isEqualTo(bytes("still connected"));
    }

    @Test
    void closedClientStaysConnectedAsTheJdkSays() throws IOException {
        pair = SocketPair.open();

        pair.client.close();

        assertThat(pair.client.isConnected()).isTrue();
        assertThat(pair.client.isBound()).isTrue();
    }

    @Test
    void sendWithoutAnAddressGoesToThePeer() throws IOException {
        pair = SocketPair.open();

        pair.client.send(new DatagramPacket(bytes("no address"), 10));

        assertThat(payload(receive(pair.server, 64))).isEqualTo(bytes("no address"));
    }

    @Test
    void sendWithoutAnAddressSetsThePeerOnThePacketAsTheJdkDoes() throws IOException {
        pair = SocketPair.open();
        DatagramPacket packet = new DatagramPacket(bytes("no address"), 10);

        pair.client.send(packet);

        assertThat(packet.getAddress()).isEqualTo(pair.serverAddress.getAddress());
        assertThat(packet.getPort()).isEqualTo(pair.serverAddress.getPort());
    }

    @Test
    void sendAddressedToThePeerIsAccepted() throws IOException {
        pair = SocketPair.open();

        send(pair.client, bytes("to the peer"), pair.serverAddress);

        assertThat(payload(receive(pair.server, 64))).isEqualTo(bytes("to the peer"));
    }

    @Test
    void sendToAnotherAddressThrowsIllegalArgumentException() throws IOException {
        pair = SocketPair.open();
        InetSocketAddress otherPort = notThePeer();
        InetSocketAddress otherHost = new InetSocketAddress(
                LOOPBACK.getAddress().length == 4 ? "::1" : "127.0.0.1", pair.serverAddress.getPort());

        assertThatThrownBy(() -> send(pair.client, bytes("x"), otherPort)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> send(pair.client, bytes("x"), otherHost)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void receivedDatagramsCarryThePeerAddress() throws IOException {
        pair = SocketPair.open();
        InetSocketAddress session = pair.openSession();

        send(pair.server, bytes("reply"), session);
        DatagramPacket reply = receive(pair.client, 64);

        assertThat(reply.getSocketAddress()).isEqualTo(pair.serverAddress);
    }

    @Test
    void configuredPeerAddressIsTheOneReceivedDatagramsCarryAndSendsMayName() throws IOException {
        // Any address the application knows the server by; here a loopback port nobody serves.
        InetSocketAddress peer = new InetSocketAddress(LOOPBACK, 4);
        pair = SocketPair.open(s -> s, c -> c.peerAddress(peer));

        assertThat(pair.client.getRemoteSocketAddress()).isEqualTo(peer);
        send(pair.client, bytes("to the named peer"), peer);
        InetSocketAddress session = (InetSocketAddress) receive(pair.server, 64).getSocketAddress();
        assertThatThrownBy(() -> send(pair.client, bytes("to the path"), pair.serverAddress))
                .isInstanceOf(IllegalArgumentException.class);
        send(pair.server, bytes("reply"), session);
        assertThat(receive(pair.client, 64).getSocketAddress()).isEqualTo(peer);
    }
}
