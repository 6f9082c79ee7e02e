package org.mptunnel.examples.socks;

import java.nio.ByteBuffer;

import java.net.Inet4Address;
import java.net.InetSocketAddress;

/**
 * The SOCKS5 UDP request header (RFC 1928 §7) and the mark that tells mpserver a tunnel session
 * carries SOCKS traffic (docs/PROTOCOL.md, "Tools: SOCKS mode payloads").
 *
 * <p>Every payload an mpclient sends on a SOCKS session is {@link #MARK} followed by the
 * application's datagram unchanged: {@code RSV(2) FRAG(1) ATYP(1) DST.ADDR DST.PORT(2) DATA}.
 * mpserver's replies on such a session carry no mark, only that header with the reply's source.
 */
public final class SocksUdp {

    /** The first bytes of every payload of a SOCKS session; the last is the layout's version. */
    private static final byte[] MARK = {(byte) 0xFF, 'S', '5', 1};
    /** Length of {@link #MARK}. */
    public static final int MARK_LENGTH = MARK.length;
    /** ATYP of an IPv4 address. */
    public static final int ATYP_IPV4 = 1;
    /** ATYP of a domain name. */
    public static final int ATYP_DOMAIN = 3;
    /** ATYP of an IPv6 address. */
    public static final int ATYP_IPV6 = 4;
    /** The longest header with an IP address: 4 + 16 + 2 bytes. */
    public static final int MAX_IP_HEADER = 22;
    /** {@link #headerLength}: the header is not a SOCKS UDP header. */
    public static final int MALFORMED = -1;
    /** {@link #headerLength}: FRAG is not 0; fragments are not reassembled. */
    public static final int FRAGMENTED = -2;

    private SocksUdp() {
    }

    /** Writes the mark at {@code offset}; the caller leaves {@link #MARK_LENGTH} bytes for it. */
    public static void writeMark(byte[] buffer, int offset) {
        System.arraycopy(MARK, 0, buffer, offset, MARK_LENGTH);
    }

    /** @return whether the {@code length} bytes at {@code offset} start with the mark */
    public static boolean hasMark(byte[] buffer, int offset, int length) {
        return length >= MARK_LENGTH && buffer[offset] == MARK[0] && buffer[offset + 1] == MARK[1]
                && buffer[offset + 2] == MARK[2] && buffer[offset + 3] == MARK[3];
    }

    /** @return whether the bytes from the buffer's position to its limit start with the mark */
    public static boolean hasMark(ByteBuffer payload) {
        int p = payload.position();
        return payload.remaining() >= MARK_LENGTH && payload.get(p) == MARK[0] && payload.get(p + 1) == MARK[1]
                && payload.get(p + 2) == MARK[2] && payload.get(p + 3) == MARK[3];
    }

    /**
     * Checks a SOCKS UDP request header without allocating.
     *
     * @return the header's length (where DATA starts, relative to {@code offset}), or
     *         {@link #MALFORMED} or {@link #FRAGMENTED}
     */
    public static int headerLength(byte[] buffer, int offset, int length) {
        if (length < 4 || buffer[offset] != 0 || buffer[offset + 1] != 0) {
            return MALFORMED;
        }
        if (buffer[offset + 2] != 0) {
            return FRAGMENTED;
        }
        int addressLength;
        switch (buffer[offset + 3]) {
            case ATYP_IPV4:
                addressLength = 4;
                break;
            case ATYP_IPV6:
                addressLength = 16;
                break;
            case ATYP_DOMAIN:
                if (length < 5 || buffer[offset + 4] == 0) {
                    return MALFORMED;
                }
                addressLength = 1 + (buffer[offset + 4] & 0xFF);
                break;
            default:
                return MALFORMED;
        }
        int header = 4 + addressLength + 2;
        return length < header ? MALFORMED : header;
    }

    /** @return the DST.PORT of a header {@link #headerLength} accepted */
    public static int port(byte[] buffer, int offset, int headerLength) {
        return ((buffer[offset + headerLength - 2] & 0xFF) << 8) | (buffer[offset + headerLength - 1] & 0xFF);
    }

    /** @return the header of a reply from {@code source}: RSV, FRAG 0, its address and port */
    public static byte[] replyHeader(InetSocketAddress source) {
        byte[] address = source.getAddress().getAddress();
        byte[] header = new byte[4 + address.length + 2];
        header[3] = (byte) (source.getAddress() instanceof Inet4Address ? ATYP_IPV4 : ATYP_IPV6);
        System.arraycopy(address, 0, header, 4, address.length);
        header[header.length - 2] = (byte) (source.getPort() >>> 8);
        header[header.length - 1] = (byte) source.getPort();
        return header;
    }
}
