package org.mptunnel.internal.jmx;

/**
 * A socket's statistics as JMX attributes: the totals of {@link org.mptunnel.TunnelStats}, plus
 * how many sessions and paths there are and how many paths are up, what redundancy costs and
 * buys, and what ordered delivery did ({@link org.mptunnel.OrderingStats}). Every attribute is read
 * from a fresh snapshot.
 */
public interface SocketMetricsMXBean {

    String getRole();

    int getLocalPort();

    long getDelivered();

    long getDuplicatesDropped();

    long getTooOldDropped();

    long getMalformedDropped();

    long getUnknownSessionDropped();

    long getQueueDropped();

    long getSendDropped();

    long getSessionsRefused();

    long getAuthFailed();

    long getHandshakes();

    long getHandshakesRefused();

    long getRejectedUnopened();

    /** @return path challenges sent to unvalidated addresses (server) */
    long getPathChallenges();

    /** @return bytes not sent to unvalidated addresses for want of credit (server) */
    long getBytesWithheld();

    /** @return adaptive FEC code rate searches the process's planning thread refused, its queue full (client) */
    long getFecPlansRefused();

    /** @return plans of coded replies' spreads that waited for their share of the I/O thread (server) */
    long getReplyPlansDeferred();

    int getSessions();

    int getPaths();

    int getPathsUp();

    long getDatagramsSent();

    long getDatagramsReceived();

    /** @return data copies written per data datagram sent, over every session; 0 before the first */
    double getCopiesPerDatagram();

    /**
     * @return a client's {@link org.mptunnel.SessionStats#estimatedLoss()}; -1 on a server, or
     *         before there is one
     */
    double getEstimatedLoss();

    /**
     * @return a client's {@link org.mptunnel.SessionStats#measuredLoss()}; -1 on a server, or
     *         before there is one
     */
    double getMeasuredLoss();

    /** Ordered delivery: datagrams held behind a gap (all zero when it is off). */
    long getOrderHeld();

    long getOrderReleasedOnTimeout();

    long getOrderReleasedForRoom();

    long getOrderSkipped();

    long getOrderLateDropped();

    long getOrderHolding();

    /** Ordered delivery: held datagrams released early because the socket held its most bytes. */
    long getOrderReleasedForBudget();

    /** Ordered delivery: bytes held now, against {@code OrderedDelivery.maxHeldBytes()}. */
    long getOrderHeldBytes();

    /** Redundancy: bytes of data and repair datagrams written per application byte sent. */
    double getWireBytesPerPayloadByte();

    /** Forward error correction: repair datagrams sent. */
    long getFecRepairsSent();

    /** Forward error correction: repair datagrams received. */
    long getFecRepairsReceived();

    /** Forward error correction: datagrams lost on every path and rebuilt from repairs. */
    long getFecRecovered();

    /** The share of the peers' datagrams this socket did not get, recovery included (0 to 1). */
    double getResidualLoss();

    /** Forward error correction: datagrams not decoded because the socket's decoders held their memory budget. */
    long getFecNotDecoded();
}
