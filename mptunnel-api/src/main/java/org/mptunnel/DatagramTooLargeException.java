package org.mptunnel;

import java.io.IOException;

/**
 * Thrown by {@link MultipathDatagramSocket#send} for a datagram larger than the tunnel can carry.
 * The tunnel never splits a datagram: UDP message boundaries are kept or the send is refused.
 */
public final class DatagramTooLargeException extends IOException {
    private static final long serialVersionUID = 1L;

    /** The length of the refused datagram, in bytes. */
    private final int size;
    /** The largest payload the socket accepted, in bytes. */
    private final int limit;

    /**
     * @param size  the length of the refused datagram, in bytes
     * @param limit the largest payload the socket accepts, in bytes
     */
    public DatagramTooLargeException(int size, int limit) {
        super("datagram of " + size + " bytes exceeds the tunnel's limit of " + limit + " bytes");
        this.size = size;
        this.limit = limit;
    }

    /** @return the length of the refused datagram, in bytes */
    public int size() {
        return size;
    }

    /** @return the largest payload the socket accepts, in bytes */
    public int limit() {
        return limit;
    }
}
