package org.mptunnel.internal.socket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
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
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mptunnel.MultipathDatagramSocket;
import org.mptunnel.TunnelConfig;

/** A server socket: bound, never connected, and addressing its clients by session. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ServerRoleTest {

    private SocketPair pair;

    @AfterEach
    void closePair() {
        if (pair != null) {
            pair.close();
        }
    }

    @Test
    void serverIsNeverConnected() throws IOException {
        pair = SocketPair.open();
        MultipathDatagramSocket server = pair.server;

        assertThat(server.isConnected()).isFalse();
        assertThat(server.getRemoteSocketAddress()).isNull();
        assertThat(server.getInetAddress()).isNull();
        assertThat(server.getPort()).isEqualTo(-1);
        assertThat(server.isBound()).isTrue();
        assertThat(server.getLocalSocketAddress()).isEqualTo(pair.serverAddress);
    }

    @Test
    void connectThrowsSocketException() throws IOException {
        pair = SocketPair.open();
        InetSocketAddress session = pair.openSession();

        assertThatThrownBy(() -> pair.server.connect(session)).isInstanceOf(SocketException.class);
        assertThatThrownBy(() -> pair.server.connect(pair.client.getLocalSocketAddress()))
                .isInstanceOf(SocketException.class);
        assertThatThrownBy(() -> pair.server.connect(session.getAddress(), session.getPort()))
                .isInstanceOf(UncheckedIOException.class);
        assertThat(pair.server.isConnected()).isFalse();
    }

    @Test
    void disconnectLeavesTheServerServing() throws IOException {
        pair = SocketPair.open();
        InetSocketAddress session = pair.openSession();

        assertThatCode(pair.server::disconnect).doesNotThrowAnyException();

        send(pair.server, bytes("still serving"), session);
        assertThat(payload(receive(pair.client, 64))).isEqualTo(bytes("still serving"));
    }

    @Test
    void sendToTheReportedSessionAddressReachesTheClient() throws IOException {
        pair = SocketPair.open();
        InetSocketAddress session = pair.openSession();

        send(pair.server, bytes("reply"), session);

        assertThat(payload(receive(pair.client, 64))).isEqualTo(bytes("reply"));
    }

    @Test
    void sessionAddressRebuiltFromItsTextualFormStillNamesTheSession() throws IOException {
        pair = SocketPair.open();
        InetSocketAddress session = pair.openSession();
        InetSocketAddress rebuilt = new InetSocketAddress(InetAddress.getByName(session.getAddress().getHostAddress()), 9);

        send(pair.server, bytes("stored address"), rebuilt);

        assertThat(payload(receive(pair.client, 64))).isEqualTo(bytes("stored address"));
    }

    @Test
    void sendToAnExpiredSessionIsDroppedAndCounted() throws IOException {
        Duration idle = Duration.ofMillis(100);
        pair = SocketPair.open(s -> s.keepaliveInterval(Duration.ofMillis(20)).sessionIdleTimeout(idle), c -> c);
        InetSocketAddress session = pair.openSession();
        pair.client.close();
        await().atMost(SocketPair.PATIENCE).until(() -> pair.server.stats().sessions().isEmpty());
        long droppedBefore = pair.server.stats().sendDropped();

        assertThatCode(() -> send(pair.server, bytes("too late"), session)).doesNotThrowAnyException();

        assertThat(pair.server.stats().sendDropped()).isEqualTo(droppedBefore + 1);
    }

    @Test
    void sendWithoutAnAddressThrowsIllegalArgumentException() throws IOException {
        pair = SocketPair.open();
        pair.openSession();

        assertThatThrownBy(() -> pair.server.send(new DatagramPacket(bytes("x"), 1)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void sendToANetworkAddressThrowsIllegalArgumentException() throws IOException {
        pair = SocketPair.open();
        pair.openSession();
        InetSocketAddress clientSource = new InetSocketAddress(LOOPBACK, pair.client.getLocalPort());
        InetSocketAddress discardPort = new InetSocketAddress(LOOPBACK, 9);

        assertThatThrownBy(() -> send(pair.server, bytes("x"), clientSource)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> send(pair.server, bytes("x"), discardPort)).isInstanceOf(IllegalArgumentException.class);
        assertThat(pair.server.stats().sendDropped()).isZero();
    }

    @Test
    void sendToTheSessionAddressOnAnotherPortThrowsIllegalArgumentException() throws IOException {
        pair = SocketPair.open();
        InetSocketAddress session = pair.openSession();

        assertThatThrownBy(() -> send(pair.server, bytes("x"), new InetSocketAddress(session.getAddress(), 10)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void sendToAnUnknownSessionAddressIsDroppedAndCounted() throws IOException {
        pair = SocketPair.open();
        InetSocketAddress session = pair.openSession();
        InetSocketAddress unknown = sessionAddress(sessionIdOf(session) ^ 1);
        long droppedBefore = pair.server.stats().sendDropped();

        assertThatCode(() -> send(pair.server, bytes("to nobody"), unknown)).doesNotThrowAnyException();

        assertThat(pair.server.stats().sendDropped()).isEqualTo(droppedBefore + 1);
    }

    @Test
    void receivedDatagramsCarryOneSessionAddressPerClientSocket() throws IOException {
        pair = SocketPair.open();

        InetSocketAddress first = pair.openSession();
        send(pair.client, bytes("second"));
        InetSocketAddress second = (InetSocketAddress) receive(pair.server, 64).getSocketAddress();
        send(pair.client, bytes("third"));
        InetSocketAddress third = (InetSocketAddress) receive(pair.server, 64).getSocketAddress();

        assertThat(first.getPort()).isEqualTo(9);
        assertThat(first.getAddress()).isInstanceOf(Inet6Address.class);
        assertThat(Arrays.copyOf(first.getAddress().getAddress(), 8)).containsExactly(1, 0, 0, 0, 0, 0, 0, 0);
        assertThat(second).isEqualTo(first);
        assertThat(third).isEqualTo(first);
        long clientSessionId = pair.client.stats().sessions().get(0).sessionId();
        assertThat(sessionIdOf(first)).isEqualTo(clientSessionId);
        assertThat(pair.server.stats().sessions()).singleElement()
                .satisfies(s -> assertThat(s.address()).isEqualTo(first));
    }

    @Test
    void twoClientSocketsAreTwoSessionAddresses() throws IOException {
        pair = SocketPair.open();
        try (MultipathDatagramSocket other = MultipathDatagramSocket.open(
                TunnelConfig.client().path(pair.serverAddress).build())) {
            InetSocketAddress first = pair.openSession();
            send(other, bytes("other"));
            InetSocketAddress second = (InetSocketAddress) receive(pair.server, 64).getSocketAddress();

            assertThat(second).isNotEqualTo(first);
            send(pair.server, bytes("for the other"), second);
            assertThat(payload(receive(other, 64))).isEqualTo(bytes("for the other"));
        }
    }

    /** @return the session id in the low 64 bits of a session address */
    private static long sessionIdOf(InetSocketAddress session) {
        return ByteBuffer.wrap(session.getAddress().getAddress(), 8, 8).getLong();
    }

    /** @return {@code [100::<id>]:9}, built here from the documented form rather than by the library */
    private static InetSocketAddress sessionAddress(long id) throws IOException {
        byte[] bytes = ByteBuffer.allocate(16).put(0, (byte) 1).putLong(8, id).array();
        return new InetSocketAddress(InetAddress.getByAddress(bytes), 9);
    }
}
