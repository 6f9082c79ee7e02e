package org.mptunnel.internal.jmx;

/**
 * A socket's statistics as JMX attributes: the totals of {@link org.mptunnel.TunnelStats}, plus
 * how many sessions and paths there are and how many paths are up, and what ordered
 * delivery did ({@link org.mptunnel.OrderingStats}). Every attribute is read from a
 * fresh snapshot.
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

    int getSessions();

    int getPaths();

    int getPathsUp();

    long getDatagramsSent();

    long getDatagramsReceived();

    /** Ordered delivery: datagrams held behind a gap (all zero when it is off). */
    long getOrderHeld();

    long getOrderReleasedOnTimeout();

    long getOrderReleasedForRoom();

    long getOrderSkipped();

    long getOrderLateDropped();

    long getOrderHolding();
}
