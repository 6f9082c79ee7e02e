package org.mptunnel.benchmarks.harness;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import org.mptunnel.internal.wire.Header;

/**
 * An attacker on a path: relays an mpclient's path to the next hop and back, reads the session id
 * and sequence numbers in clear in every header (v1 and v2 alike), and injects datagrams of its own
 * from the very sockets it relays through, so that they come from the path's addresses.
 */
final class OnPathRelay implements AutoCloseable {

    private final DatagramChannel downstream; // faces the mpclient
    private final DatagramChannel upstream; // faces the next hop
    private final InetSocketAddress next;
    private final Thread[] threads = new Thread[2];
    private volatile SocketAddress client;
    private volatile long lastSessionId;
    private volatile long lastSequenceToServer;
    private volatile long lastSequenceToClient;

    OnPathRelay(InetSocketAddress next) throws IOException {
        this.next = next;
        InetAddress loopback = InetAddress.getLoopbackAddress();
        downstream = DatagramChannel.open().bind(new InetSocketAddress(loopback, 0));
        upstream = DatagramChannel.open().bind(new InetSocketAddress(loopback, 0));
        threads[0] = relay(downstream, true);
        threads[1] = relay(upstream, false);
    }

    /** @return where the mpclient sends this path */
    int port() throws IOException {
        return ((InetSocketAddress) downstream.getLocalAddress()).getPort();
    }

    /** @return the session id of the last datagram the client sent */
    long lastSessionId() {
        return lastSessionId;
    }

    /** @return the sequence number of the last DATA towards the server */
    long lastSequenceToServer() {
        return lastSequenceToServer;
    }

    /** @return the sequence number of the last DATA towards the client */
    long lastSequenceToClient() {
        return lastSequenceToClient;
    }

    private Thread relay(DatagramChannel from, boolean towardsServer) {
        Thread t = new Thread(() -> {
            ByteBuffer buffer = ByteBuffer.allocateDirect(65_536);
            while (true) {
                buffer.clear();
                try {
                    SocketAddress source = from.receive(buffer);
                    buffer.flip();
                    boolean data = buffer.remaining() >= Header.LENGTH && Header.type(buffer) == Header.TYPE_DATA;
                    if (towardsServer) {
                        client = source;
                        if (buffer.remaining() >= Header.LENGTH) {
                            lastSessionId = Header.sessionId(buffer);
                        }
                        if (data) {
                            lastSequenceToServer = Header.sequence(buffer);
                        }
                        upstream.send(buffer, next);
                    } else if (client != null) {
                        if (data) {
                            lastSequenceToClient = Header.sequence(buffer);
                        }
                        downstream.send(buffer, client);
                    }
                } catch (ClosedChannelException e) {
                    return;
                } catch (IOException e) {
                    // one datagram lost (e.g. an ICMP error for an earlier one): a relay carries on
                }
            }
        }, "on-path-" + (towardsServer ? "up" : "down"));
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** Sends {@code datagram} to the next hop from the path's upstream address, as the client's path would. */
    void injectToServer(ByteBuffer datagram) throws IOException {
        upstream.send(datagram, next);
    }

    /** Sends {@code datagram} to the client from the path's address, as the server's reply would come. */
    void injectToClient(ByteBuffer datagram) throws IOException {
        SocketAddress to = client;
        if (to != null) {
            downstream.send(datagram, to);
        }
    }

    @Override
    public void close() throws IOException {
        downstream.close();
        upstream.close();
        for (Thread t : threads) {
            try {
                t.join(2_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
