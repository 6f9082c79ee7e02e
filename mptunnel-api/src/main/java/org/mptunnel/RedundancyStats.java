package org.mptunnel;

/**
 * What redundancy cost and what it bought, for one session or summed over a socket's
 * ({@link TunnelStats#redundancy()}). Sending counts are this end's, receiving counts what this end
 * received from its peer.
 *
 * @param payloadBytesSent  application bytes sent (each datagram once)
 * @param wireBytesSent     bytes of data and repair datagrams written to paths, every copy and
 *                          header counted (keepalives not)
 * @param repairsSent       forward error correction's repair datagrams written to paths
 * @param repairsReceived   repair datagrams received from the peer
 * @param recovered         datagrams rebuilt from their group's repairs before any copy arrived (lost,
 *                          or only late on their path)
 * @param notDecoded        FEC datagrams received but not decoded, because the socket's decoders
 *                          held their memory budget (64 MiB): data still delivered, repairs unused
 * @param inboundPassed     the peer's data sequence numbers passed: from the first received to the
 *                          newest (since the peer last restarted its numbering)
 * @param inboundReceived   the peer's data datagrams received (first copies, recovered ones included)
 */
public record RedundancyStats(long payloadBytesSent, long wireBytesSent, long repairsSent, long repairsReceived,
                              long recovered, long notDecoded, long inboundPassed, long inboundReceived) {

    /** Nothing sent or received. */
    public static final RedundancyStats NONE = new RedundancyStats(0, 0, 0, 0, 0, 0, 0, 0);

    /** @return bytes on the wire per payload byte sent, or 0 before any payload */
    public double wireBytesPerPayloadByte() {
        return payloadBytesSent == 0 ? 0 : (double) wireBytesSent / payloadBytesSent;
    }

    /**
     * @return the share of the peer's datagrams this end did not get, recovery included: 1 −
     *         received / passed, 0 to 1 (0 before any); one still on its way on a slower path
     *         counts until it arrives
     */
    public double residualLoss() {
        return inboundPassed <= 0 ? 0 : Math.max(0, 1 - (double) inboundReceived / inboundPassed);
    }

    /**
     * @param other another session's counts
     * @return the sum of this and {@code other}
     */
    public RedundancyStats plus(RedundancyStats other) {
        return new RedundancyStats(payloadBytesSent + other.payloadBytesSent, wireBytesSent + other.wireBytesSent,
                repairsSent + other.repairsSent, repairsReceived + other.repairsReceived,
                recovered + other.recovered, notDecoded + other.notDecoded, inboundPassed + other.inboundPassed,
                inboundReceived + other.inboundReceived);
    }
}
