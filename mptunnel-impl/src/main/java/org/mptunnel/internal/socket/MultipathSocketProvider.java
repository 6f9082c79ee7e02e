package org.mptunnel.internal.socket;

import java.io.IOException;
import org.mptunnel.MultipathDatagramSocket;
import org.mptunnel.TunnelConfig;
import org.mptunnel.internal.engine.ClientEngine;
import org.mptunnel.internal.engine.ConnectedEngine;
import org.mptunnel.internal.engine.Engine;
import org.mptunnel.internal.engine.LegacyClientEngine;
import org.mptunnel.internal.engine.LegacyServerEngine;
import org.mptunnel.internal.engine.ServerEngine;
import org.mptunnel.spi.SocketProvider;

/**
 * The engine's entry point, found by {@link MultipathDatagramSocket#open} through the service loader.
 * It picks the engine for the role and the wire format; the engine picks its codec.
 */
public final class MultipathSocketProvider implements SocketProvider {

    @Override
    public MultipathDatagramSocket open(TunnelConfig config) throws IOException {
        boolean legacy = config.wireFormat().isLegacy();
        if (config.role() == TunnelConfig.Role.CLIENT) {
            ConnectedEngine engine = legacy ? LegacyClientEngine.open(config) : ClientEngine.open(config);
            return new MultipathSocket(config, engine, engine.peer());
        }
        Engine engine = legacy ? LegacyServerEngine.open(config) : ServerEngine.open(config);
        return new MultipathSocket(config, engine, null);
    }
}
