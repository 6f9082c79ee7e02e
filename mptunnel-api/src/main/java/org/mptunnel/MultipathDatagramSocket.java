package org.mptunnel;

import java.io.IOException;
import java.net.DatagramSocket;
import java.util.List;
import java.util.ServiceLoader;
import org.mptunnel.spi.SocketProvider;

/**
 * A {@link DatagramSocket} whose every datagram travels over several network paths at once; the
 * far side keeps the first copy that arrives and drops the rest. Three paths that each lose 20 %
 * independently lose about 0.8 % together.
 *
 * <p>Code written against {@code DatagramSocket} keeps working. A client:
 *
 * <pre>{@code
 * InetSocketAddress server = new InetSocketAddress("vpn.example", 2000);
 * TunnelConfig config = TunnelConfig.client()
 *         .path(server)                                        // direct
 *         .path(new InetSocketAddress("bridge.example", 4000)) // through a UDP bridge
 *         .peerAddress(server)
 *         .build();
 * try (DatagramSocket socket = MultipathDatagramSocket.open(config)) {
 *     socket.send(new DatagramPacket(request, request.length, server));
 *     DatagramPacket reply = new DatagramPacket(new byte[2048], 2048);
 *     socket.receive(reply);
 * }
 * }</pre>
 *
 * <p>A server, echoing every datagram to the session it came from:
 *
 * <pre>{@code
 * try (MultipathDatagramSocket socket = MultipathDatagramSocket.open(TunnelConfig.server(2000).build())) {
 *     DatagramPacket packet = new DatagramPacket(new byte[65_536], 65_536);
 *     while (true) {
 *         socket.receive(packet); // packet.getSocketAddress() names the client's session
 *         socket.send(packet);    // to every live path of that session
 *     }
 * }
 * }</pre>
 *
 * <p>A library that takes a {@code DatagramSocket} or a factory of them gets one from
 * {@link #open}; on a client, set {@link TunnelConfig.ClientBuilder#peerAddress} to the address
 * the library is told to talk to.
 *
 * <p>What differs from a plain socket:
 * <ul>
 *   <li><b>Client</b>: open and connected from the start to {@link TunnelConfig#peerAddress()}, which
 *       received datagrams carry; {@code connect} accepts only that address and {@code disconnect}
 *       leaves the socket connected. Each path has its own local port (and may have its own local
 *       address: {@link TunnelPath}); {@code getLocalPort()} reports the first path's (the first it
 *       opened with, also once that path is removed). Paths can
 *       be added and removed while the socket runs ({@link #addPath}, {@link #removePath}).</li>
 *   <li><b>Server</b>: bound, never connected. A received datagram's address names its
 *       <em>session</em>, not a network source: an IPv6 address in the discard-only prefix
 *       {@code 100::/64} (RFC 6666) whose low 64 bits are the session id, with port 9. It stays the
 *       same for the whole session while the session's paths come and go; {@code send} to it fans
 *       out over the session's live paths. A send to any other address throws
 *       {@link IllegalArgumentException}; a send to an expired session is dropped and counted.</li>
 *   <li>{@link #getChannel()} returns {@code null}; multicast is not supported. Socket options
 *       (buffer sizes, traffic class, broadcast, reuse-address) apply to every underlying channel.</li>
 *   <li>A datagram longer than {@link TunnelConfig#maxPayloadSize()} is refused with
 *       {@link DatagramTooLargeException}; it is never split.</li>
 *   <li>A datagram sent while no path is up is dropped and counted, as the network would lose it.</li>
 *   <li>Interrupting a thread blocked in {@code receive} ends the call with
 *       {@link java.io.InterruptedIOException} (interrupt status kept); the socket stays open.</li>
 *   <li>With a {@link TunnelConfig.Builder#receiveHandler receive handler}, datagrams go to the
 *       handler on the socket's I/O thread and {@code receive} throws
 *       {@link java.net.SocketException} saying so.</li>
 *   <li>If the socket's I/O thread fails (an {@link Error} such as {@link OutOfMemoryError}, or a
 *       bug; a bad datagram is only dropped and counted), the error is logged and the socket
 *       closes itself: {@code isClosed()} is true and {@code send} and {@code receive} (also one
 *       already waiting) throw {@link java.net.SocketException} with the error as its cause; see
 *       {@link TunnelConfig.Builder#failureHandler} to be told.</li>
 * </ul>
 *
 * <p><b>One client socket is one session</b>: its own session id, I/O thread, a socket per path and,
 * with a key, a handshake. An application that carries many conversations (flows) should not open a
 * socket per conversation: it sends them all through one socket, each payload prefixed with a
 * conversation id of its choosing, and routes each reply by the id the far end echoes. That is what
 * mpclient does for every local application (docs/PROTOCOL.md, "Tools: flows"), with mpserver as
 * the far end; {@code send} from several threads at once is safe, and a
 * {@link TunnelConfig.Builder#receiveHandler receive handler} routes replies without a copy.
 *
 * <p>Thread safety is that of {@code DatagramSocket}: {@code send} may be called from many threads
 * at once; concurrent {@code receive} calls are served one at a time.
 */
public abstract class MultipathDatagramSocket extends DatagramSocket {

    /** For the engine's subclass. The parent socket is given an inert implementation: no descriptor. */
    protected MultipathDatagramSocket() {
        super(new InertDatagramSocketImpl());
    }

    /**
     * Opens a socket with the engine found on the class path or module path.
     *
     * @param config the socket's configuration
     * @return an open socket: a client with its path sockets bound, or a bound server
     * @throws IOException if a path does not resolve or a port cannot be bound
     * @throws IllegalStateException if no engine ({@code mptunnel-impl}) is present
     */
    public static MultipathDatagramSocket open(TunnelConfig config) throws IOException {
        SocketProvider provider = ServiceLoader.load(SocketProvider.class, MultipathDatagramSocket.class.getClassLoader())
                .findFirst()
                .orElseThrow(() -> new IllegalStateException(
                        "no mptunnel engine found: add org.mptunnel:mptunnel-impl to the class path or module path"));
        return provider.open(config);
    }

    /**
     * Returns the configuration this socket was opened with.
     *
     * @return the configuration
     */
    public abstract TunnelConfig config();

    /**
     * Returns a client's paths now: those it was opened with, as changed by {@link #addPath} and
     * {@link #removePath}.
     *
     * @return the paths in the order they were added; empty on a server, which learns its paths
     */
    public abstract List<TunnelPath> paths();

    /**
     * Adds a path to a client while it runs. Its socket is bound and connected before this
     * returns, and from then on datagrams go on it too; what the other paths carry is not
     * disturbed. Socket options set on this socket before (buffer sizes, traffic class) are not
     * applied to the new path's socket: set them again. Thread-safe; may be called from a receive
     * handler.
     *
     * @param path the path; bound to its own local address or interface, else to
     *             {@link TunnelConfig#bindAddress()}
     * @throws IOException if the path does not resolve, its interface has no address of the
     *                     remote's family, its local address cannot be bound, or the socket is closed
     * @throws IllegalArgumentException if the socket has the path already, or has
     *                                  {@value TunnelConfig#MAX_PATHS}
     * @throws UnsupportedOperationException on a server
     */
    public abstract void addPath(TunnelPath path) throws IOException;

    /**
     * Removes a path from a client while it runs: no datagram goes on it once this returns, and
     * its socket is closed; what the other paths carry is not disturbed. Removing the last path
     * is allowed: datagrams sent meanwhile are dropped and counted, as with every path down.
     * Thread-safe; may be called from a receive handler.
     *
     * @param path a path equal to one of {@link #paths()}
     * @return whether the socket had the path
     * @throws UnsupportedOperationException on a server
     */
    public abstract boolean removePath(TunnelPath path);

    /**
     * Takes a snapshot of the socket's counters and of each session's paths. It may be called from
     * any thread, at any time, also after close.
     *
     * @return an immutable snapshot
     */
    public abstract TunnelStats stats();
}
