package org.mptunnel.internal.io;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;

/** The JDK's {@link DatagramChannel}: one system call per datagram. */
public final class NioDatagramIo implements DatagramIo {

    public static final NioDatagramIo INSTANCE = new NioDatagramIo();

    private NioDatagramIo() {
    }

    /**
     * {@code receive()}, not {@code read()}, even on a connected channel: {@code read()} returns 0
     * both for "nothing there" and for an empty datagram, which would then go uncounted. On a
     * connected channel the source is always the same, so the JDK's one-entry cache of the sender's
     * address always hits and nothing is allocated.
     */
    @Override
    public void read(SelectionKey ready, Sink sink, int max) {
        DatagramChannel channel = (DatagramChannel) ready.channel();
        Object endpoint = ready.attachment();
        long now = System.nanoTime(); // once per batch: liveness needs no finer clock, and it costs ~20 ns
        for (int i = 0; i < max; i++) {
            ByteBuffer buffer = sink.nextBuffer();
            SocketAddress source;
            try {
                source = channel.receive(buffer);
            } catch (PortUnreachableException e) {
                sink.sendFailed(endpoint); // the kernel reports an earlier send's ICMP error here
                continue;
            } catch (IOException e) {
                return;
            }
            if (source == null) {
                return;
            }
            sink.datagram(endpoint, (InetSocketAddress) source, buffer, buffer.position(), now);
        }
    }

    @Override
    public int write(DatagramChannel channel, boolean connected, ByteBuffer datagram, InetSocketAddress remote)
            throws IOException {
        return connected ? channel.write(datagram) : channel.send(datagram, remote);
    }
}
