package org.mptunnel.internal.socket;

import java.io.IOException;
import org.mptunnel.MultipathDatagramSocket;
import org.mptunnel.TunnelConfig;
import org.mptunnel.internal.engine.ClientEngine;
import org.mptunnel.internal.engine.ServerEngine;
import org.mptunnel.spi.SocketProvider;

/** The engine's entry point, found by {@link MultipathDatagramSocket#open} through the service loader. */
public final class MultipathSocketProvider implements SocketProvider {

    @Override
    public MultipathDatagramSocket open(TunnelConfig config) throws IOException {
        if (config.role() == TunnelConfig.Role.CLIENT) {
            ClientEngine engine = ClientEngine.open(config);
            return new MultipathSocket(config, engine, engine.peer());
        }
        return new MultipathSocket(config, ServerEngine.open(config), null);
    }
}
