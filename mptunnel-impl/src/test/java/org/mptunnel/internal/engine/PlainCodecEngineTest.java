package org.mptunnel.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mptunnel.PathStats;
import org.mptunnel.SessionStats;
import org.mptunnel.TunnelStats;
import org.mptunnel.internal.path.Path;
import org.mptunnel.internal.session.SessionAddress;
import org.mptunnel.internal.wire.Header;
import org.mptunnel.internal.wire.PathChallenge;
import org.mptunnel.internal.wire.Probe;

/** Protocol v1's read path, both roles, without sockets: {@link PlainCodec} through {@link Engine#read}. */
class PlainCodecEngineTest {

    private static final long SESSION = 0x1234_5678_9ABC_DEF0L;
    private static final byte[] HELLO = "hello".getBytes(StandardCharsets.US_ASCII);

    static byte[] data(long session, long sequence, byte[] payload) {
        ByteBuffer b = Header.allocate(Header.LENGTH + payload.length);
        Header.write(b, Header.TYPE_DATA, session, sequence, payload.length);
        b.put(Header.LENGTH, payload);
        byte[] bytes = new byte[b.capacity()];
        b.get(0, bytes);
        return bytes;
    }

    static byte[] keepalive(long session, long number, long originTime) {
        ByteBuffer b = Header.allocate(Header.LENGTH + Probe.KEEPALIVE_LENGTH);
        Probe.writeKeepalive(b, session, number, originTime, 0, 0);
        byte[] bytes = new byte[b.limit()];
        b.get(0, bytes);
        return bytes;
    }

    private static byte[] ack(long session, long number, long originTime, long epoch) {
        ByteBuffer b = Header.allocate(Header.LENGTH + Probe.ACK_LENGTH);
        Probe.writeKeepalive(b, session, number, originTime, 0, 0);
        Probe.turnIntoAck(b, epoch, 0, 0, 0);
        byte[] bytes = new byte[b.limit()];
        b.get(0, bytes);
        return bytes;
    }

    @Test
    void clientDeliversItsSessionsDataOnceAndCountsEveryCopyAsHeard() throws Exception {
        Wire wire = new Wire();
        ClientEngine client = wire.client(Wire.clientConfig(), SESSION, 0);
        Path path = client.session().paths()[0];
        Wire.deliver(client, path, Wire.BRIDGE, data(SESSION, 5, HELLO), 1);
        Wire.deliver(client, path, Wire.BRIDGE, data(SESSION, 5, HELLO), 2);
        assertThat(Wire.received(client)).isEqualTo(HELLO);
        assertThat(Wire.received(client)).isNull();
        TunnelStats stats = client.stats();
        assertThat(stats.delivered()).isEqualTo(1);
        assertThat(stats.duplicatesDropped()).isEqualTo(1);
        PathStats pathStats = stats.sessions().get(0).paths().get(0);
        assertThat(pathStats.datagramsReceived()).as("v1: every valid copy is heard").isEqualTo(2);
        assertThat(pathStats.duplicatesDropped()).isEqualTo(1);
    }

    @Test
    void clientRefusesOtherSessionsAndKeepalives() throws Exception {
        Wire wire = new Wire();
        ClientEngine client = wire.client(Wire.clientConfig(), SESSION, 0);
        Wire.deliver(client, client.session().paths()[0], Wire.BRIDGE, data(SESSION + 1, 0, HELLO), 1);
        Wire.deliver(client, client.session().paths()[0], Wire.BRIDGE, keepalive(SESSION, 0, 0), 1);
        Wire.deliver(client, client.session().paths()[0], Wire.BRIDGE, new byte[] {1, 2, 3}, 1);
        TunnelStats stats = client.stats();
        assertThat(stats.unknownSessionDropped()).isEqualTo(1);
        assertThat(stats.malformedDropped()).isEqualTo(2);
        assertThat(stats.delivered()).isZero();
        assertThat(Wire.received(client)).isNull();
    }

    @Test
    void clientTakesAnRttSampleFromAnAckOfItsOwnProbe() {
        Wire wire = new Wire();
        ClientEngine client = wire.client(Wire.clientConfig(), SESSION, 0);
        Path path = client.session().paths()[0];
        assertThat(path.smoothedRttNanos()).isNegative();
        Wire.deliver(client, path, Wire.BRIDGE, ack(SESSION, 0, System.nanoTime(), 42), 1);
        assertThat(path.smoothedRttNanos()).isNotNegative();
        assertThat(client.stats().malformedDropped()).isZero();
    }

    @Test
    void clientSendsDataAndKeepalivesOnItsPath() {
        Wire wire = new Wire();
        ClientEngine client = wire.client(Wire.clientConfig(), SESSION, 0);
        client.onTimer(0);
        List<Wire.Sent> probes = wire.drain();
        // the path's announcement: the rounds due at once (Probing.ANNOUNCE_AT)
        assertThat(probes).hasSize((int) Arrays.stream(Probing.ANNOUNCE_AT).filter(at -> at == 0).count());
        for (Wire.Sent sent : probes) {
            ByteBuffer probe = ByteBuffer.wrap(sent.bytes());
            assertThat(Header.check(probe, probe.capacity())).isEqualTo(Header.TYPE_KEEPALIVE);
        }
        assertThat(client.onTimer(1)).as("the next announcement is due soon").isEqualTo(Probing.ANNOUNCE_AT[4]);
        client.onTimer(Probing.ANNOUNCE_AT[4]);
        assertThat(wire.drain()).as("one more round").hasSize(1);
        try {
            client.send(HELLO, 0, HELLO.length, null, 0);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
        ByteBuffer sent = ByteBuffer.wrap(wire.drain().get(0).bytes());
        assertThat(Header.check(sent, sent.capacity())).isEqualTo(Header.TYPE_DATA);
        assertThat(Header.sessionId(sent)).isEqualTo(SESSION);
        assertThat(sent.slice(Header.LENGTH, HELLO.length)).isEqualTo(ByteBuffer.wrap(HELLO));
        SessionStats session = client.stats().sessions().get(0);
        assertThat(session.datagramsSent()).isEqualTo(1);
        assertThat(session.copiesSent()).isEqualTo(1);
    }

    @Test
    void anAckAtTheTopOfTheSequenceSpaceSaysPassedSaturatedAndIsWellFormed() throws Exception {
        Wire wire = new Wire();
        ServerEngine server = wire.server(Wire.serverConfig());
        Wire.deliver(server, null, Wire.CLIENT, data(SESSION, Long.MAX_VALUE, HELLO), 1);
        validate(server, wire, keepalive(SESSION, 7, 99), 2);
        Wire.deliver(server, null, Wire.CLIENT, keepalive(SESSION, 8, 99), 4);
        ByteBuffer ack = ByteBuffer.wrap(wire.drain().get(0).bytes());
        assertThat(Header.check(ack, ack.capacity())).isEqualTo(Header.TYPE_KEEPALIVE_ACK);
        assertThat(Probe.passed(ack)).as("newest + 1, saturated").isEqualTo(Long.MAX_VALUE);
        assertThat(Probe.received(ack)).isEqualTo(1);
        assertThat(Probe.ackValid(ack)).as("a client takes it").isTrue();
    }

    @Test
    void aDistantSequenceIsDeliveredButDoesNotMoveTheWindow() throws Exception {
        Wire wire = new Wire();
        ServerEngine server = wire.server(Wire.serverConfig());
        byte[] forged = "forged".getBytes(StandardCharsets.US_ASCII);
        Wire.deliver(server, null, Wire.CLIENT, data(SESSION, 0, HELLO), 1);
        Wire.deliver(server, null, Wire.CLIENT, data(SESSION, 1_000_000_000_000L, forged), 2);
        Wire.deliver(server, null, Wire.CLIENT, data(SESSION, 1_000_000_000_000L, forged), 3);
        Wire.deliver(server, null, Wire.CLIENT, data(SESSION, 1, HELLO), 4);
        assertThat(Wire.received(server)).isEqualTo(HELLO);
        assertThat(Wire.received(server)).isEqualTo(forged);
        assertThat(Wire.received(server)).as("sequence 1: the window did not move").isEqualTo(HELLO);
        assertThat(Wire.received(server)).isNull();
        assertThat(server.stats().duplicatesDropped()).as("the distant one's copy").isEqualTo(1);
    }

    @Test
    void oneSourceHoldsAtMostItsSessionsWhateverItsPortsAndOthersStillGetIn() throws Exception {
        Wire wire = new Wire();
        ServerEngine server = wire.server(Wire.serverConfig().maxSessions(16).maxSessionsPerSource(4));
        long second = 1_000_000_000L;
        for (int port = 1; port <= 12; port++) { // within the rate's burst, all live
            Wire.deliver(server, null, new java.net.InetSocketAddress(Wire.CLIENT.getAddress(), 40_000 + port),
                    data(SESSION + port, 0, HELLO), port);
        }
        assertThat(server.stats().sessions()).hasSize(4);
        assertThat(server.stats().sessionsRefused()).isEqualTo(8);
        assertThat(server.refusalLines()).as("8 refusals within a minute: one line").isEqualTo(1);

        java.net.InetSocketAddress elsewhere = new java.net.InetSocketAddress(java.net.InetAddress.getByName("127.0.0.2"), 40_000);
        Wire.deliver(server, null, elsewhere, data(SESSION, 0, HELLO), 13 * second);
        assertThat(server.stats().sessions()).as("a client from another address").hasSize(5);
        for (int port = 1; port <= 4; port++) { // the four heard again: live
            Wire.deliver(server, null, new java.net.InetSocketAddress(Wire.CLIENT.getAddress(), 40_000 + port),
                    data(SESSION + port, 1, HELLO), 69 * second);
        }
        for (int port = 13; port <= 20; port++) { // a minute after the first line: one more
            Wire.deliver(server, null, new java.net.InetSocketAddress(Wire.CLIENT.getAddress(), 40_000 + port),
                    data(SESSION + port, 0, HELLO), 70 * second + port);
        }
        assertThat(server.stats().sessionsRefused()).isEqualTo(16);
        assertThat(server.refusalLines()).isEqualTo(2);

        Wire.deliver(server, null, Wire.CLIENT, data(SESSION + 50, 0, HELLO), 80 * second);
        assertThat(server.stats().sessionsRefused()).as("one of its own, silent for a dead timeout, made room").isEqualTo(16);
        assertThat(server.stats().sessions()).extracting(s -> s.sessionId()).contains(SESSION + 50).hasSize(5);

        server.onTimer(80 * second + Wire.serverConfig().build().sessionIdleTimeout().toNanos() + second);
        assertThat(server.stats().sessions()).as("all expired").isEmpty();
        Wire.deliver(server, null, Wire.CLIENT, data(SESSION + 100, 0, HELLO), 200 * second);
        assertThat(server.stats().sessions()).as("expiry gave the source its room back").hasSize(1);
    }

    @Test
    void serverOpensASessionForTheFirstDatagramAndAnswersItsKeepalives() throws Exception {
        Wire wire = new Wire();
        ServerEngine server = wire.server(Wire.serverConfig());
        Wire.deliver(server, null, Wire.CLIENT, data(SESSION, 0, HELLO), 1);
        assertThat(Wire.received(server)).isEqualTo(HELLO);
        // A new address: first a challenge, within what it sent (29 + 64 bytes), and no ack yet,
        // which would take the server past that.
        validate(server, wire, keepalive(SESSION, 7, 99), 2);
        assertThat(server.stats().bytesWithheld()).isEqualTo(Header.LENGTH + Probe.ACK_LENGTH);
        Wire.deliver(server, null, Wire.CLIENT, keepalive(SESSION, 7, 99), 4);
        List<Wire.Sent> answers = wire.drain();
        assertThat(answers).hasSize(1);
        assertThat(answers.get(0).to()).isEqualTo(Wire.CLIENT);
        ByteBuffer ack = ByteBuffer.wrap(answers.get(0).bytes());
        assertThat(Header.check(ack, ack.capacity())).isEqualTo(Header.TYPE_KEEPALIVE_ACK);
        assertThat(Header.sequence(ack)).isEqualTo(7);
        assertThat(Probe.originTime(ack)).isEqualTo(99);
        assertThat(Probe.received(ack)).isEqualTo(1);
        assertThat(Probe.passed(ack)).isEqualTo(1);
        TunnelStats stats = server.stats();
        assertThat(stats.sessions()).hasSize(1);
        assertThat(stats.sessions().get(0).address()).isEqualTo(SessionAddress.of(SESSION));
    }

    @Test
    void serverCreatesNoSessionForAnAckOrAnInvalidKeepalive() {
        Wire wire = new Wire();
        ServerEngine server = wire.server(Wire.serverConfig());
        Wire.deliver(server, null, Wire.CLIENT, ack(SESSION, 0, 0, 1), 1);
        byte[] badKeepalive = keepalive(SESSION, 0, 0);
        badKeepalive[Probe.PASSED_OFFSET] = 1; // a reserved byte
        Wire.deliver(server, null, Wire.CLIENT, badKeepalive, 1);
        TunnelStats stats = server.stats();
        assertThat(stats.malformedDropped()).isEqualTo(2);
        assertThat(stats.sessions()).isEmpty();
        assertThat(wire.drain()).isEmpty();
    }

    @Test
    void serverRepliesToTheSessionAddressOnEveryPathTheSessionCameFrom() throws Exception {
        Wire wire = new Wire();
        ServerEngine server = wire.server(Wire.serverConfig());
        Wire.deliver(server, null, Wire.CLIENT, data(SESSION, 0, HELLO), 1);
        Wire.deliver(server, null, Wire.BRIDGE, data(SESSION, 0, HELLO), 1);
        server.send(HELLO, 0, HELLO.length, SessionAddress.of(SESSION).getAddress(), SessionAddress.PORT);
        assertThat(wire.drain()).extracting(Wire.Sent::to).containsExactlyInAnyOrder(Wire.CLIENT, Wire.BRIDGE);
    }

    @Test
    void noReplyOvertakesOneHeldForValidation() throws Exception {
        Wire wire = new Wire();
        ServerEngine server = wire.server(Wire.serverConfig());
        Wire.deliver(server, null, Wire.CLIENT, data(SESSION, 0, HELLO), 1); // 29 bytes of credit
        byte[] large = new byte[100];
        server.send(large, 0, large.length, SessionAddress.of(SESSION).getAddress(), SessionAddress.PORT);
        // Would fit in the credit, but must not leave before the held one.
        server.send(HELLO, 0, 1, SessionAddress.of(SESSION).getAddress(), SessionAddress.PORT);
        List<Wire.Sent> sent = new java.util.ArrayList<>(wire.drain());
        byte[] keepalive = keepalive(SESSION, 7, 99);
        Wire.deliver(server, null, Wire.CLIENT, keepalive, 2);
        List<Wire.Sent> challenge = wire.drain();
        sent.addAll(challenge);
        byte[] response = challenge.stream().map(Wire.Sent::bytes)
                .filter(b -> Header.check(ByteBuffer.wrap(b), b.length) == Header.TYPE_PATH_CHALLENGE)
                .findFirst().orElseThrow();
        response[Header.TYPE_OFFSET] = Header.TYPE_PATH_RESPONSE;
        Wire.deliver(server, null, Wire.CLIENT, response, 3);
        sent.addAll(wire.drain());

        List<Long> replies = sent.stream().map(s -> ByteBuffer.wrap(s.bytes()))
                .filter(d -> Header.check(d, d.capacity()) == Header.TYPE_DATA).map(Header::sequence).toList();
        assertThat(replies).as("both replies, in the order they were sent").hasSize(2).isSorted();
    }

    /**
     * The client's {@code keepalive} arrives from a new address at {@code now}; the challenge that is
     * all the server may send back is answered, which validates the address.
     */
    static void validate(ServerEngine server, Wire wire, byte[] keepalive, long now) {
        Wire.deliver(server, null, Wire.CLIENT, keepalive, now);
        List<Wire.Sent> challenges = wire.drain();
        assertThat(challenges).hasSize(1);
        byte[] response = challenges.get(0).bytes();
        assertThat(response).hasSize(Header.LENGTH + PathChallenge.LENGTH);
        assertThat(Header.check(ByteBuffer.wrap(response), response.length)).isEqualTo(Header.TYPE_PATH_CHALLENGE);
        response[Header.TYPE_OFFSET] = Header.TYPE_PATH_RESPONSE;
        Wire.deliver(server, null, Wire.CLIENT, response, now + 1);
        assertThat(server.stats().sessions().get(0).paths().get(0).validated()).isTrue();
    }
}
