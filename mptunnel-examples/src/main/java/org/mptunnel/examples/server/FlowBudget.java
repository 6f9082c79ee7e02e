package org.mptunnel.examples.server;

/**
 * How many flows mpserver keeps at once (docs/PROTOCOL.md, "Tools: flows"): over the whole server,
 * per tunnel session (one mpclient carries all its applications in one session), and per source IP
 * (per /64 for IPv6) of the sessions. A classic flow holds one socket towards the target; a SOCKS
 * flow holds its destination sockets within the {@link SocketBudget}. A datagram that would need a
 * flow beyond a bound is dropped and counted as refused.
 *
 * @param total      flows over all sessions
 * @param perSession flows of one tunnel session
 * @param perSource  flows of all the sessions from one source IP or /64
 */
public record FlowBudget(int total, int perSession, int perSource) {

    public static final int DEFAULT_TOTAL = 8_192;
    public static final int DEFAULT_PER_SESSION = 6_144;
    public static final int DEFAULT_PER_SOURCE = 6_144;
    /**
     * The defaults: a DNS resolver at 500 queries/s holds about 5,000 flows under the default
     * single-exchange timeout (10 s); with the {@link SocketBudget} and 1,024 classic sessions,
     * about 13,400 descriptors in all.
     */
    public static final FlowBudget DEFAULT = new FlowBudget(DEFAULT_TOTAL, DEFAULT_PER_SESSION, DEFAULT_PER_SOURCE);

    /** @throws IllegalArgumentException if a bound is below 1 */
    public FlowBudget {
        if (total < 1 || perSession < 1 || perSource < 1) {
            throw new IllegalArgumentException("flow budgets must be at least 1, got " + total + ", " + perSession
                    + ", " + perSource);
        }
    }
}
