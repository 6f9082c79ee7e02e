package org.mptunnel.benchmarks.harness;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;

/**
 * The harness's UDP echo target, run as its own JVM: {@code EchoTarget [PORT]} binds 127.0.0.1,
 * prints {@code echo: listening on 127.0.0.1:PORT}, and sends every datagram back to its sender,
 * with the moment it arrived ({@link System#nanoTime()}) written at offset {@value #STAMP_OFFSET}
 * if it is long enough: on Linux that clock is the machine's monotonic clock, the same in every
 * process, so the load generator can split a round trip into its two one-way legs.
 *
 * <p>It exits when its standard input ends, so that it cannot outlive a harness that was killed
 * without the chance to stop it.
 */
public final class EchoTarget {

    private static final int SOCKET_BUFFER_BYTES = 4 << 20;
    /** Where the arrival time goes: after the load generator's sequence number and send time. */
    static final int STAMP_OFFSET = LoadGenerator.HEADER;

    private EchoTarget() {
    }

    /**
     * Runs the echo until stdin closes.
     *
     * @param args optional port (default 0: a free one)
     * @throws IOException if the port cannot be bound
     */
    public static void main(String[] args) throws IOException {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 0;
        DatagramChannel channel = DatagramChannel.open();
        channel.setOption(StandardSocketOptions.SO_RCVBUF, SOCKET_BUFFER_BYTES);
        channel.setOption(StandardSocketOptions.SO_SNDBUF, SOCKET_BUFFER_BYTES);
        channel.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        InetSocketAddress local = (InetSocketAddress) channel.getLocalAddress();
        System.out.println("echo: listening on " + local.getAddress().getHostAddress() + ":" + local.getPort());
        System.out.flush();

        Thread watchdog = new Thread(() -> {
            try {
                InputStream in = System.in;
                while (in.read() >= 0) {
                    // nothing is expected on stdin; only its end matters
                }
            } catch (IOException e) {
                // treated as the end
            }
            System.exit(0);
        }, "stdin-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();

        // A blocking channel and one direct buffer: one receive and one send system call per
        // datagram, no copy into the Java heap, nothing allocated once the sender's address is cached.
        ByteBuffer buffer = ByteBuffer.allocateDirect(65_536);
        while (true) {
            buffer.clear();
            SocketAddress from;
            try {
                from = channel.receive(buffer);
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                continue; // a transient error on one datagram must not end the echo
            }
            long arrived = System.nanoTime();
            buffer.flip();
            if (buffer.limit() >= STAMP_OFFSET + Long.BYTES) {
                buffer.putLong(STAMP_OFFSET, arrived);
            }
            try {
                channel.send(buffer, from);
            } catch (IOException e) {
                // e.g. ICMP port unreachable from an earlier send: an echo target just carries on
            }
        }
    }
}
