package org.mptunnel.it;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketException;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * A relay between one client path and a server that records every datagram in both directions,
 * can hold back (record without forwarding) the datagrams a predicate picks, and can inject
 * datagrams of the test's own from the very sockets it relays through, so that they reach each end
 * from the address the real traffic comes from.
 */
final class Tap implements AutoCloseable {

    /** A recorded datagram and whether it was held back. */
    record Captured(byte[] bytes, boolean held) {
        int type() {
            return bytes.length > 3 ? bytes[3] : -1;
        }
    }

    private final DatagramSocket downstream; // faces the client
    private volatile DatagramSocket upstream; // faces the server; replaced by moveUpstream
    /** Upstream sockets left behind by {@link #moveUpstreamKeepingOld}, still open. */
    private final List<DatagramSocket> left = new CopyOnWriteArrayList<>();
    private final InetSocketAddress server;
    private volatile SocketAddress client;
    final List<Captured> toServer = new CopyOnWriteArrayList<>();
    final List<Captured> toClient = new CopyOnWriteArrayList<>();
    /** Bytes the server sent towards the client, injected datagrams' answers included. */
    final AtomicLong bytesFromServer = new AtomicLong();
    /** What the server sent to upstream sockets the tap has left (not relayed). */
    final List<Captured> toLeft = new CopyOnWriteArrayList<>();
    volatile Predicate<byte[]> holdToServer = b -> false;
    volatile Predicate<byte[]> holdToClient = b -> false;
    /**
     * When set, each datagram towards the server leaves from the next of these sockets in turn
     * instead of from the upstream socket (which may be one of them): a relay that re-sends the
     * client's authentic datagrams from addresses of its choosing. Only what reaches the upstream
     * socket is relayed back to the client.
     */
    volatile DatagramSocket[] rotation;
    private long rotated;
    private final List<Thread> threads = new CopyOnWriteArrayList<>();

    Tap(InetSocketAddress server) throws SocketException {
        this.server = server;
        this.downstream = new DatagramSocket(new InetSocketAddress(Loopback.LOOPBACK, 0));
        this.upstream = new DatagramSocket(new InetSocketAddress(Loopback.LOOPBACK, 0));
        threads.add(relay(downstream, true));
        threads.add(relay(upstream, false));
    }

    /** @return the socket that faces the server, whose replies are relayed to the client */
    DatagramSocket upstreamSocket() {
        return upstream;
    }

    /**
     * Goes on from a new upstream socket (a new source port, as a bridge restarted on another
     * port would have) and closes the old one.
     *
     * @return the new socket's address
     */
    InetSocketAddress moveUpstream() throws SocketException {
        DatagramSocket old = upstream;
        DatagramSocket moved = new DatagramSocket(new InetSocketAddress(Loopback.LOOPBACK, 0));
        threads.add(relay(moved, false));
        upstream = moved;
        old.close();
        return (InetSocketAddress) moved.getLocalSocketAddress();
    }

    /**
     * Goes on from a new upstream socket, as a client behind a NAT that rebinds its mapping does,
     * but keeps the old one open, recording (in {@link #toLeft}, not relaying) what still comes to it.
     *
     * @return the new socket's address
     */
    InetSocketAddress moveUpstreamKeepingOld() throws SocketException {
        DatagramSocket old = upstream;
        DatagramSocket moved = new DatagramSocket(new InetSocketAddress(Loopback.LOOPBACK, 0));
        threads.add(relay(moved, false));
        left.add(old);
        upstream = moved;
        return (InetSocketAddress) moved.getLocalSocketAddress();
    }

    InetSocketAddress address() {
        return new InetSocketAddress(Loopback.LOOPBACK, downstream.getLocalPort());
    }

    private Thread relay(DatagramSocket from, boolean towardsServer) {
        Thread thread = new Thread(() -> {
            byte[] buffer = new byte[65_535];
            while (!from.isClosed()) {
                DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
                try {
                    from.receive(packet);
                    byte[] bytes = Arrays.copyOf(packet.getData(), packet.getLength());
                    if (towardsServer) {
                        client = packet.getSocketAddress();
                        boolean held = holdToServer.test(bytes);
                        toServer.add(new Captured(bytes, held));
                        if (!held) {
                            DatagramSocket[] turns = rotation;
                            DatagramSocket out = turns == null ? upstream : turns[(int) (rotated++ % turns.length)];
                            out.send(new DatagramPacket(bytes, bytes.length, server));
                        }
                    } else if (left.contains(from)) {
                        toLeft.add(new Captured(bytes, true));
                    } else if (from == upstream) {
                        bytesFromServer.addAndGet(bytes.length);
                        boolean held = holdToClient.test(bytes);
                        toClient.add(new Captured(bytes, held));
                        if (!held && client != null) {
                            downstream.send(new DatagramPacket(bytes, bytes.length, client));
                        }
                    }
                } catch (IOException e) {
                    if (from.isClosed()) {
                        return;
                    }
                    // a send from a socket closed meanwhile (moveUpstream): that datagram is lost
                }
            }
        }, "tap-" + (towardsServer ? "up" : "down"));
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    /** Sends {@code bytes} to the server from the tap's upstream socket, as if from the client's path. */
    void injectToServer(byte[] bytes) throws IOException {
        upstream.send(new DatagramPacket(bytes, bytes.length, server));
    }

    /** Sends {@code bytes} to the client from the tap's downstream socket, as if from the server. */
    void injectToClient(byte[] bytes) throws IOException {
        downstream.send(new DatagramPacket(bytes, bytes.length, client));
    }

    /** @return the last datagram of {@code type} recorded in {@code list}, or null */
    static byte[] last(List<Captured> list, int type) {
        for (int i = list.size() - 1; i >= 0; i--) {
            if (list.get(i).type() == type) {
                return list.get(i).bytes();
            }
        }
        return null;
    }

    @Override
    public void close() throws InterruptedException {
        downstream.close();
        upstream.close();
        for (DatagramSocket socket : left) {
            socket.close();
        }
        for (Thread thread : threads) {
            thread.join(2_000);
        }
    }
}
