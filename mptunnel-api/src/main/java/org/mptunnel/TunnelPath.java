package org.mptunnel;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * One path of a client: where its copies go (a bridge, or the server itself) and, optionally,
 * where they leave from: a local address (and port), or a network interface. Each path has a
 * socket of its own, bound there and connected to the remote address. Immutable; two paths are
 * equal when all three parts are.
 *
 * <pre>{@code
 * TunnelPath.to(server)                                     // the configured local address, any port
 * TunnelPath.to(server).from(new InetSocketAddress(wifi, 0)) // Wi-Fi's address, any port
 * TunnelPath.to(bridge).from(new InetSocketAddress(lte, 5000)) // a fixed port, the same after a restart
 * TunnelPath.to(server).via("wwan0")                        // the interface's address when the socket opens
 * }</pre>
 *
 * <p>A path {@linkplain #via via an interface} binds to the interface's address of the remote
 * address's family (IPv4 or IPv6; for IPv6 a global one before a link-local one), found when the
 * path's socket opens. Java cannot bind a socket to a device ({@code SO_BINDTODEVICE}), so the
 * datagram leaves through whatever interface the routing table picks for that source address: on
 * Linux, give each uplink a routing table of its own and an {@code ip rule from ADDRESS}
 * (README.md, "Several uplinks").
 */
public final class TunnelPath {

    private final InetSocketAddress remote;
    private final InetSocketAddress local;
    private final String interfaceName;

    private TunnelPath(InetSocketAddress remote, InetSocketAddress local, String interfaceName) {
        this.remote = remote;
        this.local = local;
        this.interfaceName = interfaceName;
    }

    /**
     * A path to {@code remote} that leaves from the configured default local address
     * ({@link TunnelConfig.ClientBuilder#localAddress}), on a port the system picks.
     *
     * @param remote where the path's copies go; resolved when the path's socket opens
     * @return the path
     * @throws IllegalArgumentException if the address has no port
     */
    public static TunnelPath to(InetSocketAddress remote) {
        Objects.requireNonNull(remote, "remote");
        if (remote.getPort() == 0) {
            throw new IllegalArgumentException("path " + remote + " has no port");
        }
        return new TunnelPath(remote, null, null);
    }

    /**
     * @param localAddress the local address the path's socket binds to, and its port (0: any); a
     *                     fixed port lets a bridge that keeps to one peer address (such as
     *                     {@code socat udp-listen}) go on working after the client restarts
     * @return this path leaving from {@code localAddress} instead
     * @throws IllegalArgumentException if the address is unresolved, or of another family than
     *                                  a resolved remote address
     */
    public TunnelPath from(InetSocketAddress localAddress) {
        Objects.requireNonNull(localAddress, "localAddress");
        if (localAddress.isUnresolved()) {
            throw new IllegalArgumentException("local address " + localAddress + " is not resolved");
        }
        InetAddress address = localAddress.getAddress();
        if (!remote.isUnresolved() && !address.isAnyLocalAddress()
                && (address instanceof Inet6Address) != (remote.getAddress() instanceof Inet6Address)) {
            throw new IllegalArgumentException("local address " + address.getHostAddress() + " and path " + remote
                    + " are not of the same family (IPv4, IPv6)");
        }
        return new TunnelPath(remote, localAddress, null);
    }

    /**
     * @param interfaceName a network interface, as {@link java.net.NetworkInterface#getName()}
     *                      names it ({@code eth0}, {@code wlan0})
     * @return this path leaving from that interface's address instead, on a port the system picks
     */
    public TunnelPath via(String interfaceName) {
        Objects.requireNonNull(interfaceName, "interfaceName");
        if (interfaceName.isBlank()) {
            throw new IllegalArgumentException("interface name is empty");
        }
        return new TunnelPath(remote, null, interfaceName);
    }

    /** @return where the path's copies go */
    public InetSocketAddress remote() {
        return remote;
    }

    /** @return the local address and port the path binds to, or {@code null} if it has none of its own */
    public InetSocketAddress localAddress() {
        return local;
    }

    /** @return the interface whose address the path binds to, or {@code null} */
    public String interfaceName() {
        return interfaceName;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TunnelPath && remote.equals(((TunnelPath) o).remote)
                && Objects.equals(local, ((TunnelPath) o).local)
                && Objects.equals(interfaceName, ((TunnelPath) o).interfaceName);
    }

    @Override
    public int hashCode() {
        return Objects.hash(remote, local, interfaceName);
    }

    /** @return {@code remote}, then {@code from local} or {@code via interface} if set */
    @Override
    public String toString() {
        return remote + (local != null ? " from " + local : "") + (interfaceName != null ? " via " + interfaceName : "");
    }
}
