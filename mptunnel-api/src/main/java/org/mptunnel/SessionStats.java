package org.mptunnel;

import java.net.InetSocketAddress;
import java.util.List;

/**
 * One session: a client socket and the server's view of it.
 *
 * @param sessionId         the random 64-bit id the client chose
 * @param address           the address {@link MultipathDatagramSocket#receive} reports for this
 *                          session's datagrams (see {@link MultipathDatagramSocket} for its form)
 * @param delivered         data datagrams handed to the application
 * @param duplicatesDropped copies dropped because an earlier copy had been delivered
 * @param tooOldDropped     datagrams dropped because they fell behind the duplicate window
 * @param queueDropped      datagrams dropped because the application was not receiving fast enough
 * @param sendDropped       datagrams the application sent while no path was up
 * @param paths             the session's paths
 * @param datagramsSent     data datagrams the application sent in this session that left on at
 *                          least one path
 * @param copiesSent        copies of those datagrams written to paths, keepalives not included:
 *                          {@code datagramsSent} times the number of paths with
 *                          {@link Redundancy#ALL_PATHS} and all of them up, fewer with adaptive
 *                          redundancy
 * @param ordering          what {@linkplain OrderedDelivery ordered delivery} did in this
 *                          session; {@link OrderingStats#NONE} when it is off
 */
public record SessionStats(
        long sessionId,
        InetSocketAddress address,
        long delivered,
        long duplicatesDropped,
        long tooOldDropped,
        long queueDropped,
        long sendDropped,
        List<PathStats> paths,
        long datagramsSent,
        long copiesSent,
        OrderingStats ordering) {

    /**
     * Creates a snapshot; the list of paths is copied, so the snapshot stays immutable.
     *
     * @param sessionId         the random 64-bit id the client chose
     * @param address           the address {@code receive} reports for this session's datagrams
     * @param delivered         data datagrams handed to the application
     * @param duplicatesDropped copies dropped because an earlier copy had been delivered
     * @param tooOldDropped     datagrams dropped because they fell behind the duplicate window
     * @param queueDropped      datagrams dropped because the application was not receiving fast enough
     * @param sendDropped       datagrams the application sent while no path was up
     * @param paths             the session's paths
     * @param datagramsSent     data datagrams sent that left on at least one path
     * @param copiesSent        copies of those written to paths
     * @param ordering          what ordered delivery did in this session
     */
    public SessionStats {
        paths = List.copyOf(paths);
    }

    /** @return copies sent per datagram sent, or 0 before the first datagram */
    public double copiesPerDatagram() {
        return datagramsSent == 0 ? 0 : (double) copiesSent / datagramsSent;
    }
}
