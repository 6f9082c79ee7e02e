package org.mptunnel.internal.engine;

import java.io.IOException;
import java.net.BindException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.net.UnknownHostException;
import java.nio.channels.DatagramChannel;
import java.util.Enumeration;
import org.mptunnel.TunnelPath;

/**
 * Opens a client path's channel: the remote resolved, bound where the {@link TunnelPath} says
 * (its local address and port, its interface's address, or the configuration's default), and
 * connected. No SO_REUSEADDR: a UDP port is free again as soon as its socket closes (UDP has no
 * TIME_WAIT), so a restarted client binds its fixed ports at once, and two live sockets on one
 * port are refused, as they should be.
 */
final class PathChannels {

    private PathChannels() {
    }

    /** A path's channel, bound and connected, and the remote address it is connected to. */
    record Opened(DatagramChannel channel, InetSocketAddress remote) {
    }

    /**
     * @param defaultLocal where a path that names no local address or interface binds (the
     *                     wildcard address: the system chooses)
     */
    static Opened open(TunnelPath path, InetAddress defaultLocal) throws IOException {
        InetSocketAddress remote = resolve(path.remote(), "path");
        boolean ipv4 = remote.getAddress() instanceof Inet4Address;
        InetSocketAddress local = localFor(path, defaultLocal, ipv4);
        DatagramChannel channel = Engine.openChannel(ipv4 ? StandardProtocolFamily.INET : StandardProtocolFamily.INET6);
        try {
            try {
                channel.bind(local);
            } catch (BindException e) {
                throw new BindException("cannot bind path " + path + " to " + local + ": " + e.getMessage());
            }
            channel.connect(remote);
            return new Opened(channel, remote);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    static InetSocketAddress resolve(InetSocketAddress address, String what) throws UnknownHostException {
        InetSocketAddress resolved = address.isUnresolved()
                ? new InetSocketAddress(address.getHostString(), address.getPort()) : address;
        if (resolved.isUnresolved()) {
            throw new UnknownHostException("cannot resolve " + what + " " + address.getHostString() + ":" + address.getPort());
        }
        return resolved;
    }

    /** @return the address to bind, or null for the wildcard address and any port */
    private static InetSocketAddress localFor(TunnelPath path, InetAddress defaultLocal, boolean ipv4)
            throws SocketException {
        if (path.localAddress() != null) {
            InetSocketAddress local = path.localAddress();
            if (!local.getAddress().isAnyLocalAddress() && (local.getAddress() instanceof Inet4Address) != ipv4) {
                throw new SocketException("path " + path + ": the local address is not of the remote's family");
            }
            return local.getAddress().isAnyLocalAddress() ? new InetSocketAddress(local.getPort()) : local;
        }
        if (path.interfaceName() != null) {
            return new InetSocketAddress(interfaceAddress(path.interfaceName(), ipv4), 0);
        }
        return defaultLocal.isAnyLocalAddress() ? null : new InetSocketAddress(defaultLocal, 0);
    }

    /**
     * Whether the host can still send from {@code address}: whether a socket can be bound to it
     * now. A bind says what an interface listing would not: 127.0.0.2 is on no interface's list
     * but is loopback's all the same.
     *
     * @return false only if binding it was refused (EADDRNOTAVAIL); true if it cannot be told
     */
    static boolean isLocal(InetAddress address) {
        if (address.isAnyLocalAddress()) {
            return true;
        }
        try (DatagramChannel probe = DatagramChannel.open(address instanceof Inet4Address
                ? StandardProtocolFamily.INET : StandardProtocolFamily.INET6)) {
            probe.bind(new InetSocketAddress(address, 0));
            return true;
        } catch (BindException e) {
            return false;
        } catch (IOException e) {
            return true; // out of descriptors, say: not a reason to reopen
        }
    }

    /**
     * The interface's address of the family asked for: for IPv6 a global (or unique local) one if
     * it has one, since a link-local source reaches only its own link.
     */
    private static InetAddress interfaceAddress(String name, boolean ipv4) throws SocketException {
        NetworkInterface nif = NetworkInterface.getByName(name);
        if (nif == null) {
            throw new SocketException("no network interface " + name);
        }
        InetAddress linkLocal = null;
        for (Enumeration<InetAddress> e = nif.getInetAddresses(); e.hasMoreElements(); ) {
            InetAddress address = e.nextElement();
            if (ipv4 ? address instanceof Inet4Address : address instanceof Inet6Address) {
                if (!address.isLinkLocalAddress()) {
                    return address;
                }
                linkLocal = address;
            }
        }
        if (linkLocal != null) {
            return linkLocal;
        }
        throw new SocketException("network interface " + name + " has no " + (ipv4 ? "IPv4" : "IPv6") + " address");
    }
}
