package org.mptunnel.examples.socks;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/**
 * One {@code --allow} rule: a network in CIDR notation and a port range, e.g. {@code 10.0.0.0/8:53},
 * {@code 192.0.2.7}, {@code [2001:db8::]/32:1000-2000} or {@code ::1}. Only IP literals are taken,
 * so that what a rule permits never depends on DNS.
 */
public final class AllowRule {

    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Pattern DIGITS = Pattern.compile("\\d{1,5}");

    private final byte[] network;
    private final int prefix;
    private final int lowPort;
    private final int highPort;
    private final String text;

    private AllowRule(byte[] network, int prefix, int lowPort, int highPort) {
        this.network = network;
        this.prefix = prefix;
        this.lowPort = lowPort;
        this.highPort = highPort;
        for (int bit = prefix; bit < network.length * 8; bit++) {
            network[bit / 8] &= (byte) ~(0x80 >>> (bit % 8)); // host bits: ignored, as routers do
        }
        this.text = format();
    }

    /** @return a rule that allows exactly {@code target} */
    public static AllowRule exactly(InetSocketAddress target) {
        byte[] address = target.getAddress().getAddress();
        return new AllowRule(address, address.length * 8, target.getPort(), target.getPort());
    }

    /**
     * Parses {@code CIDR[:PORT-RANGE]}.
     *
     * @throws IllegalArgumentException with a message for the user
     */
    public static AllowRule parse(String value) {
        String s = value.trim();
        String addressText;
        String rest;
        if (s.startsWith("[")) {
            int close = s.indexOf(']');
            if (close < 0) {
                throw bad(value, "no closing ']'");
            }
            addressText = s.substring(1, close);
            rest = s.substring(close + 1);
        } else {
            int slash = s.indexOf('/');
            if (slash >= 0) {
                addressText = s.substring(0, slash);
                rest = s.substring(slash);
            } else if (s.indexOf(':') == s.lastIndexOf(':')) { // IPv4, maybe with a port
                int colon = s.indexOf(':');
                addressText = colon < 0 ? s : s.substring(0, colon);
                rest = colon < 0 ? "" : s.substring(colon);
            } else { // a bare IPv6 address: ports need brackets or a prefix
                addressText = s;
                rest = "";
            }
        }
        byte[] address = literal(value, addressText);
        int prefix = address.length * 8;
        if (rest.startsWith("/")) {
            int colon = rest.indexOf(':');
            String prefixText = colon < 0 ? rest.substring(1) : rest.substring(1, colon);
            if (!DIGITS.matcher(prefixText).matches() || Integer.parseInt(prefixText) > prefix) {
                throw bad(value, "prefix length must be 0-" + prefix);
            }
            prefix = Integer.parseInt(prefixText);
            rest = colon < 0 ? "" : rest.substring(colon);
        }
        int low = 1;
        int high = 65_535;
        if (rest.startsWith(":")) {
            String ports = rest.substring(1);
            int dash = ports.indexOf('-');
            low = port(value, dash < 0 ? ports : ports.substring(0, dash));
            high = dash < 0 ? low : port(value, ports.substring(dash + 1));
            if (low > high) {
                throw bad(value, "port range " + ports + " is empty");
            }
        } else if (!rest.isEmpty()) {
            throw bad(value, "unexpected '" + rest + "'");
        }
        return new AllowRule(address, prefix, low, high);
    }

    private static byte[] literal(String value, String text) {
        if (!IPV4.matcher(text).matches() && text.indexOf(':') < 0) {
            throw bad(value, "'" + text + "' is not an IP address");
        }
        try {
            return InetAddress.getByName(text).getAddress(); // a literal: no lookup
        } catch (UnknownHostException e) {
            throw bad(value, "'" + text + "' is not an IP address");
        }
    }

    private static int port(String value, String text) {
        if (!DIGITS.matcher(text).matches()) {
            throw bad(value, "'" + text + "' is not a port");
        }
        int port = Integer.parseInt(text);
        if (port < 1 || port > 65_535) {
            throw bad(value, "port " + port + " is out of range (1-65535)");
        }
        return port;
    }

    private static IllegalArgumentException bad(String value, String why) {
        return new IllegalArgumentException("'" + value + "' is not CIDR[:PORT-RANGE]: " + why);
    }

    /** @return whether this rule allows {@code address} (as {@link InetAddress#getAddress()}) and {@code port} */
    public boolean allows(byte[] address, int port) {
        if (address.length != network.length || port < lowPort || port > highPort) {
            return false;
        }
        int whole = prefix / 8;
        for (int i = 0; i < whole; i++) {
            if (address[i] != network[i]) {
                return false;
            }
        }
        int bits = prefix % 8;
        if (bits == 0) {
            return true;
        }
        int mask = (0xFF << (8 - bits)) & 0xFF;
        return (address[whole] & mask) == (network[whole] & mask);
    }

    private String format() {
        String address;
        try {
            address = InetAddress.getByAddress(network).getHostAddress();
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // the length is 4 or 16
        }
        boolean v4 = network.length == 4;
        String ports = lowPort == 1 && highPort == 65_535 ? "" : ":" + lowPort + (lowPort == highPort ? "" : "-" + highPort);
        String cidr = address + (prefix == network.length * 8 ? "" : "/" + prefix);
        return (!v4 && !ports.isEmpty() && prefix == 128 ? "[" + address + "]" : cidr) + ports;
    }

    @Override
    public String toString() {
        return text;
    }
}
