package org.mptunnel.internal.bridge;

import java.time.Duration;
import java.util.Objects;

/**
 * How many clients a {@link UdpBridge} keeps an upstream socket for, and for how long. Each
 * client (source address and port) costs the bridge one socket, so anyone who can send to the
 * bridge could otherwise spend all its file descriptors. When a limit is reached, the new client
 * takes the socket of the least recently active one: of its own IPv4 address or IPv6 /64 when that
 * source is at its share, else of all clients.
 *
 * @param maxClients          upstream sockets at most, all clients together
 * @param maxClientsPerSource upstream sockets at most for the clients of one IPv4 address or IPv6 /64
 * @param idleTimeout         a client not heard from for this long loses its socket
 */
public record ClientLimits(int maxClients, int maxClientsPerSource, Duration idleTimeout) {

    /** Default of {@link #maxClients}: well under the descriptors a JVM gets on Linux. */
    public static final int DEFAULT_MAX_CLIENTS = 4096;
    /** Default of {@link #maxClientsPerSource}: an mpclient's 256 applications over a few paths fit. */
    public static final int DEFAULT_MAX_CLIENTS_PER_SOURCE = 1024;
    /** Default of {@link #idleTimeout}. */
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(120);
    /** The defaults. */
    public static final ClientLimits DEFAULT =
            new ClientLimits(DEFAULT_MAX_CLIENTS, DEFAULT_MAX_CLIENTS_PER_SOURCE, DEFAULT_IDLE_TIMEOUT);

    public ClientLimits {
        if (maxClients < 1 || maxClientsPerSource < 1) {
            throw new IllegalArgumentException("client limits must be at least 1, got " + maxClients + " and "
                    + maxClientsPerSource);
        }
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        if (idleTimeout.isNegative() || idleTimeout.isZero()) {
            throw new IllegalArgumentException("the idle timeout must be positive, got " + idleTimeout);
        }
    }
}
