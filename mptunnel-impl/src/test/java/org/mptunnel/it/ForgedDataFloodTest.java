package org.mptunnel.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mptunnel.MultipathDatagramSocket;
import org.mptunnel.TunnelStats;
import org.mptunnel.internal.wire.Header;

/**
 * Issue 14 item 10 on loopback: forged 60 KB DATA with a live session's id, from another address
 * (127.0.0.2), cost the keyed server a bounded number of opens; the rest are dropped unopened and
 * counted, and the session keeps being served during and after the flood.
 */
class ForgedDataFloodTest {

    private static final int FORGERIES = 2_000;
    private static final int PAYLOAD = 60_000;
    /** Opens a source may fail at once ({@code FailedOpenBudget}: 1 MiB, at least 1 KiB each). */
    private static final int BURST = (1 << 20) / (PAYLOAD + 40) + 1;
    /** And per second after that (256 KiB/s), rounded up. */
    private static final int PER_SECOND = (256 << 10) / (PAYLOAD + 40) + 1;

    @Test
    @Timeout(60)
    void forgedDataOfALiveSessionAreMostlyRejectedUnopenedAndTheSessionIsServed() throws Exception {
        try (Loopback net = new Loopback();
             DatagramSocket attacker = new DatagramSocket(new InetSocketAddress(InetAddress.getByName("127.0.0.2"), 0))) {
            MultipathDatagramSocket server = net.server(b -> b.preSharedKey(SecureTunnelTest.KEY));
            MultipathDatagramSocket client = net.client(List.of(Loopback.addressOf(server)),
                    b -> b.preSharedKey(SecureTunnelTest.KEY));
            server.setSoTimeout(5_000);
            echo(client, server, 0);
            long session = client.stats().sessions().get(0).sessionId();

            byte[] forged = new byte[Header.LENGTH + PAYLOAD + 16];
            new Random(20_261_204L).nextBytes(forged);
            ByteBuffer header = ByteBuffer.wrap(forged);
            long start = System.nanoTime();
            for (int i = 0; i < FORGERIES; i++) {
                header.putShort(0, Header.MAGIC).put(2, Header.VERSION_SEALED).put(3, Header.TYPE_DATA)
                        .putShort(Header.GENERATION_OFFSET, (short) 1).putShort(6, (short) (PAYLOAD + 16))
                        .putLong(8, session).putLong(Header.SEQUENCE_OFFSET, (1L << 40) + i);
                attacker.send(new DatagramPacket(forged, forged.length, Loopback.addressOf(server)));
                if (i % 2 == 1) {
                    // Two at a time, so that the kernel's receive buffer (at least 208 KiB) drops none.
                    long sent = i + 1;
                    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(1))
                            .until(() -> examined(server.stats()) == sent);
                }
                if (i % 500 == 0) {
                    echo(client, server, 1 + i / 500); // served during the flood
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            TunnelStats stats = server.stats();
            assertThat(stats.authFailed()).as("opens tried in %.1f s", seconds)
                    .isLessThanOrEqualTo(BURST + (long) Math.ceil(seconds * PER_SECOND));
            assertThat(stats.rejectedUnopened()).isEqualTo(FORGERIES - stats.authFailed());
            echo(client, server, 99);
        }
    }

    private static long examined(TunnelStats stats) {
        return stats.authFailed() + stats.rejectedUnopened();
    }

    private static void echo(MultipathDatagramSocket client, MultipathDatagramSocket server, int n) throws Exception {
        byte[] request = Traffic.datagram(n, 100);
        client.send(new DatagramPacket(request, request.length));
        DatagramPacket received = new DatagramPacket(new byte[2048], 2048);
        server.receive(received);
        assertThat(Traffic.check(received.getData(), received.getOffset(), received.getLength())).isEqualTo(n);
    }
}
