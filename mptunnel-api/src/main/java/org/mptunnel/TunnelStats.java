package org.mptunnel;

import java.util.List;

/**
 * An immutable snapshot of a socket's counters. Every count is cumulative since the socket opened;
 * on a server the totals include sessions that have since expired.
 *
 * @param role                  the socket's role
 * @param delivered             data datagrams handed to the application
 * @param duplicatesDropped     copies dropped because an earlier copy had been delivered
 * @param tooOldDropped         datagrams dropped because they fell behind the duplicate window
 * @param malformedDropped      datagrams that are not valid tunnel datagrams (bad magic, version,
 *                              type, length)
 * @param unknownSessionDropped valid datagrams for a session this socket does not have
 * @param queueDropped          datagrams dropped because the application was not receiving fast enough,
 *                              or because its {@linkplain DatagramHandler receive handler} threw
 * @param sendDropped           datagrams the application sent while no path was up (or to an
 *                              expired session)
 * @param sessionsRefused       new sessions refused because the server was at its session limit
 * @param sessions              the live sessions (exactly one on a client)
 * @param ordering              what {@linkplain OrderedDelivery ordered delivery} did, over every
 *                              session including expired ones ({@code holding}: the live ones);
 *                              {@link OrderingStats#NONE} when it is off
 */
public record TunnelStats(
        TunnelConfig.Role role,
        long delivered,
        long duplicatesDropped,
        long tooOldDropped,
        long malformedDropped,
        long unknownSessionDropped,
        long queueDropped,
        long sendDropped,
        long sessionsRefused,
        List<SessionStats> sessions,
        OrderingStats ordering) {

    /**
     * Creates a snapshot; the list of sessions is copied, so the snapshot stays immutable.
     *
     * @param role                  the socket's role
     * @param delivered             data datagrams handed to the application
     * @param duplicatesDropped     copies dropped because an earlier copy had been delivered
     * @param tooOldDropped         datagrams dropped because they fell behind the duplicate window
     * @param malformedDropped      datagrams that are not valid tunnel datagrams
     * @param unknownSessionDropped valid datagrams for a session this socket does not have
     * @param queueDropped          datagrams dropped because the application was not receiving fast enough,
     *                              or because its receive handler threw
     * @param sendDropped           datagrams sent while no path was up (or to an expired session)
     * @param sessionsRefused       new sessions refused at the session limit
     * @param sessions              the live sessions
     * @param ordering              what ordered delivery did
     */
    public TunnelStats {
        sessions = List.copyOf(sessions);
    }
}
