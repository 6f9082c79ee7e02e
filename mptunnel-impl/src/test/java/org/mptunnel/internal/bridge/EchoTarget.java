package org.mptunnel.internal.bridge;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.DatagramChannel;
import java.util.BitSet;

/**
 * A bridge's target on loopback: answers each datagram with the port it came from (the bridge's
 * upstream socket for that client) followed by the datagram, and records the sequence numbers
 * (a datagram's first int) it received.
 */
final class EchoTarget implements AutoCloseable {

    private final DatagramChannel channel;
    private final Thread thread;
    private final BitSet received = new BitSet();

    EchoTarget() throws IOException {
        channel = DatagramChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        thread = new Thread(this::run, "echo-target");
        thread.setDaemon(true);
        thread.start();
    }

    InetSocketAddress address() throws IOException {
        return (InetSocketAddress) channel.getLocalAddress();
    }

    synchronized BitSet received() {
        return (BitSet) received.clone();
    }

    private void run() {
        ByteBuffer in = ByteBuffer.allocate(2048);
        ByteBuffer out = ByteBuffer.allocate(2052);
        try {
            while (true) {
                in.clear();
                InetSocketAddress from = (InetSocketAddress) channel.receive(in);
                in.flip();
                if (in.remaining() >= 4) {
                    synchronized (this) {
                        received.set(in.getInt(0));
                    }
                }
                out.clear();
                out.putInt(from.getPort()).put(in).flip();
                channel.send(out, from);
            }
        } catch (AsynchronousCloseException e) {
            // closed by the test
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Override
    public void close() throws Exception {
        channel.close();
        thread.join(5_000);
    }
}
