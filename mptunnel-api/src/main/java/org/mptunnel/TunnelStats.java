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
 * @param rejectedUnopened      with a pre-shared key: datagrams of a known session dropped without
 *                              being opened, because they name a key generation this end does not
 *                              hold, or because their source has failed authentication too often
 *                              lately (a server's budget of failed opens per source)
 * @param sessions              the live sessions (exactly one on a client)
 * @param ordering              what {@linkplain OrderedDelivery ordered delivery} did, over every
 *                              session including expired ones ({@code holding}: the live ones);
 *                              {@link OrderingStats#NONE} when it is off
 * @param pathChallenges        on a server, path challenges sent to addresses not yet validated
 *                              (docs/PROTOCOL.md, "Path validation"); 0 on a client
 * @param bytesWithheld         on a server, bytes not sent to an unvalidated address because it
 *                              had not sent as many (the anti-amplification limit); 0 on a client
 * @param fecPlansRefused       on a client with adaptive FEC ({@link Redundancy#fecAdaptive(double)}),
 *                              code rate searches not made because the process's one planning
 *                              thread already had 1,024 waiting (the session keeps its rate and
 *                              tries again at its next timer); 0 otherwise
 * @param replyPlansDeferred    on a server, plans of the spread of coded replies over a session's
 *                              paths that waited their turn because all sessions' plans had taken
 *                              their 2 % of the I/O thread's time; 0 on a client
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
        long rejectedUnopened,
        List<SessionStats> sessions,
        OrderingStats ordering,
        long pathChallenges,
        long bytesWithheld,
        long fecPlansRefused,
        long replyPlansDeferred) {

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
     * @param rejectedUnopened      datagrams of a known session dropped unopened (pre-shared key only)
     * @param sessions              the live sessions
     * @param ordering              what ordered delivery did
     * @param pathChallenges        path challenges sent (server)
     * @param bytesWithheld         bytes not sent to unvalidated addresses (server)
     * @param fecPlansRefused       adaptive FEC code rate searches refused, the planning thread's
     *                              queue full (client)
     * @param replyPlansDeferred    plans of coded replies' spreads that waited for their share of
     *                              the I/O thread (server)
     */
    public TunnelStats {
        sessions = List.copyOf(sessions);
    }

    /**
     * A snapshot with no datagrams rejected unopened, no path challenges, nothing withheld and no
     * plan refused or deferred: the constructor of the first release, kept for source compatibility.
     *
     * @param role                  the socket's role
     * @param delivered             data datagrams handed to the application
     * @param duplicatesDropped     copies dropped because an earlier copy had been delivered
     * @param tooOldDropped         datagrams dropped because they fell behind the duplicate window
     * @param malformedDropped      datagrams that are not valid tunnel datagrams
     * @param unknownSessionDropped valid datagrams for a session this socket does not have
     * @param queueDropped          datagrams dropped because the application was not receiving fast enough
     * @param sendDropped           datagrams sent while no path was up (or to an expired session)
     * @param sessionsRefused       new sessions refused at the session limit
     * @param authFailed            datagrams that did not authenticate (pre-shared key only)
     * @param handshakes            handshakes completed (pre-shared key only)
     * @param handshakesRefused     handshake messages refused without an authentication failure
     * @param sessions              the live sessions
     * @param ordering              what ordered delivery did
     */
    public TunnelStats(TunnelConfig.Role role, long delivered, long duplicatesDropped, long tooOldDropped,
                       long malformedDropped, long unknownSessionDropped, long queueDropped, long sendDropped,
                       long sessionsRefused, long authFailed, long handshakes, long handshakesRefused,
                       List<SessionStats> sessions, OrderingStats ordering) {
        this(role, delivered, duplicatesDropped, tooOldDropped, malformedDropped, unknownSessionDropped, queueDropped,
                sendDropped, sessionsRefused, authFailed, handshakes, handshakesRefused, 0, sessions, ordering, 0, 0, 0, 0);
    }

    /** @return redundancy's counts summed over the sessions */
    public RedundancyStats redundancy() {
        RedundancyStats sum = RedundancyStats.NONE;
        for (SessionStats session : sessions) {
            sum = sum.plus(session.redundancy());
        }
        return sum;
    }

    /**
     * A builder with every count 0, no sessions and {@link OrderingStats#NONE}: counts are set by
     * name, so that two of them cannot be swapped unnoticed as they can in the constructor.
     *
     * @param role the socket's role
     * @return a new builder
     */
    public static Builder builder(TunnelConfig.Role role) {
        return new Builder(role);
    }

    /** Builds a {@link TunnelStats} with the counts named; each setter returns the builder. */
    public static final class Builder {
        private final TunnelConfig.Role role;
        private long delivered;
        private long duplicatesDropped;
        private long tooOldDropped;
        private long malformedDropped;
        private long unknownSessionDropped;
        private long queueDropped;
        private long sendDropped;
        private long sessionsRefused;
        private long authFailed;
        private long handshakes;
        private long handshakesRefused;
        private long rejectedUnopened;
        private List<SessionStats> sessions = List.of();
        private OrderingStats ordering = OrderingStats.NONE;
        private long pathChallenges;
        private long bytesWithheld;
        private long fecPlansRefused;
        private long replyPlansDeferred;

        private Builder(TunnelConfig.Role role) {
            this.role = role;
        }

        /**
         * Sets a count.
         *
         * @param n the value of {@link TunnelStats#delivered()}
         * @return this builder
         */
        public Builder delivered(long n) {
            delivered = n;
            return this;
        }

        /**
         * Sets a count.
         *
         * @param n the value of {@link TunnelStats#duplicatesDropped()}
         * @return this builder
         */
        public Builder duplicatesDropped(long n) {
            duplicatesDropped = n;
            return this;
        }

        /**
         * Sets a count.
         *
         * @param n the value of {@link TunnelStats#tooOldDropped()}
         * @return this builder
         */
        public Builder tooOldDropped(long n) {
            tooOldDropped = n;
            return this;
        }

        /**
         * Sets a count.
         *
         * @param n the value of {@link TunnelStats#malformedDropped()}
         * @return this builder
         */
        public Builder malformedDropped(long n) {
            malformedDropped = n;
            return this;
        }

        /**
         * Sets a count.
         *
         * @param n the value of {@link TunnelStats#unknownSessionDropped()}
         * @return this builder
         */
        public Builder unknownSessionDropped(long n) {
            unknownSessionDropped = n;
            return this;
        }

        /**
         * Sets a count.
         *
         * @param n the value of {@link TunnelStats#queueDropped()}
         * @return this builder
         */
        public Builder queueDropped(long n) {
            queueDropped = n;
            return this;
        }

        /**
         * Sets a count.
         *
         * @param n the value of {@link TunnelStats#sendDropped()}
         * @return this builder
         */
        public Builder sendDropped(long n) {
            sendDropped = n;
            return this;
        }

        /**
         * Sets a count.
         *
         * @param n the value of {@link TunnelStats#sessionsRefused()}
         * @return this builder
         */
        public Builder sessionsRefused(long n) {
            sessionsRefused = n;
            return this;
        }

        /**
         * Sets a count.
         *
         * @param n the value of {@link TunnelStats#authFailed()}
         * @return this builder
         */
        public Builder authFailed(long n) {
            authFailed = n;
            return this;
        }

        /**
         * Sets a count.
         *
         * @param n the value of {@link TunnelStats#handshakes()}
         * @return this builder
         */
        public Builder handshakes(long n) {
            handshakes = n;
            return this;
        }

        /**
         * Sets a count.
         *
         * @param n the value of {@link TunnelStats#handshakesRefused()}
         * @return this builder
         */
        public Builder handshakesRefused(long n) {
            handshakesRefused = n;
            return this;
        }

        /**
         * Sets a count.
         *
         * @param n the value of {@link TunnelStats#rejectedUnopened()}
         * @return this builder
         */
        public Builder rejectedUnopened(long n) {
            rejectedUnopened = n;
            return this;
        }

        /**
         * Sets the sessions.
         *
         * @param list the live sessions
         * @return this builder
         */
        public Builder sessions(List<SessionStats> list) {
            sessions = list;
            return this;
        }

        /**
         * Sets the ordering stats.
         *
         * @param stats what ordered delivery did
         * @return this builder
         */
        public Builder ordering(OrderingStats stats) {
            ordering = stats;
            return this;
        }

        /**
         * Sets a count.
         *
         * @param n the value of {@link TunnelStats#pathChallenges()}
         * @return this builder
         */
        public Builder pathChallenges(long n) {
            pathChallenges = n;
            return this;
        }

        /**
         * Sets a count.
         *
         * @param n the value of {@link TunnelStats#bytesWithheld()}
         * @return this builder
         */
        public Builder bytesWithheld(long n) {
            bytesWithheld = n;
            return this;
        }

        /**
         * Sets a count.
         *
         * @param n the value of {@link TunnelStats#fecPlansRefused()}
         * @return this builder
         */
        public Builder fecPlansRefused(long n) {
            fecPlansRefused = n;
            return this;
        }

        /**
         * Sets a count.
         *
         * @param n the value of {@link TunnelStats#replyPlansDeferred()}
         * @return this builder
         */
        public Builder replyPlansDeferred(long n) {
            replyPlansDeferred = n;
            return this;
        }

        /** @return the snapshot */
        public TunnelStats build() {
            return new TunnelStats(role, delivered, duplicatesDropped, tooOldDropped, malformedDropped,
                    unknownSessionDropped, queueDropped, sendDropped, sessionsRefused, authFailed, handshakes,
                    handshakesRefused, rejectedUnopened, sessions, ordering, pathChallenges, bytesWithheld,
                    fecPlansRefused, replyPlansDeferred);
        }
    }
}
