package org.mptunnel.examples.client;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.mptunnel.TunnelPath;
import org.mptunnel.examples.cli.Endpoints;
import org.mptunnel.examples.cli.UserError;

/**
 * mpclient's configuration: one path per line as {@code HOST PORT [LOCAL]}, the C mptunnel's
 * {@code HOST PORT} (a bridge, or the server itself) with an optional third column saying where
 * the path leaves from:
 * <ul>
 *   <li>{@code 192.0.2.10} or {@code 192.0.2.10:5000}: a local IPv4 address, and a fixed local
 *       port if given (0 or none: any);</li>
 *   <li>{@code 2001:db8::10} (no port) or {@code [2001:db8::10]:5000}: a local IPv6 address, in
 *       brackets when a port follows;</li>
 *   <li>{@code %wlan0}: a network interface, whose address is taken when the path opens.</li>
 * </ul>
 * The local address must be an IP address (no host name) of the remote's family. Blank lines and
 * {@code #} comments, whole-line or trailing, are ignored. Every mistake is reported as
 * {@code FILE:LINE: what}.
 */
public final class ClientConfigFile {

    private ClientConfigFile() {
    }

    /**
     * Reads and resolves the file's paths.
     *
     * @param file the configuration file
     * @return the paths, in the file's order, resolved
     * @throws UserError if the file cannot be read, a line is not {@code HOST PORT [LOCAL]}, a
     *                   port is out of range, a host does not resolve, a local address is not an
     *                   IP address of the remote's family, a path repeats, or there is no path
     */
    public static List<TunnelPath> load(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new UserError("cannot read config file " + file + ": no such file");
        } catch (AccessDeniedException e) {
            throw new UserError("cannot read config file " + file + ": permission denied");
        } catch (IOException e) {
            throw new UserError("cannot read config file " + file + ": " + e.getMessage());
        }
        return parse(file.toString(), lines);
    }

    /** Parses lines already read; {@code name} is the file name used in messages. */
    static List<TunnelPath> parse(String name, List<String> lines) {
        List<TunnelPath> paths = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String where = name + ":" + (i + 1) + ": ";
            String line = lines.get(i);
            int hash = line.indexOf('#');
            if (hash >= 0) {
                line = line.substring(0, hash);
            }
            line = line.strip();
            if (line.isEmpty()) {
                continue;
            }
            String[] fields = line.split("\\s+");
            if (fields.length != 2 && fields.length != 3) {
                throw new UserError(where + "expected 'HOST PORT [LOCAL_ADDRESS[:PORT] | %INTERFACE]', got '" + line + "'");
            }
            TunnelPath path;
            try {
                InetSocketAddress remote = new InetSocketAddress(resolve(fields[0]), Endpoints.parsePort(fields[1], false));
                path = TunnelPath.to(remote);
                if (fields.length == 3) {
                    path = withLocal(path, fields[0], fields[2]);
                }
            } catch (IllegalArgumentException e) {
                throw new UserError(where + e.getMessage());
            }
            if (paths.contains(path)) {
                throw new UserError(where + "path " + describe(path) + " is given twice");
            }
            paths.add(path);
        }
        if (paths.isEmpty()) {
            throw new UserError(name + ": no path: add one 'HOST PORT' line per bridge or server");
        }
        return paths;
    }

    private static InetAddress resolve(String host) {
        try {
            return InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("cannot resolve host '" + host + "'");
        }
    }

    /** The third column: {@code %INTERFACE}, {@code ADDRESS}, {@code IPV4:PORT} or {@code [IPV6]:PORT}. */
    private static TunnelPath withLocal(TunnelPath path, String remoteHost, String local) {
        if (local.startsWith("%")) {
            String name = local.substring(1);
            if (!name.matches("[A-Za-z0-9_.@:-]{1,15}")) {
                throw new IllegalArgumentException("'" + local + "' is not an interface name (%eth0, %wlan0)");
            }
            return path.via(name);
        }
        String host = local;
        int port = 0;
        if (local.startsWith("[")) {
            int close = local.indexOf(']');
            if (close < 0 || close != local.length() - 1 && local.charAt(close + 1) != ':') {
                throw new IllegalArgumentException("'" + local + "' is not a local address ([IPV6]:PORT)");
            }
            host = local.substring(1, close);
            port = close == local.length() - 1 ? 0 : Endpoints.parsePort(local.substring(close + 2), true);
        } else if (local.indexOf(':') == local.lastIndexOf(':') && local.indexOf(':') >= 0) {
            host = local.substring(0, local.indexOf(':')); // IPv4:PORT; an IPv6 address has two colons or more
            port = Endpoints.parsePort(local.substring(local.indexOf(':') + 1), true);
        }
        InetAddress address = literal(host, local);
        InetAddress remote = path.remote().getAddress();
        if ((address instanceof Inet6Address) != (remote instanceof Inet6Address)) {
            String resolved = remoteHost.equals(remote.getHostAddress()) || remoteHost.indexOf(':') >= 0
                    || remoteHost.matches("[0-9.]+") ? "" : " (" + remote.getHostAddress() + ")";
            throw new IllegalArgumentException("local address " + host + " is " + family(address) + " but "
                    + remoteHost + resolved + " is " + family(remote));
        }
        return path.from(new InetSocketAddress(address, port));
    }

    /** An IP address written out: never looked up, so a host name here is a mistake, not a DNS query. */
    private static InetAddress literal(String host, String column) {
        // Checked here in full: InetAddress would take a malformed one (999.1.1.1) for a host name and look it up.
        boolean ipv4 = host.matches("(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])){3}");
        boolean ipv6 = host.indexOf(':') >= 0 && host.matches("[0-9A-Fa-f:.]+(%[A-Za-z0-9_.-]+)?");
        if (ipv4 || ipv6) {
            try {
                InetAddress address = InetAddress.getByName(host);
                if (ipv4 == address instanceof Inet4Address) {
                    return address;
                }
            } catch (UnknownHostException e) {
                // not a valid literal after all: said below
            }
        }
        throw new IllegalArgumentException("'" + column + "' is not a local IP address (192.0.2.10, 192.0.2.10:5000, "
                + "2001:db8::10, [2001:db8::10]:5000) or %INTERFACE");
    }

    private static String family(InetAddress address) {
        return address instanceof Inet6Address ? "IPv6" : "IPv4";
    }

    /** @return the path as the file would say it: {@code HOST:PORT}, then its local column if any */
    public static String describe(TunnelPath path) {
        String remote = Endpoints.format(path.remote());
        if (path.interfaceName() != null) {
            return remote + " %" + path.interfaceName();
        }
        return path.localAddress() == null ? remote : remote + " " + Endpoints.format(path.localAddress());
    }
}
