package org.mptunnel.examples.it;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A UDP echo on loopback that appends {@code |PORT} with the sender's port to each reply, so that a
 * test can tell which socket of the mpserver a datagram came from.
 */
final class TestEcho implements AutoCloseable {

    private final DatagramSocket socket;
    private final Thread thread;
    private final AtomicLong received = new AtomicLong();

    TestEcho() throws IOException {
        socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        socket.setReceiveBufferSize(1 << 20);
        thread = new Thread(this::run, "test-echo");
        thread.setDaemon(true);
        thread.start();
    }

    int port() {
        return socket.getLocalPort();
    }

    /** @return datagrams received so far */
    long received() {
        return received.get();
    }

    private void run() {
        byte[] buffer = new byte[2048];
        DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
        while (!socket.isClosed()) {
            packet.setData(buffer);
            try {
                socket.receive(packet);
                received.incrementAndGet();
                byte[] suffix = ("|" + packet.getPort()).getBytes(StandardCharsets.US_ASCII);
                byte[] reply = new byte[packet.getLength() + suffix.length];
                System.arraycopy(buffer, 0, reply, 0, packet.getLength());
                System.arraycopy(suffix, 0, reply, packet.getLength(), suffix.length);
                socket.send(new DatagramPacket(reply, reply.length, packet.getSocketAddress()));
            } catch (IOException e) {
                return;
            }
        }
    }

    @Override
    public void close() {
        socket.close();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
