package org.mptunnel;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * Takes a socket's received datagrams as they arrive, instead of {@code receive}: set one with
 * {@link TunnelConfig.Builder#receiveHandler}. It saves the hand-off to a receiving thread, its
 * wake-up and the copy into a packet, which is what a relay wants.
 *
 * <p>Rules, because the handler runs on the socket's I/O thread:
 * <ul>
 *   <li>it is called once per delivered datagram (duplicates are already dropped), from one thread
 *       at a time, never concurrently;</li>
 *   <li>{@code payload} is the engine's receive buffer: the datagram lies between its position and
 *       limit, and it is valid only during the call. Read it, write it to a channel, or copy it;
 *       do not keep it or hand it to another thread;</li>
 *   <li>it must not block: while it runs, the socket reads nothing and answers no keepalive;</li>
 *   <li>a {@link RuntimeException} it throws drops that datagram (counted as a queue drop in
 *       {@link TunnelStats}) and is logged at DEBUG; the socket goes on. An {@link Error} is
 *       fatal, as anywhere on the I/O thread: the socket closes itself and says why (see
 *       {@link TunnelConfig.Builder#failureHandler}).</li>
 * </ul>
 */
@FunctionalInterface
public interface DatagramHandler {

    /**
     * Called on the socket's I/O thread for each delivered datagram.
     *
     * @param payload the datagram, from its position to its limit; valid only during the call
     * @param from    the address {@code receive} would have reported: the peer address on a
     *                client, the session's address on a server
     */
    void onDatagram(ByteBuffer payload, InetSocketAddress from);
}
