package org.mptunnel.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mptunnel.PathStats;
import org.mptunnel.TunnelStats;
import org.mptunnel.internal.path.Path;
import org.mptunnel.internal.session.SessionAddress;
import org.mptunnel.internal.wire.Header;
import org.mptunnel.internal.wire.Sealed;

/**
 * Protocol v2's read path, both roles at once and without sockets: a client and a server engine
 * handshake and exchange datagrams by handing each other what they wrote ({@link SealedCodec},
 * {@link ClientHandshake}, {@link HandshakeResponder} through {@link Engine#read}).
 */
class SealedCodecEngineTest {

    private static final long SESSION = 0x0BAD_CAFE_0000_0001L;
    private static final byte[] HELLO = "hello".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] REPLY = "world!".getBytes(StandardCharsets.US_ASCII);

    private final Wire clientWire = new Wire();
    private final Wire serverWire = new Wire();
    private ClientEngine client;
    private ServerEngine server;
    private Path clientPath;

    @BeforeEach
    void open() {
        client = clientWire.client(Wire.clientConfig().preSharedKey(Wire.PSK), SESSION, 0);
        server = serverWire.server(Wire.serverConfig().preSharedKey(Wire.PSK));
        clientPath = client.session().paths()[0];
    }

    /** Everything the client wrote reaches the server from {@link Wire#CLIENT}; returns it. */
    private List<Wire.Sent> clientToServer(long now) {
        List<Wire.Sent> sent = clientWire.drain();
        for (Wire.Sent datagram : sent) {
            Wire.deliver(server, null, Wire.CLIENT, datagram.bytes(), now);
        }
        return sent;
    }

    private List<Wire.Sent> serverToClient(long now) {
        List<Wire.Sent> sent = serverWire.drain();
        for (Wire.Sent datagram : sent) {
            Wire.deliver(client, clientPath, Wire.BRIDGE, datagram.bytes(), now);
        }
        return sent;
    }

    private void handshake() {
        client.onTimer(1);
        assertThat(clientToServer(2)).as("an initiation").hasSize(1);
        assertThat(serverToClient(3)).as("its response").hasSize(1);
        assertThat(client.stats().handshakes()).isEqualTo(1);
        assertThat(server.stats().handshakes()).isEqualTo(1);
    }

    /** A keepalive round at {@code now}: the client's timer, then everything across and back. */
    private void probeRound(long now) {
        client.onTimer(now);
        clientToServer(now);
        serverToClient(now);
    }

    /**
     * Per-path reports, sealed, between the two real engines: each side learns what its own data
     * lost on the path, copies refused unopened count as arrived.
     */
    @Test
    void perPathReportsTellEachSideItsDataLossSealed() throws Exception {
        long interval = Wire.clientConfig().path(Wire.BRIDGE).build().keepaliveInterval().toNanos();
        handshake();
        client.send(HELLO, 0, HELLO.length, null, 0);
        byte[] hello = clientWire.drain().get(0).bytes();
        Wire.deliver(server, null, Wire.CLIENT, hello, 4);
        Wire.deliver(server, null, Wire.CLIENT, hello, 4); // a copy: refused before it is opened
        serverToClient(5); // the challenge, answered with a keepalive behind the response
        clientToServer(6);
        serverToClient(7); // the keepalive's ack: the server reports per path
        Path atServer = server.sessions.get(SESSION).paths()[0];
        assertThat(atServer.dataArrived()).as("the copy arrived on the path too").isEqualTo(2);

        for (int i = 0; i < 10; i++) {
            client.send(HELLO, 0, HELLO.length, null, 0);
        }
        List<Wire.Sent> data = clientWire.drain();
        for (Wire.Sent datagram : data.subList(0, 7)) {
            Wire.deliver(server, null, Wire.CLIENT, datagram.bytes(), 8);
        }
        probeRound(1 + interval);
        assertThat(clientPath.dataLoss().oneWayLoss()).as("3 of 10 lost, client to server").isEqualTo(0.3);

        for (int i = 0; i < 10; i++) {
            server.send(REPLY, 0, REPLY.length, SessionAddress.of(SESSION).getAddress(), SessionAddress.PORT);
        }
        for (Wire.Sent datagram : serverWire.drain().subList(0, 6)) {
            Wire.deliver(client, clientPath, Wire.BRIDGE, datagram.bytes(), 1 + interval);
        }
        probeRound(1 + 2 * interval); // the server's baseline: what it had sent at the last ack
        probeRound(1 + 3 * interval);
        assertThat(atServer.dataLoss().oneWayLoss()).as("4 of 10 lost, server to client")
                .isCloseTo(0.4, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(server.stats().authFailed() + client.stats().authFailed()).isZero();
        assertThat(server.stats().malformedDropped() + client.stats().malformedDropped()).isZero();
    }

    @Test
    void dataGoesBothWaysSealedAfterTheHandshake() throws Exception {
        handshake();
        client.send(HELLO, 0, HELLO.length, null, 0);
        List<Wire.Sent> sent = clientToServer(4);
        ByteBuffer sealed = ByteBuffer.wrap(sent.get(0).bytes());
        assertThat(Sealed.check(sealed, sealed.capacity())).isEqualTo(Header.TYPE_DATA);
        assertThat(sealed.capacity()).isEqualTo(Sealed.OVERHEAD + HELLO.length);
        assertThat(Wire.received(server)).isEqualTo(HELLO);

        server.send(REPLY, 0, REPLY.length, SessionAddress.of(SESSION).getAddress(), SessionAddress.PORT);
        // The client's address got a challenge from the credit its initiation and data brought;
        // the reply, which the rest does not pay for, waits for the answer.
        assertThat(serverToClient(5)).extracting(d -> (int) d.bytes()[Header.TYPE_OFFSET])
                .containsExactly((int) Header.TYPE_PATH_CHALLENGE);
        clientToServer(6);
        serverToClient(7);
        assertThat(Wire.received(client)).isEqualTo(REPLY);
    }

    @Test
    void datagramsSentBeforeTheHandshakeWaitAndGoOutWhenItCompletes() throws Exception {
        client.send(HELLO, 0, HELLO.length, null, 0);
        assertThat(clientWire.sent).as("nothing can be sealed yet").isEmpty();
        handshake();
        clientToServer(4);
        assertThat(Wire.received(server)).isEqualTo(HELLO);
    }

    @Test
    void aCopyIsRefusedUnopenedAndCountsOnlyAsADuplicate() throws Exception {
        handshake();
        client.send(HELLO, 0, HELLO.length, null, 0);
        byte[] datagram = clientWire.drain().get(0).bytes();
        Wire.deliver(server, null, Wire.CLIENT, datagram, 4);
        Wire.deliver(server, null, Wire.CLIENT, datagram, 5);
        assertThat(Wire.received(server)).isEqualTo(HELLO);
        assertThat(Wire.received(server)).isNull();
        TunnelStats stats = server.stats();
        assertThat(stats.duplicatesDropped()).isEqualTo(1);
        assertThat(stats.authFailed()).isZero();
        PathStats path = stats.sessions().get(0).paths().get(0);
        assertThat(path.datagramsReceived()).as("the initiation and the first copy").isEqualTo(2);
        assertThat(path.duplicatesDropped()).isEqualTo(1);
    }

    @Test
    void anAlteredDatagramFailsToOpenAndChangesNothing() throws Exception {
        handshake();
        client.send(HELLO, 0, HELLO.length, null, 0);
        byte[] datagram = clientWire.drain().get(0).bytes();
        byte[] altered = datagram.clone();
        altered[altered.length - 1] ^= 1;
        Wire.deliver(server, null, Wire.CLIENT, altered, 4);
        assertThat(server.stats().authFailed()).isEqualTo(1);
        assertThat(Wire.received(server)).isNull();
        Wire.deliver(server, null, Wire.CLIENT, datagram, 5);
        assertThat(Wire.received(server)).as("the window did not record the forgery").isEqualTo(HELLO);
    }

    @Test
    void sealedDataOfAnUnknownSessionCreatesNothing() throws Exception {
        handshake();
        ServerEngine other = new Wire().server(Wire.serverConfig().preSharedKey(Wire.PSK));
        client.send(HELLO, 0, HELLO.length, null, 0);
        Wire.deliver(other, null, Wire.CLIENT, clientWire.drain().get(0).bytes(), 4);
        assertThat(other.stats().unknownSessionDropped()).isEqualTo(1);
        assertThat(other.stats().sessions()).isEmpty();
    }

    @Test
    void sealedKeepalivesAreAnsweredWithSealedAcksThatGiveTheClientAnRtt() {
        handshake();
        assertThat(clientPath.smoothedRttNanos()).isNegative();
        long round = 1 + client.keepaliveNanos; // the round after the one at 1, when there were no keys yet
        client.onTimer(round);
        List<Wire.Sent> keepalives = clientToServer(round + 1);
        assertThat(keepalives).isNotEmpty();
        ByteBuffer keepalive = ByteBuffer.wrap(keepalives.get(keepalives.size() - 1).bytes());
        assertThat(Sealed.check(keepalive, keepalive.capacity())).isEqualTo(Header.TYPE_KEEPALIVE);
        // The client's address is new to the server: it announced its path with several keepalives
        // at once, and each brought a challenge (each costs less than a keepalive brings), and an
        // ack only where what was left paid for it.
        List<Wire.Sent> challenges = serverToClient(round + 2);
        assertThat(challenges).extracting(c -> (int) c.bytes()[Header.TYPE_OFFSET]).contains((int) Header.TYPE_PATH_CHALLENGE);
        ByteBuffer challenge = ByteBuffer.wrap(challenges.get(0).bytes());
        assertThat(Sealed.check(challenge, challenge.capacity())).isEqualTo(Header.TYPE_PATH_CHALLENGE);
        assertThat(challenge.capacity()).isLessThanOrEqualTo(keepalive.capacity());
        // The client answers each challenge twice on the path and probes it again (once: at most
        // once per quarter interval); the answers validate the path.
        List<Wire.Sent> answers = clientToServer(round + 3);
        assertThat(answers).extracting(a -> (int) a.bytes()[Header.TYPE_OFFSET])
                .contains((int) Header.TYPE_PATH_RESPONSE, (int) Header.TYPE_KEEPALIVE);
        assertThat(server.stats().sessions().get(0).paths().get(0).validated()).isTrue();
        List<Wire.Sent> acks = serverToClient(round + 4);
        assertThat(acks).hasSize(1);
        ByteBuffer ack = ByteBuffer.wrap(acks.get(0).bytes());
        assertThat(Sealed.check(ack, ack.capacity())).isEqualTo(Header.TYPE_KEEPALIVE_ACK);
        assertThat(clientPath.smoothedRttNanos()).isNotNegative();
        assertThat(client.stats().malformedDropped()).isZero();
        assertThat(client.stats().authFailed()).isZero();
    }

    @Test
    void aReplyToASessionWhoseKeysWereErasedMeanwhileIsDroppedAndCounted() throws Exception {
        handshake();
        server.sessions.get(SESSION).transport().destroy(); // as expiry does, after a sender found the session
        server.send(REPLY, 0, REPLY.length, SessionAddress.of(SESSION).getAddress(), SessionAddress.PORT);
        assertThat(serverWire.sent).isEmpty();
        assertThat(server.stats().sendDropped()).isEqualTo(1);
    }
}
