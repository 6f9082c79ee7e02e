package org.mptunnel.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.mptunnel.internal.path.Path;
import org.mptunnel.internal.schedule.FecRate;
import org.mptunnel.internal.schedule.FecRates;
import org.mptunnel.internal.schedule.FecScheduler;
import org.mptunnel.internal.session.Session;
import org.mptunnel.internal.session.TunnelCounters;
import org.mptunnel.internal.wire.Fec;
import org.mptunnel.internal.wire.Header;

/**
 * Forward error correction without sockets: what {@link FecScheduler} writes (the rate of each
 * group from its source, data and repairs in turn over the paths) and what a server's
 * {@link Engine#read} makes of it (lost datagrams rebuilt, the client's rate mirrored).
 */
class FecEngineTest {

    private static final long SESSION = 0x0FEC_0FEC_0FEC_0FECL;

    private static InetSocketAddress bridge(int i) {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), 7100 + i);
    }

    private static byte[] payload(int n) {
        return ("datagram " + n + " " + "x".repeat(n * 7)).getBytes(StandardCharsets.US_ASCII);
    }

    /** A client-side session of three paths writing to {@code wire}, coded by a scheduler of {@code rates}. */
    private static Session session(Wire wire) {
        Path[] paths = new Path[3];
        for (int i = 0; i < 3; i++) {
            paths[i] = new Path(i, bridge(i), null, true, wire, 0);
        }
        Session session = new Session(SESSION, null, 64, paths, null, 3, new TunnelCounters(), 0);
        FecScheduler.attach(session, null);
        return session;
    }

    /** @return what {@code server} delivered, in order, as text */
    private static List<String> delivered(ServerEngine server) throws InterruptedException {
        List<String> delivered = new ArrayList<>();
        byte[] got;
        while ((got = Wire.received(server)) != null) {
            delivered.add(new String(got, StandardCharsets.US_ASCII));
        }
        return delivered;
    }

    @Test
    void eachGroupTakesItsRateFromTheSourceAndDataAndRepairsTakeThePathsInTurn() throws Exception {
        Wire wire = new Wire();
        Session session = session(wire);
        FecRate first = new FecRate(2, 1, false);
        FecRate second = new FecRate(3, 2, false);
        AtomicInteger asked = new AtomicInteger();
        FecRates rates = s -> asked.getAndIncrement() == 0 ? first : second;
        FecScheduler scheduler = new FecScheduler(PlainCodec.INSTANCE, rates, 5_000_000L, deadline -> { });
        for (int n = 0; n < 5; n++) {
            byte[] p = payload(n);
            assertThat(scheduler.sendData(session, PlainCodec.INSTANCE, p, 0, p.length)).isEqualTo(1);
        }
        List<Wire.Sent> sent = wire.drain();
        // group 0: data 0, 1, a repair; group 1: data 2, 3, 4, two repairs
        assertThat(sent).hasSize(8);
        int[] types = sent.stream().mapToInt(s -> s.bytes()[Header.TYPE_OFFSET]).toArray();
        assertThat(types).containsExactly(8, 8, 9, 8, 8, 8, 9, 9);
        List<InetSocketAddress> to = new ArrayList<>();
        sent.forEach(s -> to.add(s.to()));
        assertThat(to).as("one path each, in turn").containsExactly(bridge(1), bridge(2), bridge(0), bridge(1),
                bridge(2), bridge(0), bridge(1), bridge(2));
        ByteBuffer d3 = ByteBuffer.wrap(sent.get(4).bytes());
        assertThat(Fec.group(d3)).isEqualTo(1);
        assertThat(Fec.dataIndex(d3)).isEqualTo(1);
        assertThat(Fec.dataK(d3)).isEqualTo(3);
        assertThat(Fec.dataM(d3)).isEqualTo(2);
        assertThat(Header.sequence(d3)).as("consecutive numbers: the group's first + index").isEqualTo(3);
        ByteBuffer repair = ByteBuffer.wrap(sent.get(7).bytes());
        assertThat(Fec.group(repair)).isEqualTo(1);
        assertThat(Fec.firstSequence(repair)).isEqualTo(2);
        assertThat(Header.sequence(repair)).as("repairs are numbered on their own").isEqualTo(2);
        assertThat(asked).as("asked once per group").hasValue(2);
        assertThat(session.snapshot().redundancy().repairsSent()).isEqualTo(3);
    }

    /** A planner's spread: so many of each group's data and repairs on each path, interleaved. */
    @Test
    void aRateThatPlacesEachDatagramIsFollowedAndAPlacedPathThatIsDownIsReplacedByTheNextInTurn() throws Exception {
        Wire wire = new Wire();
        Session session = session(wire);
        FecRate spread = FecRate.spread(new int[] {2, 1, 0}, new int[] {0, 1, 1}, false);
        assertThat(spread.k()).isEqualTo(3);
        assertThat(spread.m()).isEqualTo(2);
        FecScheduler scheduler = new FecScheduler(PlainCodec.INSTANCE, FecRates.fixed(spread), 5_000_000L, d -> { });
        for (int n = 0; n < 3; n++) {
            byte[] p = payload(n);
            scheduler.sendData(session, PlainCodec.INSTANCE, p, 0, p.length);
        }
        List<InetSocketAddress> to = new ArrayList<>();
        wire.drain().forEach(s -> to.add(s.to()));
        assertThat(to).containsExactly(bridge(0), bridge(1), bridge(0), bridge(1), bridge(2));

        session.paths()[1].checkAlive(10_000_000_000L, 1); // path 1 is down now
        for (int n = 3; n < 6; n++) {
            byte[] p = payload(n);
            scheduler.sendData(session, PlainCodec.INSTANCE, p, 0, p.length);
        }
        to.clear();
        wire.drain().forEach(s -> to.add(s.to()));
        assertThat(to).as("what was placed on path 1 takes the next up").containsExactly(bridge(0), bridge(2),
                bridge(0), bridge(2), bridge(2));
    }

    @Test
    void aGroupClosesAtItsDeadlineOnTheIoThreadWithWhatItHas() throws Exception {
        Wire wire = new Wire();
        Session session = session(wire);
        List<Long> wakes = new ArrayList<>();
        FecScheduler scheduler = new FecScheduler(PlainCodec.INSTANCE, FecRates.fixed(new FecRate(8, 2, false)),
                5_000_000L, wakes::add);
        byte[] p = payload(1);
        long before = System.nanoTime();
        scheduler.sendData(session, PlainCodec.INSTANCE, p, 0, p.length);
        assertThat(wakes).as("the I/O thread is asked to wake by the deadline").hasSize(1);
        long deadline = wakes.get(0);
        assertThat(deadline - before).isBetween(5_000_000L, 5_000_000L + 1_000_000_000L);
        assertThat(scheduler.closeDue(session, deadline - 1, Long.MAX_VALUE)).as("not yet").isEqualTo(deadline);
        assertThat(wire.drain()).hasSize(1);
        scheduler.closeDue(session, deadline, Long.MAX_VALUE);
        List<Wire.Sent> repairs = wire.drain();
        assertThat(repairs).as("1 of 8 datagrams: 2 × 1/8 of the repairs, rounded up").hasSize(1)
                .allSatisfy(r -> assertThat(r.bytes()[Header.TYPE_OFFSET]).isEqualTo((byte) 9));
        int trailer = repairs.get(0).bytes().length - 2;
        assertThat(repairs.get(0).bytes()[trailer]).as("k' = 1: the group closed early").isEqualTo((byte) 1);
    }

    /**
     * A group the deadline closes with 5 of 8 datagrams at 8:4 gets 3 repairs (4 × 5/8 rounded up),
     * not 4: the rate's overhead, not more. The server, told k' = 5 by the repairs, rebuilds the
     * three data datagrams lost from the two that arrived and the three repairs.
     */
    @Test
    void aGroupClosedEarlyGetsItsShareOfTheRepairsAndTheServerRebuildsFromThem() throws Exception {
        Wire toServer = new Wire();
        Session client = session(toServer);
        List<Long> wakes = new ArrayList<>();
        FecScheduler scheduler = new FecScheduler(PlainCodec.INSTANCE, FecRates.fixed(new FecRate(8, 4, false)),
                5_000_000L, wakes::add);
        for (int n = 0; n < 5; n++) {
            byte[] p = payload(n);
            scheduler.sendData(client, PlainCodec.INSTANCE, p, 0, p.length);
        }
        scheduler.closeDue(client, wakes.get(0), Long.MAX_VALUE);
        List<Wire.Sent> sent = toServer.drain();
        int[] types = sent.stream().mapToInt(s -> s.bytes()[Header.TYPE_OFFSET]).toArray();
        assertThat(types).containsExactly(8, 8, 8, 8, 8, 9, 9, 9);
        assertThat(client.snapshot().redundancy().repairsSent()).isEqualTo(3);

        Wire wire = new Wire();
        ServerEngine server = wire.server(Wire.serverConfig());
        for (int i : new int[] {0, 4, 5, 6, 7}) { // data 1, 2 and 3 lost
            Wire.deliver(server, null, sent.get(i).to(), sent.get(i).bytes(), 1);
        }
        List<String> delivered = delivered(server);
        List<String> expected = new ArrayList<>();
        for (int n = 0; n < 5; n++) {
            expected.add(new String(payload(n), StandardCharsets.US_ASCII));
        }
        assertThat(delivered).containsExactlyInAnyOrderElementsOf(expected);
        assertThat(server.sessions.get(SESSION).snapshot().redundancy().recovered()).isEqualTo(3);
    }

    @Test
    void aClosedGroupsShareOfTheRepairsIsRoundedUpAndAFullGroupGetsThemAll() {
        FecRate rate = new FecRate(16, 8, false);
        assertThat(FecScheduler.repairsFor(rate, 16)).isEqualTo(8);
        assertThat(FecScheduler.repairsFor(rate, 10)).isEqualTo(5);
        assertThat(FecScheduler.repairsFor(rate, 11)).isEqualTo(6);
        assertThat(FecScheduler.repairsFor(rate, 1)).isEqualTo(1);
        assertThat(FecScheduler.repairsFor(new FecRate(1, 2, false), 1)).isEqualTo(2);
    }

    @Test
    void aServerRebuildsWhatWasLostDeliversItOnceAndMirrorsTheRate() throws Exception {
        Wire toServer = new Wire();
        Session client = session(toServer);
        FecScheduler scheduler = new FecScheduler(PlainCodec.INSTANCE, FecRates.fixed(new FecRate(4, 2, false)),
                5_000_000L, deadline -> { });
        for (int n = 0; n < 4; n++) {
            byte[] p = payload(n);
            scheduler.sendData(client, PlainCodec.INSTANCE, p, 0, p.length);
        }
        List<Wire.Sent> sent = toServer.drain();
        assertThat(sent).hasSize(6);

        Wire wire = new Wire();
        ServerEngine server = wire.server(Wire.serverConfig());
        // data 1 and 2 lost; the two repairs arrive, then a late copy of data 1
        for (int i : new int[] {0, 3, 4, 5}) {
            Wire.deliver(server, null, sent.get(i).to(), sent.get(i).bytes(), 1);
        }
        Wire.deliver(server, null, sent.get(1).to(), sent.get(1).bytes(), 2);
        List<String> delivered = delivered(server);
        assertThat(delivered).containsExactlyInAnyOrder(new String(payload(0), StandardCharsets.US_ASCII),
                new String(payload(1), StandardCharsets.US_ASCII), new String(payload(2), StandardCharsets.US_ASCII),
                new String(payload(3), StandardCharsets.US_ASCII));
        Session session = server.sessions.get(SESSION);
        assertThat(session.snapshot().redundancy().recovered()).isEqualTo(2);
        assertThat(server.stats().duplicatesDropped()).as("the late copy of a rebuilt datagram").isEqualTo(1);
        assertThat(FecScheduler.groupsOf(session).mirrored()).isEqualTo(new FecRate(4, 2, false));
        assertThat(server.stats().malformedDropped()).isZero();
        // Each path's report counts what crossed it, repairs included (the client counts them as
        // sent there), and not what was rebuilt when a datagram arrived on it: else a measured loss
        // is off by the repair share and the recoveries.
        java.util.Map<InetSocketAddress, Long> arrived = new java.util.HashMap<>();
        for (Path path : session.paths()) {
            arrived.put(path.remote(), path.dataArrived());
        }
        assertThat(arrived).as("data 0 and 3 on path 1, repair 0 and data 1 late on 2, repair 1 on 0")
                .isEqualTo(java.util.Map.of(bridge(0), 1L, bridge(1), 2L, bridge(2), 2L));
    }

    @Test
    void aVersion1FecBlockOutsideTheLimitsIsMalformedAndChangesNothing() throws Exception {
        Wire wire = new Wire();
        ServerEngine server = wire.server(Wire.serverConfig());
        ByteBuffer b = Header.allocate(Fec.DATA_PAYLOAD_OFFSET + 3);
        Header.write(b, Header.TYPE_FEC_DATA, SESSION, 0, Fec.DATA_PAYLOAD_OFFSET - Header.LENGTH + 3);
        Fec.writeData(b, 0, 5, 4, 2, 0); // index 5 of a group of 4
        byte[] bytes = new byte[b.capacity()];
        b.get(0, bytes);
        Wire.deliver(server, null, bridge(0), bytes, 1);
        assertThat(server.stats().malformedDropped()).isEqualTo(1);
        assertThat(server.stats().sessions()).as("no session made for it").isEmpty();
        assertThat(Wire.received(server)).isNull();
    }

    /**
     * Each session's decoder is sized to its peer's k and m (32 + 16: 2.3 MB); past the socket's
     * 64 MiB, a new coded session is not decoded (counted), and its data is still delivered.
     */
    @Test
    void decodersBeyondTheSocketsBudgetAreNotMadeAndTheirDataStillArrives() throws Exception {
        Wire wire = new Wire();
        ServerEngine server = wire.server(Wire.serverConfig().maxSessions(64).maxSessionsPerSource(64));
        long each = org.mptunnel.internal.session.FecInbound.bytesFor(32, 16);
        int fit = (int) (Engine.FEC_DECODER_BUDGET / each);
        for (int s = 0; s <= fit; s++) {
            ByteBuffer b = Header.allocate(Fec.DATA_PAYLOAD_OFFSET + 3);
            Header.write(b, Header.TYPE_FEC_DATA, SESSION + s, 0, Fec.DATA_PAYLOAD_OFFSET - Header.LENGTH + 3);
            Fec.writeData(b, 0, 0, 32, 16, 0);
            byte[] bytes = new byte[b.capacity()];
            b.get(0, bytes);
            Wire.deliver(server, null, bridge(s), bytes, 1);
            assertThat(Wire.received(server)).as("session %d's datagram", s).hasSize(3);
        }
        org.mptunnel.RedundancyStats totals = server.stats().redundancy();
        assertThat(totals.notDecoded()).as("the one session past the budget").isEqualTo(1);
        assertThat(server.sessions.get(SESSION + fit).fecInbound()).isNull();
        assertThat(server.sessions.get(SESSION).fecInbound()).isNotNull();
    }
}
