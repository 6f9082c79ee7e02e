package org.mptunnel.internal.session;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/**
 * The address a server application sees for a session: {@code [100::<session id>]:9}. The prefix
 * {@code 100::/64} is discard-only (RFC 6666) and port 9 is the discard service, so a session
 * address that leaks into a plain socket goes nowhere.
 */
public final class SessionAddress {

    public static final int PORT = 9;

    private SessionAddress() {
    }

    /** @return the address naming this session; allocated once per session */
    public static InetSocketAddress of(long sessionId) {
        byte[] bytes = new byte[16];
        bytes[0] = 0x01;
        for (int i = 0; i < 8; i++) {
            bytes[8 + i] = (byte) (sessionId >>> (56 - 8 * i));
        }
        try {
            return new InetSocketAddress(InetAddress.getByAddress(bytes), PORT);
        } catch (UnknownHostException e) {
            throw new AssertionError("16 bytes always make an address", e);
        }
    }

    /** @return whether the address has the session prefix (it may name an expired session) */
    public static boolean isSessionAddress(InetAddress address) {
        if (!(address instanceof Inet6Address)) {
            return false;
        }
        byte[] bytes = address.getAddress();
        if (bytes[0] != 0x01) {
            return false;
        }
        for (int i = 1; i < 8; i++) {
            if (bytes[i] != 0) {
                return false;
            }
        }
        return true;
    }
}
