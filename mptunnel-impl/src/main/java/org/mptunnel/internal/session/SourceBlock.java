package org.mptunnel.internal.session;

import java.net.Inet4Address;
import java.net.InetAddress;

/**
 * The unit a per-source budget is charged to: one IPv4 address, or one IPv6 /64, since a single
 * IPv6 host usually holds a whole /64 and could otherwise take a budget per address. Shared by the
 * server's per-source budgets ({@link SessionAdmission}, {@link SessionsPerSource}) and mpbridge's.
 *
 * @param bits  the IPv4 address, or the first 64 bits of the IPv6 address
 * @param ipv6  which of the two
 */
public record SourceBlock(long bits, boolean ipv6) {

    /** @return the block {@code address} belongs to */
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

    /** @return a well-mixed hash under {@code seed}, for a fixed table of per-source slots */
    public long mix(long seed) {
        return mix(bits, ipv6, seed);
    }

    /**
     * {@code of(address).mix(seed)} without making the block, for paths taken per datagram (a
     * refusal, a bucket): allocates nothing for IPv4 (an {@code Inet4Address}'s hash code is its
     * address), a copy of the 16 bytes for IPv6.
     */
    public static long mix(InetAddress address, long seed) {
        if (address instanceof Inet4Address) {
            return mix(Integer.toUnsignedLong(address.hashCode()), false, seed);
        }
        byte[] b = address.getAddress();
        long prefix = 0;
        for (int i = 0; i < 8; i++) {
            prefix = prefix << 8 | (b[i] & 0xff);
        }
        return mix(prefix, true, seed);
    }

    private static long mix(long bits, boolean ipv6, long seed) {
        long h = (bits ^ (ipv6 ? 0x5DEECE66DL : 0)) * 0x9E3779B97F4A7C15L ^ seed;
        h ^= h >>> 29;
        h *= 0xBF58476D1CE4E5B9L;
        return h ^ h >>> 32;
    }
}
