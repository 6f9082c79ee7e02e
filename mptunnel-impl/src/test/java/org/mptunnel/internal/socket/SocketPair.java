package org.mptunnel.internal.socket;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.function.UnaryOperator;
import org.mptunnel.MultipathDatagramSocket;
import org.mptunnel.TunnelConfig;

/**
 * A server and a one-path client over loopback, with the small helpers the contract tests share.
 * The server is opened first; the client's only path (and so its peer) is the server's port.
 */
final class SocketPair implements AutoCloseable {

    static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    /** Long enough for any datagram on loopback; a test that waits this long has failed. */
    static final Duration PATIENCE = Duration.ofSeconds(5);

    final MultipathDatagramSocket server;
    final MultipathDatagramSocket client;
    /** The client's peer: the server's bound address. */
    final InetSocketAddress serverAddress;

    private SocketPair(InetAddress host, MultipathDatagramSocket server, MultipathDatagramSocket client) {
        this.server = server;
        this.client = client;
        this.serverAddress = new InetSocketAddress(host, server.getLocalPort());
    }

    static SocketPair open() throws IOException {
        return open(UnaryOperator.identity(), UnaryOperator.identity());
    }

    static SocketPair open(UnaryOperator<TunnelConfig.ServerBuilder> server,
                         UnaryOperator<TunnelConfig.ClientBuilder> client) throws IOException {
        return open(LOOPBACK, server, client);
    }

    /** @param host the loopback address both sockets use: 127.0.0.1 or ::1 */
    static SocketPair open(InetAddress host, UnaryOperator<TunnelConfig.ServerBuilder> server,
                         UnaryOperator<TunnelConfig.ClientBuilder> client) throws IOException {
        MultipathDatagramSocket s = MultipathDatagramSocket.open(
                server.apply(TunnelConfig.server(new InetSocketAddress(host, 0))).build());
        try {
            MultipathDatagramSocket c = MultipathDatagramSocket.open(
                    client.apply(TunnelConfig.client().path(new InetSocketAddress(host, s.getLocalPort()))).build());
            return new SocketPair(host, s, c);
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    /**
     * Sends a first datagram from the client and receives it on the server, which opens the session.
     *
     * @return the session address the server reported, to reply to
     */
    InetSocketAddress openSession() throws IOException {
        send(client, bytes("hello"));
        return (InetSocketAddress) receive(server, 64).getSocketAddress();
    }

    MultipathDatagramSocket socket(TunnelConfig.Role role) {
        return role == TunnelConfig.Role.CLIENT ? client : server;
    }

    /**
     * @return the one-way link whose receiver is the socket of the given role; towards the client,
     *         the session is opened first so that the server has an address to send to
     */
    Link towards(TunnelConfig.Role receiver) throws IOException {
        return receiver == TunnelConfig.Role.CLIENT
                ? new Link(server, client, openSession())
                : new Link(client, server, null);
    }

    /** Waits until the client's first keepalive has been answered, after which a quiet pair stays quiet. */
    void awaitKeepaliveAnswered() {
        await().atMost(PATIENCE).until(() -> client.stats().sessions().get(0).paths().get(0).smoothedRttNanos() >= 0);
    }

    @Override
    public void close() {
        client.close();
        server.close();
    }

    /** One direction of the pair: who sends, who receives, and the address the sender must use (null: none). */
    record Link(MultipathDatagramSocket sender, MultipathDatagramSocket receiver, SocketAddress to) {

        void send(byte[] data) throws IOException {
            send(new DatagramPacket(data, data.length));
        }

        void send(DatagramPacket packet) throws IOException {
            if (to != null) {
                packet.setSocketAddress(to);
            }
            sender.send(packet);
        }
    }

    static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    /** @return {@code length} bytes of a recognisable pattern starting at {@code seed} */
    static byte[] pattern(int length, int seed) {
        byte[] data = new byte[length];
        for (int i = 0; i < length; i++) {
            data[i] = (byte) (seed + i * 7);
        }
        return data;
    }

    /** Sends {@code data} without an address (the client's connected peer). */
    static void send(DatagramSocket socket, byte[] data) throws IOException {
        socket.send(new DatagramPacket(data, data.length));
    }

    static void send(DatagramSocket socket, byte[] data, SocketAddress to) throws IOException {
        socket.send(new DatagramPacket(data, data.length, to));
    }

    /** Receives one datagram into a fresh packet of {@code capacity} bytes, waiting at most {@link #PATIENCE}. */
    static DatagramPacket receive(DatagramSocket socket, int capacity) throws IOException {
        DatagramPacket packet = new DatagramPacket(new byte[capacity], capacity);
        receiveInto(socket, packet);
        return packet;
    }

    /** Receives one datagram into {@code packet}, waiting at most {@link #PATIENCE}. */
    static void receiveInto(DatagramSocket socket, DatagramPacket packet) throws IOException {
        socket.setSoTimeout((int) PATIENCE.toMillis());
        socket.receive(packet);
    }

    /** @return the bytes the packet holds: {@code getLength()} bytes from its offset */
    static byte[] payload(DatagramPacket packet) {
        return Arrays.copyOfRange(packet.getData(), packet.getOffset(), packet.getOffset() + packet.getLength());
    }
}
