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
 * @param authFailed            with a pre-shared key: datagrams dropped because they did not
 *                              authenticate (another key, altered on the way, forged, or sealed
 *                              under keys this end no longer holds); always 0 without a key
 * @param handshakes            with a pre-shared key: handshakes completed (a client: responses
 *                              accepted; a server: initiations answered), first ones and rekeys
 * @param handshakesRefused     with a pre-shared key: on a server, initiations not answered
 *                              although they did not fail authentication (a replay or a copy from
 *                              another path, a clock too far off, or the source's handshake rate
 *                              limits, which drop some unread); on a client, responses that came
 *                              when no handshake was waiting (late, or replayed)
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
        long authFailed,
        long handshakes,
        long handshakesRefused,
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
     * @param authFailed            datagrams that did not authenticate (pre-shared key only)
     * @param handshakes            handshakes completed (pre-shared key only)
     * @param handshakesRefused     handshake messages refused without an authentication failure
     *                              (pre-shared key only)
     * @param sessions              the live sessions
     * @param ordering              what ordered delivery did
     */
    public TunnelStats {
        sessions = List.copyOf(sessions);
    }
}
