package org.mptunnel.examples.server;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.NotYetConnectedException;

/**
 * Writes one datagram on a connected, non-blocking channel, empty ones included. The JDK's
 * {@code write} and {@code send} on a connected channel return 0 for an empty buffer without any
 * system call, so an empty datagram, which UDP allows, would never leave; it goes out unconnected
 * instead, the channel keeping its port. That costs three system calls, only for empty datagrams.
 */
final class ConnectedSend {

    private ConnectedSend() {
    }

    /**
     * @return whether the datagram was sent: false if the socket buffer was full (it is lost, as on
     *         a network)
     * @throws IOException e.g. the channel is closed, or an earlier datagram's ICMP error
     */
    static boolean write(DatagramChannel channel, ByteBuffer datagram) throws IOException {
        if (datagram.hasRemaining()) {
            try {
                return channel.write(datagram) > 0;
            } catch (NotYetConnectedException e) {
                return false; // another thread's empty datagram is going out unconnected just now
            }
        }
        // The reader may receive meanwhile, unconnected: it checks each reply's source.
        synchronized (channel) {
            SocketAddress remote = channel.getRemoteAddress();
            channel.disconnect();
            try {
                channel.send(datagram, remote);
            } finally {
                channel.connect(remote);
            }
        }
        return true; // an empty send returns 0 whether it went or not: counted as sent
    }
}
