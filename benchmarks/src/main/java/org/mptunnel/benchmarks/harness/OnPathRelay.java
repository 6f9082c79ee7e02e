package org.mptunnel.benchmarks.harness;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.mptunnel.internal.wire.Header;

/**
 * An attacker on a path: relays an mpclient's path sockets to the next hop and back, each from an
 * upstream socket of its own as a bridge does, reads the session id and sequence numbers in clear
 * in every header (v1 and v2 alike) of the first client it relays (the victim), and injects
 * datagrams of its own from the very sockets that relay the victim, so that they come from its
 * path's addresses.
 */
final class OnPathRelay implements AutoCloseable {

    /** As the load generator's: a stall of the harness's threads must not overflow the relay's buffers. */
    private static final int SOCKET_BUFFER_BYTES = 4 << 20;

    private final DatagramChannel downstream; // faces the mpclient
    private final InetSocketAddress next;
    private final Map<SocketAddress, DatagramChannel> upstreams = new ConcurrentHashMap<>();
    private final List<Thread> threads = new CopyOnWriteArrayList<>();
    private volatile SocketAddress victim;
    private volatile long lastSessionId;
    private volatile long lastSequenceToServer;
    private volatile long lastSequenceToClient;

    OnPathRelay(InetSocketAddress next) throws IOException {
        this.next = next;
        downstream = open();
        start(this::towardsServer, "on-path-up");
    }

    /** @return where the mpclient sends this path */
    int port() throws IOException {
        return ((InetSocketAddress) downstream.getLocalAddress()).getPort();
    }

    /** @return the session id of the last datagram the victim sent */
    long lastSessionId() {
        return lastSessionId;
    }

    /** @return the sequence number of the victim's last DATA towards the server */
    long lastSequenceToServer() {
        return lastSequenceToServer;
    }

    /** @return the sequence number of the last DATA towards the victim */
    long lastSequenceToClient() {
        return lastSequenceToClient;
    }

    private void towardsServer() {
        ByteBuffer buffer = ByteBuffer.allocateDirect(65_536);
        while (true) {
            buffer.clear();
            try {
                SocketAddress source = downstream.receive(buffer);
                buffer.flip();
                if (victim == null) {
                    victim = source;
                }
                if (source.equals(victim) && buffer.remaining() >= Header.LENGTH) {
                    lastSessionId = Header.sessionId(buffer);
                    if (Header.type(buffer) == Header.TYPE_DATA) {
                        lastSequenceToServer = Header.sequence(buffer);
                    }
                }
                upstream(source).send(buffer, next);
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                // one datagram lost (e.g. an ICMP error for an earlier one): a relay carries on
            }
        }
    }

    /** The upstream socket of {@code client}, opened with its reader at its first datagram. */
    private DatagramChannel upstream(SocketAddress client) throws IOException {
        DatagramChannel up = upstreams.get(client);
        if (up == null) {
            up = open();
            upstreams.put(client, up);
            DatagramChannel channel = up;
            start(() -> towardsClient(channel, client), "on-path-down");
        }
        return up;
    }

    private void towardsClient(DatagramChannel up, SocketAddress client) {
        ByteBuffer buffer = ByteBuffer.allocateDirect(65_536);
        boolean isVictim = client.equals(victim);
        while (true) {
            buffer.clear();
            try {
                up.receive(buffer);
                buffer.flip();
                if (isVictim && buffer.remaining() >= Header.LENGTH && Header.type(buffer) == Header.TYPE_DATA) {
                    lastSequenceToClient = Header.sequence(buffer);
                }
                downstream.send(buffer, client);
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                // as above
            }
        }
    }

    private static DatagramChannel open() throws IOException {
        DatagramChannel channel = DatagramChannel.open();
        channel.setOption(StandardSocketOptions.SO_RCVBUF, SOCKET_BUFFER_BYTES);
        channel.setOption(StandardSocketOptions.SO_SNDBUF, SOCKET_BUFFER_BYTES);
        return channel.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    }

    private void start(Runnable loop, String name) {
        Thread t = new Thread(loop, name);
        t.setDaemon(true);
        t.start();
        threads.add(t);
    }

    /** Sends {@code datagram} to the next hop from the victim's upstream socket, as its path would. */
    void injectToServer(ByteBuffer datagram) throws IOException {
        SocketAddress v = victim;
        if (v != null) {
            upstream(v).send(datagram, next);
        }
    }

    /** Sends {@code datagram} to the victim from the path's address, as the server's reply would come. */
    void injectToClient(ByteBuffer datagram) throws IOException {
        SocketAddress v = victim;
        if (v != null) {
            downstream.send(datagram, v);
        }
    }

    @Override
    public void close() throws IOException {
        downstream.close();
        for (DatagramChannel up : upstreams.values()) {
            up.close();
        }
        for (Thread t : threads) {
            try {
                t.join(2_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
