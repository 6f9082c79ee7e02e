package org.mptunnel.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mptunnel.TunnelStats;
import org.mptunnel.internal.wire.Header;

/**
 * Forged version 2 datagrams that carry a live session's id are dropped before any decryption
 * where the header or their source allows it: a key generation the session does not hold, or a
 * source over its budget of failed opens ({@link FailedOpenBudget}). Counted apart from
 * {@code authFailed}, which counts the opens that were tried and failed.
 */
class UnopenedRejectionTest {

    private static final long SESSION = 0x0BAD_CAFE_0000_0002L;
    private static final byte[] HELLO = "hello".getBytes(StandardCharsets.US_ASCII);
    private static final int FORGERY_PAYLOAD = 60_000;
    /** Shares the IP address of the client's path, not its port (a shared bridge or NAT). */
    private static final InetSocketAddress ATTACKER = new InetSocketAddress(InetAddress.getLoopbackAddress(), 9999);
    private static final long SECOND = 1_000_000_000L;

    private final Wire clientWire = new Wire();
    private final Wire serverWire = new Wire();
    private ClientEngine client;
    private ServerEngine server;

    @BeforeEach
    void handshake() {
        client = clientWire.client(Wire.clientConfig().preSharedKey(Wire.PSK), SESSION, 0);
        server = serverWire.server(Wire.serverConfig().preSharedKey(Wire.PSK));
        client.onTimer(1);
        Wire.deliver(server, null, Wire.CLIENT, clientWire.drain().get(0).bytes(), 2);
        Wire.deliver(client, client.session().paths()[0], Wire.BRIDGE, serverWire.drain().get(0).bytes(), 3);
        assertThat(client.stats().handshakes()).isEqualTo(1);
    }

    /** @return a datagram the client sealed, as it went out */
    private byte[] sealed(byte[] payload) throws Exception {
        client.send(payload, 0, payload.length, null, 0);
        return clientWire.drain().get(0).bytes();
    }

    @Test
    void aGenerationTheSessionDoesNotHoldIsRejectedUnopened() throws Exception {
        byte[] genuine = sealed(HELLO);
        byte[] otherGeneration = genuine.clone();
        otherGeneration[Header.GENERATION_OFFSET + 1] ^= 0x40;
        Wire.deliver(server, null, Wire.CLIENT, otherGeneration, 4);
        TunnelStats stats = server.stats();
        assertThat(stats.rejectedUnopened()).isEqualTo(1);
        assertThat(stats.authFailed()).as("no open was tried").isZero();
        Wire.deliver(server, null, Wire.CLIENT, genuine, 5);
        assertThat(Wire.received(server)).as("nothing was recorded for it").isEqualTo(HELLO);
    }

    @Test
    void forgedDataFromOneSourceAreRejectedUnopenedOnceItsBudgetOfFailedOpensIsSpent() throws Exception {
        int forgeries = 200;
        for (int i = 0; i < forgeries; i++) {
            byte[] forged = sealed(new byte[FORGERY_PAYLOAD]);
            forged[forged.length - 1] ^= 1; // a wrong key's tag, a fresh sequence number
            Wire.deliver(server, null, ATTACKER, forged, 4);
        }
        TunnelStats stats = server.stats();
        long opened = stats.authFailed();
        long burst = FailedOpenBudget.BURST_BYTES / (FORGERY_PAYLOAD + 40) + 1;
        assertThat(opened).as("opens tried").isEqualTo(burst);
        assertThat(stats.rejectedUnopened()).isEqualTo(forgeries - burst);
        assertThat(stats.delivered()).isZero();

        // The session's path behind the same IP address (another port of a shared bridge) was
        // learned from an open: it has a budget of its own and is still served.
        Wire.deliver(server, null, Wire.CLIENT, sealed(HELLO), 5);
        assertThat(Wire.received(server)).isEqualTo(HELLO);
        byte[] forged = sealed(new byte[FORGERY_PAYLOAD]);
        forged[forged.length - 1] ^= 1;
        Wire.deliver(server, null, ATTACKER, forged, 6);
        assertThat(server.stats().rejectedUnopened()).isEqualTo(forgeries - burst + 1);
        // Once the attacker's debt has drained below its burst, it gets one more open.
        Wire.deliver(server, null, ATTACKER, forged, 7 + SECOND);
        assertThat(server.stats().authFailed()).isEqualTo(opened + 1);
    }
}
