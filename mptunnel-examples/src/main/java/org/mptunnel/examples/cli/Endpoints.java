package org.mptunnel.examples.cli;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Parsing and resolving of hosts and ports, with messages a user can act on. */
public final class Endpoints {

    private Endpoints() {
    }

    /**
     * @param text a decimal port
     * @param allowZero whether 0 ("pick a free port") is accepted
     * @return the port
     * @throws IllegalArgumentException with a user-facing message if it is not a port
     */
    public static int parsePort(String text, boolean allowZero) {
        int port;
        try {
            port = Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is not a port number");
        }
        int min = allowZero ? 0 : 1;
        if (port < min || port > 65_535) {
            throw new IllegalArgumentException("port " + port + " is out of range (" + min + "-65535)");
        }
        return port;
    }

    /** @return the address {@code host} names, or a {@link UserError} naming it */
    public static InetAddress resolve(String host) {
        try {
            return InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw new UserError("cannot resolve host '" + host + "'");
        }
    }

    /** @return the user error for a port that could not be bound, with the system's reason */
    public static UserError bindFailed(InetSocketAddress address, Exception cause) {
        String reason = cause.getMessage() == null ? "cannot bind" : cause.getMessage();
        int paren = reason.indexOf(" (");
        if (paren > 0) {
            reason = reason.substring(0, paren); // drop the JDK's "(Bind failed)" and the like
        }
        reason = reason.isEmpty() ? reason : Character.toLowerCase(reason.charAt(0)) + reason.substring(1);
        return new UserError("cannot listen on " + format(address) + ": " + reason);
    }

    /** @return {@code host:port}, with brackets around an IPv6 address */
    public static String format(InetSocketAddress address) {
        String host = address.isUnresolved() ? address.getHostString() : address.getAddress().getHostAddress();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + address.getPort();
    }

    /** Converts a port argument (0 allowed: pick a free one). */
    public static final class ListenPort implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            try {
                return parsePort(value, true);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /** Converts a port argument that names a remote port (1-65535). */
    public static final class RemotePort implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            try {
                return parsePort(value, false);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /**
     * Converts {@code HOST:PORT} (or {@code [IPV6]:PORT}) to an address; the host is resolved so
     * that a name that does not resolve is reported while parsing.
     */
    public static final class HostPort implements ITypeConverter<InetSocketAddress> {
        @Override
        public InetSocketAddress convert(String value) {
            int colon = value.lastIndexOf(':');
            if (colon <= 0 || colon == value.length() - 1) {
                throw new TypeConversionException("'" + value + "' is not HOST:PORT");
            }
            String host = value.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            int port;
            try {
                port = parsePort(value.substring(colon + 1), true);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
            try {
                return new InetSocketAddress(InetAddress.getByName(host), port);
            } catch (UnknownHostException e) {
                throw new TypeConversionException("cannot resolve host '" + host + "'");
            }
        }
    }

    /** Converts a local address for {@code --bind}. */
    public static final class Address implements ITypeConverter<InetAddress> {
        @Override
        public InetAddress convert(String value) {
            try {
                return InetAddress.getByName(value);
            } catch (UnknownHostException e) {
                throw new TypeConversionException("cannot resolve host '" + value + "'");
            }
        }
    }
}
