package org.mptunnel.examples.server;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.net.ProtocolFamily;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;

/**
 * mpserver's sockets towards targets and SOCKS destinations: connected, non-blocking, and able to
 * send empty datagrams. The JDK's {@code write} and {@code send} on a connected channel return 0
 * for an empty buffer without any system call, and reconnecting would discard the replies already
 * queued; so an empty datagram, which UDP allows, goes out from a short-lived unconnected socket
 * sharing the port ({@code SO_REUSEPORT}, which needs the same user). The connected socket keeps
 * receiving the replies: the kernel prefers it, as it matches their source exactly. Those sockets
 * are bounded by an {@link EmptyDatagramBudget}.
 *
 * <p>{@code SO_REUSEPORT} is set only after the ephemeral port is bound: set before, Linux may give
 * a new socket a port another such socket already holds, and two sockets connected from the same
 * port to the same target share one address, so the target's replies to the older one go to the
 * newer (with thousands of flows towards one DNS server, about 1 in 130 queries was lost so).
 */
final class ConnectedSend {

    private ConnectedSend() {
    }

    /** @return a non-blocking channel connected to {@code remote} from an ephemeral port */
    static DatagramChannel open(InetSocketAddress remote, int bufferBytes) throws IOException {
        DatagramChannel channel = DatagramChannel.open(family(remote));
        try {
            channel.setOption(StandardSocketOptions.SO_RCVBUF, bufferBytes);
            channel.setOption(StandardSocketOptions.SO_SNDBUF, bufferBytes);
            channel.bind(null);
            if (channel.supportedOptions().contains(StandardSocketOptions.SO_REUSEPORT)) {
                channel.setOption(StandardSocketOptions.SO_REUSEPORT, true);
            }
            channel.connect(remote);
            channel.configureBlocking(false);
            return channel;
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    private static ProtocolFamily family(InetSocketAddress remote) {
        return remote.getAddress() instanceof Inet4Address ? StandardProtocolFamily.INET : StandardProtocolFamily.INET6;
    }

    /**
     * Writes one datagram on a channel from {@link #open}.
     *
     * @param empties what an empty datagram's socket may cost
     * @return whether the datagram was sent: false if the socket buffer was full, or it is empty and
     *         over {@code empties}' budget (it is lost, as on a network)
     * @throws IOException e.g. the channel is closed, an earlier datagram's ICMP error, or no
     *                     descriptor left for an empty datagram's socket
     */
    static boolean write(DatagramChannel channel, ByteBuffer datagram, EmptyDatagramBudget empties)
            throws IOException {
        if (datagram.hasRemaining()) {
            return channel.write(datagram) > 0;
        }
        if (!empties.take()) {
            return false;
        }
        InetSocketAddress remote = (InetSocketAddress) channel.getRemoteAddress();
        if (remote == null || !channel.getOption(StandardSocketOptions.SO_REUSEPORT)) {
            throw new IOException("cannot send an empty datagram here");
        }
        try (DatagramChannel sibling = DatagramChannel.open(family(remote))) {
            sibling.setOption(StandardSocketOptions.SO_REUSEPORT, true);
            sibling.bind(channel.getLocalAddress());
            sibling.send(datagram, remote);
        }
        return true; // an empty send returns 0 whether it went or not: counted as sent
    }
}
