package org.mptunnel.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.mptunnel.TunnelConfig;
import org.mptunnel.TunnelStats;
import org.mptunnel.internal.legacy.LegacyHeader;
import org.mptunnel.internal.path.Path;
import org.mptunnel.internal.session.Session;
import org.mptunnel.internal.session.SessionAddress;
import org.mptunnel.internal.session.TunnelCounters;

/** The C format's read path, both roles, plain and obfuscated, without sockets: {@link LegacyCodec}. */
class LegacyCodecEngineTest {

    private static final byte[] HELLO = "hello".getBytes(StandardCharsets.US_ASCII);

    private static byte[] datagram(boolean obfuscate, int type, int id, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(LegacyHeader.LENGTH + payload.length);
        b.put(LegacyHeader.LENGTH, payload);
        LegacyHeader.encode(b, obfuscate, 0x1234_5678, type, id, payload.length);
        return b.array();
    }

    private static LegacyClientEngine client(TunnelConfig.WireFormat format) {
        TunnelConfig config = TunnelConfig.client().path(Wire.BRIDGE).wireFormat(format).build();
        return new LegacyClientEngine(config, new Path[] {new Path(0, Wire.BRIDGE, null, true, new Wire(), 0)},
                Wire.PEER, 0);
    }

    private static LegacyServerEngine server(TunnelConfig.WireFormat format) {
        return new LegacyServerEngine(TunnelConfig.server(Wire.PEER).wireFormat(format).build(), null);
    }

    @Test
    void clientDeliversDataOnceAndCountsControl() throws Exception {
        for (TunnelConfig.WireFormat format : new TunnelConfig.WireFormat[] {
                TunnelConfig.WireFormat.LEGACY, TunnelConfig.WireFormat.LEGACY_PLAIN}) {
            boolean obfuscated = format == TunnelConfig.WireFormat.LEGACY;
            LegacyClientEngine client = client(format);
            Path path = client.session().paths()[0];
            Wire.deliver(client, path, Wire.BRIDGE, datagram(obfuscated, LegacyHeader.TYPE_DATA, 1, HELLO), 1);
            Wire.deliver(client, path, Wire.BRIDGE, datagram(obfuscated, LegacyHeader.TYPE_DATA, 1, HELLO), 2);
            Wire.deliver(client, path, Wire.BRIDGE, datagram(obfuscated, LegacyHeader.TYPE_CONTROL, 2, HELLO), 3);
            Wire.deliver(client, path, Wire.BRIDGE, new byte[] {1, 2, 3}, 4);
            assertThat(Wire.received(client)).as(format.name()).isEqualTo(HELLO);
            assertThat(Wire.received(client)).isNull();
            TunnelStats stats = client.stats();
            assertThat(stats.delivered()).isEqualTo(1);
            assertThat(stats.duplicatesDropped()).isEqualTo(1);
            assertThat(stats.malformedDropped()).isEqualTo(1);
            assertThat(client.reader.controlReceived()).isEqualTo(1);
        }
    }

    @Test
    void serverTakesEverySourceAsAPathOfItsOneSession() throws Exception {
        LegacyServerEngine server = server(TunnelConfig.WireFormat.LEGACY);
        Wire.deliver(server, null, Wire.CLIENT, datagram(true, LegacyHeader.TYPE_DATA, 1, HELLO), 1);
        Wire.deliver(server, null, Wire.BRIDGE, datagram(true, LegacyHeader.TYPE_DATA, 2, HELLO), 2);
        assertThat(Wire.received(server)).isEqualTo(HELLO);
        assertThat(Wire.received(server)).isEqualTo(HELLO);
        TunnelStats stats = server.stats();
        assertThat(stats.sessions()).hasSize(1);
        assertThat(stats.sessions().get(0).address()).isEqualTo(SessionAddress.of(LegacyServerEngine.SESSION_ID));
        assertThat(stats.sessions().get(0).paths()).hasSize(2);
    }

    @Test
    void encodedDataChecksAsDataWithTheNextId() {
        LegacyCodec codec = new LegacyCodec(true);
        LegacyClientEngine client = client(TunnelConfig.WireFormat.LEGACY);
        ByteBuffer out = codec.encodeData(new Session(0, Wire.PEER, 64,
                new Path[0], null, 1, new TunnelCounters(), 0), HELLO, 0, HELLO.length);
        byte[] bytes = new byte[out.limit()];
        out.get(0, bytes);
        Wire.deliver(client, client.session().paths()[0], Wire.BRIDGE, bytes, 1);
        assertThat(client.stats().delivered()).isEqualTo(1);
    }
}
