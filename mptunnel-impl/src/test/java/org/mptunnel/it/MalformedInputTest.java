package org.mptunnel.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mptunnel.MultipathDatagramSocket;
import org.mptunnel.TunnelStats;
import org.mptunnel.internal.bridge.Impairment;
import org.mptunnel.internal.wire.Header;

/**
 * Thousands of malformed datagrams at both roles while a real flow runs: every one is dropped and
 * counted, none reaches the application, and the flow does not notice.
 */
class MalformedInputTest {

    private static final int JUNK_PER_ROLE = 3_000;
    private static final int FLOW = 4_000;

    @Test
    @Timeout(90)
    void junkAtServerAndClientIsCountedAndNeverDelivered() throws Exception {
        try (Loopback net = new Loopback();
             DatagramChannel hostilePeer = DatagramChannel.open();
             DatagramChannel attacker = DatagramChannel.open()) {
            // The client's second path leads to a hostile peer that answers with junk: the only way
            // to reach a client, whose path sockets accept datagrams from their path's address only.
            hostilePeer.bind(new InetSocketAddress(Loopback.LOOPBACK, 0));
            MultipathDatagramSocket server = net.server();
            // Two real paths, so that the one datagram a loaded machine may drop in a socket buffer
            // does not count against the flow.
            InetSocketAddress bridge = net.bridge(Loopback.addressOf(server), Impairment.NONE).localAddress();
            MultipathDatagramSocket client = net.client(
                    List.of(Loopback.addressOf(server), bridge, (InetSocketAddress) hostilePeer.getLocalAddress()));
            SocketAddress clientPathAddress = hostilePeer.receive(ByteBuffer.allocate(2048)); // its first keepalive

            try (Traffic.Receiver atServer = new Traffic.Receiver(server)) {
                AtomicReference<Throwable> junkFailure = new AtomicReference<>();
                Thread junkThread = new Thread(() -> {
                    try {
                        flood(attacker, Loopback.addressOf(server), new Junk(7), () -> server.stats().malformedDropped());
                        flood(hostilePeer, clientPathAddress, new Junk(11), () -> junkCounted(client.stats()));
                    } catch (Throwable t) {
                        junkFailure.set(t);
                    }
                }, "junk");
                junkThread.start();
                Traffic.sendPaced(client, 0, FLOW, 300, 32, atServer);
                junkThread.join(60_000);
                assertThat(junkFailure.get()).isNull();

                await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                    assertThat(atServer.received).as("the real flow, all of it").hasValue(FLOW);
                    assertThat(server.stats().malformedDropped()).isEqualTo(JUNK_PER_ROLE);
                    assertThat(junkCounted(client.stats())).isEqualTo(JUNK_PER_ROLE);
                });
                assertThat(atServer.damaged).as("junk delivered as data").hasValue(0);
                assertThat(atServer.duplicates).hasValue(0);
                assertThat(server.stats().sessions()).as("junk opened no session").hasSize(1);
                assertThat(client.stats().delivered()).as("junk delivered to the client").isZero();
                System.out.printf("junk: server dropped %d malformed, client dropped %s; flow of %d intact%n",
                        server.stats().malformedDropped(), junkCounted(client.stats()), FLOW);
            }
        }
    }

    /** Everything a client drops as not-for-it: malformed, or another session's. */
    private static long junkCounted(TunnelStats stats) {
        return stats.malformedDropped() + stats.unknownSessionDropped();
    }

    /**
     * Sends the junk in bursts, letting the target's counter catch up between bursts so that no
     * datagram is lost in a socket buffer and every one must be counted.
     */
    private static void flood(DatagramChannel from, SocketAddress to, Junk junk, LongSupplier counted) throws Exception {
        for (int sent = 0; sent < JUNK_PER_ROLE; ) {
            for (int burst = 0; burst < 100; burst++, sent++) {
                from.send(ByteBuffer.wrap(junk.next()), to);
            }
            int target = sent;
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(1))
                    .alias("junk counted after " + target + " sent to " + to).until(counted::getAsLong, c -> c >= target);
        }
    }

    /** Plus one kind the client alone must refuse: a valid datagram of another session. */
    @Test
    @Timeout(30)
    void clientDropsValidDatagramsOfOtherSessions() throws Exception {
        try (Loopback net = new Loopback(); DatagramChannel peer = DatagramChannel.open()) {
            peer.bind(new InetSocketAddress(Loopback.LOOPBACK, 0));
            MultipathDatagramSocket client = net.client(List.of((InetSocketAddress) peer.getLocalAddress()));
            SocketAddress clientAddress = peer.receive(ByteBuffer.allocate(2048));
            for (int i = 0; i < 500; i++) {
                ByteBuffer datagram = ByteBuffer.allocate(Header.LENGTH + 8);
                Header.write(datagram, Header.TYPE_DATA, 0x5EED_0000L + i, i, 8);
                peer.send(datagram.clear(), clientAddress);
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> client.stats().unknownSessionDropped() == 500);
            assertThat(client.stats().delivered()).isZero();
        }
    }
}
