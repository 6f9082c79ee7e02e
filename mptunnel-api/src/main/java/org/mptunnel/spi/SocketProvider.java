package org.mptunnel.spi;

import java.io.IOException;
import org.mptunnel.MultipathDatagramSocket;
import org.mptunnel.TunnelConfig;

/**
 * Service-provider interface through which {@link MultipathDatagramSocket#open} finds the engine.
 * Applications do not use it; {@code mptunnel-impl} provides it.
 */
public interface SocketProvider {

    /**
     * Opens a socket for the given configuration.
     *
     * @param config a validated configuration
     * @return an open, bound socket
     * @throws IOException if a channel cannot be opened or bound, or an address does not resolve
     */
    MultipathDatagramSocket open(TunnelConfig config) throws IOException;
}
