package org.mptunnel.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mptunnel.MultipathDatagramSocket;
import org.mptunnel.internal.wire.Header;

/**
 * A flood of junk and of well-formed datagrams under made-up session ids cannot push out live
 * sessions, and cannot keep a new client out: a full table gives way only to sessions that have
 * gone silent, and one source (an IP address) opens new sessions only at a limited rate.
 */
class SpoofedSessionFloodTest {

    private static final int MAX_SESSIONS = 8;
    /**
     * The flood's pace, 40,000 datagrams/s: far past every per-source budget, yet not so fast that the
     * server's socket drops the live client's requests for lack of a CPU, which on a loaded 2-CPU
     * machine made an unpaced flood's test run out of time (the property tested is the table's and
     * the budgets', not the socket's capacity).
     */
    private static final int FLOOD_PAIRS_PER_MILLISECOND = 20;

    @Test
    @Timeout(60)
    void spoofedSessionsNeitherDisplaceLiveOnesNorLockNewClientsOut() throws Exception {
        try (Loopback net = new Loopback(); DatagramChannel attacker = DatagramChannel.open()) {
            MultipathDatagramSocket server = net.server(b -> b.maxSessions(MAX_SESSIONS));
            MultipathDatagramSocket client = net.client(List.of(Loopback.addressOf(server)));
            Thread echo = RequestReply.echo(server);

            AtomicBoolean flooding = new AtomicBoolean(true);
            AtomicLong spoofed = new AtomicLong();
            Thread flood = new Thread(() -> {
                SplittableRandom random = new SplittableRandom(99);
                ByteBuffer datagram = ByteBuffer.allocate(Header.LENGTH + 32);
                byte[] noise = new byte[Header.LENGTH + 32];
                try {
                    long nextBurst = System.nanoTime();
                    while (flooding.get()) {
                        for (int i = 0; i < FLOOD_PAIRS_PER_MILLISECOND; i++) {
                            // well-formed datagrams of made-up sessions, and random bytes in between
                            Header.write(datagram, Header.TYPE_DATA, random.nextLong(), 0, 32);
                            attacker.send(datagram.clear(), Loopback.addressOf(server));
                            random.nextBytes(noise);
                            attacker.send(ByteBuffer.wrap(noise), Loopback.addressOf(server));
                            spoofed.incrementAndGet();
                        }
                        // a flood thread that fell behind starts afresh rather than catching up in one unpaced burst
                        nextBurst = Math.max(nextBurst + 1_000_000, System.nanoTime());
                        LockSupport.parkNanos(nextBurst - System.nanoTime());
                    }
                } catch (Exception e) {
                    // closed at the end of the test
                }
            }, "flood");
            flood.start();
            try {
                await().atMost(Duration.ofSeconds(10)).until(() -> spoofed.get() > 20_000);
                assertThat(RequestReply.answered(client, 0, 200, 5_000)).as("the live client's requests answered during the flood").isEqualTo(200);
                assertThat(server.stats().sessions()).as("never more than the limit").hasSizeLessThanOrEqualTo(MAX_SESSIONS);
                assertThat(server.stats().sessions()).extracting(s -> s.sessionId())
                        .as("the live session was not displaced").contains(client.stats().sessions().get(0).sessionId());

                // from another address: the attacker's host has spent its own per-source budget
                InetAddress elsewhere = InetAddress.getByName("127.0.0.2");
                MultipathDatagramSocket newcomer = net.client(List.of(Loopback.addressOf(server)), b -> b.localAddress(elsewhere));
                assertThat(RequestReply.answered(newcomer, 0, 20, 5_000)).as("a new client joining during the flood").isEqualTo(20);
            } finally {
                flooding.set(false);
                flood.join(5_000);
            }
            System.out.printf("flood: %d spoofed-session datagrams and as many random ones; %d sessions refused, "
                    + "%d malformed dropped; both real clients served%n",
                    spoofed.get(), server.stats().sessionsRefused(), server.stats().malformedDropped());
            echo.interrupt();
        }
    }
}
