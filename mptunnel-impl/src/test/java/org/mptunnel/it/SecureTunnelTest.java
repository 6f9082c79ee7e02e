package org.mptunnel.it;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;
import org.mptunnel.MultipathDatagramSocket;
import org.mptunnel.TunnelConfig;

/** Protocol v2 through real sockets. */
class SecureTunnelTest {

    static final byte[] KEY = new byte[32];

    @Test
    void aKeyedConfigIsRefusedClearlyUntilTheEnginesSpeakVersion2() {
        TunnelConfig config = TunnelConfig.server(new InetSocketAddress(Loopback.LOOPBACK, 0)).preSharedKey(KEY).build();

        assertThatThrownBy(() -> MultipathDatagramSocket.open(config))
                .isInstanceOf(UnsupportedOperationException.class).hasMessageContaining("pre-shared key");
    }
}
