package org.mptunnel.internal.jmx;

/**
 * A socket's statistics as JMX attributes: the totals of {@link org.mptunnel.TunnelStats}, plus
 * how many sessions and paths there are and how many paths are up. Every attribute is read from a
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

    long getAuthFailed();

    long getHandshakes();

    long getHandshakesRefused();

    int getSessions();

    int getPaths();

    int getPathsUp();

    long getDatagramsSent();

    long getDatagramsReceived();
}
