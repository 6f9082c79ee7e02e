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
 * @param estimatedLoss     the one-way loss the paths datagrams go out on should suffer together,
 *                          from their keepalives: the product of their
 *                          {@link PathStats#estimatedLoss()}, over the adaptive choice or every
 *                          path that is up; -1 until each has an estimate, and always on a server
 * @param measuredLoss      the loss of this client's data as the server measured it, 0 to 1:
 *                          sequence numbers the server has passed without receiving them, from the
 *                          counts it reports in every keepalive-ack, averaged over about the last
 *                          1,024 datagrams; -1 until a report counts datagrams the first report
 *                          did not, and always on a server. A datagram still in flight on a
 *                          slower path counts as lost until a later report sees it.
 * @param ordering          what {@linkplain OrderedDelivery ordered delivery} did in this
 *                          session; {@link OrderingStats#NONE} when it is off
 * @param redundancy        what redundancy cost (bytes on the wire per payload byte) and bought
 *                          (datagrams recovered by forward error correction, residual loss)
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
        double estimatedLoss,
        double measuredLoss,
        OrderingStats ordering,
        RedundancyStats redundancy) {

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
     * @param estimatedLoss     the joint one-way loss the keepalives predict, or -1
     * @param measuredLoss      the loss the server reports, or -1
     * @param ordering          what ordered delivery did in this session
     * @param redundancy        what redundancy cost and bought
     */
    public SessionStats {
        paths = List.copyOf(paths);
    }

    /**
     * A snapshot without redundancy's counts ({@link RedundancyStats#NONE}): the constructor as it
     * was before they existed.
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
     * @param estimatedLoss     the joint one-way loss the keepalives predict, or -1
     * @param measuredLoss      the loss the server reports, or -1
     * @param ordering          what ordered delivery did in this session
     */
    public SessionStats(long sessionId, InetSocketAddress address, long delivered, long duplicatesDropped,
                        long tooOldDropped, long queueDropped, long sendDropped, List<PathStats> paths,
                        long datagramsSent, long copiesSent, double estimatedLoss, double measuredLoss,
                        OrderingStats ordering) {
        this(sessionId, address, delivered, duplicatesDropped, tooOldDropped, queueDropped, sendDropped, paths,
                datagramsSent, copiesSent, estimatedLoss, measuredLoss, ordering, RedundancyStats.NONE);
    }

    /** @return copies sent per datagram sent, or 0 before the first datagram */
    public double copiesPerDatagram() {
        return datagramsSent == 0 ? 0 : (double) copiesSent / datagramsSent;
    }
}
