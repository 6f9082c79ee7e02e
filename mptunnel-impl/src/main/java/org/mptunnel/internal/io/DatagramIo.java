package org.mptunnel.internal.io;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;

/**
 * The I/O seam: how the engine reads datagrams from a ready channel and writes them to a path.
 * {@link NioDatagramIo} (one system call per datagram) is the default and only backend.
 *
 * <p>Shaped for a batched backend (Linux {@code recvmmsg}/{@code sendmmsg}, several datagrams per
 * system call): {@link #read} is given the whole read budget of a wake-up and reports each
 * datagram to the {@link Sink} with its source, not one call per datagram; the sink lends the
 * buffer each datagram is read into. A backend that fills several buffers in one call needs the
 * sink to lend them before handing any over, which the inbox's frame pool can do.
 */
public interface DatagramIo {

    /** Where {@link #read} puts what it reads, on the I/O thread. */
    interface Sink {

        /** @return a cleared buffer for the next datagram */
        ByteBuffer nextBuffer();

        /**
         * One datagram of {@code length} bytes at offset 0 of the buffer last lent.
         *
         * @param endpoint what the channel was registered with (a client's path; null on a server)
         * @param source   where it came from
         * @param nowNanos the clock, read once per read batch: liveness needs no finer one
         */
        void datagram(Object endpoint, InetSocketAddress source, ByteBuffer buffer, int length, long nowNanos);

        /** The network reported an earlier send from {@code endpoint} as undeliverable (ICMP). */
        void sendFailed(Object endpoint);
    }

    /**
     * I/O thread: reads what the ready channel has, up to {@code max} datagrams, into the sink.
     * Must not throw for anything a peer sent.
     */
    void read(SelectionKey ready, Sink sink, int max);

    /**
     * Any thread: sends one datagram from position 0 to its limit.
     *
     * @param connected whether {@code channel} is connected to {@code remote}
     * @return the bytes written; 0 if the socket buffer had no room
     * @throws IOException as the channel throws it
     */
    int write(DatagramChannel channel, boolean connected, ByteBuffer datagram, InetSocketAddress remote)
            throws IOException;
}
