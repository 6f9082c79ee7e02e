package org.mptunnel.internal.bridge;

import java.net.Inet4Address;
import java.net.InetAddress;

/**
 * The unit a per-source budget is charged to: one IPv4 address, or one IPv6 /64, since a single
 * IPv6 host usually holds a whole /64 and could otherwise take a budget per address.
 *
 * @param bits  the IPv4 address, or the first 64 bits of the IPv6 address
 * @param ipv6  which of the two
 */
public record SourceBlock(long bits, boolean ipv6) {

    public static SourceBlock of(InetAddress address) {
        byte[] b = address.getAddress();
        if (address instanceof Inet4Address) {
            return new SourceBlock(Integer.toUnsignedLong(
                    (b[0] & 0xff) << 24 | (b[1] & 0xff) << 16 | (b[2] & 0xff) << 8 | (b[3] & 0xff)), false);
        }
        long prefix = 0;
        for (int i = 0; i < 8; i++) {
            prefix = prefix << 8 | (b[i] & 0xff);
        }
        return new SourceBlock(prefix, true);
    }
}
