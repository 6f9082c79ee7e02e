package org.mptunnel.examples.server;

/**
 * How many sockets towards SOCKS destinations mpserver may hold: over the whole server, per SOCKS
 * session, and per source IP (per /64 for IPv6) of the sessions. Classic sessions are not counted
 * here: each has one target socket, and {@code --max-sessions} bounds them, so a SOCKS flood can
 * never take a new classic session's socket.
 *
 * @param total      destination sockets over all SOCKS sessions
 * @param perSession destination sockets of one SOCKS session
 * @param perSource  destination sockets of all the SOCKS sessions from one source IP or /64
 */
public record SocketBudget(int total, int perSession, int perSource) {

    public static final int DEFAULT_TOTAL = 4_096;
    public static final int DEFAULT_PER_SESSION = 64;
    public static final int DEFAULT_PER_SOURCE = 512;
    /** The defaults: with 1,024 classic sessions, about 5,200 descriptors in all. */
    public static final SocketBudget DEFAULT = new SocketBudget(DEFAULT_TOTAL, DEFAULT_PER_SESSION, DEFAULT_PER_SOURCE);

    /** @throws IllegalArgumentException if a bound is below 1 */
    public SocketBudget {
        if (total < 1 || perSession < 1 || perSource < 1) {
            throw new IllegalArgumentException("socket budgets must be at least 1, got " + total + ", " + perSession
                    + ", " + perSource);
        }
    }
}
