package org.mptunnel.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.DatagramPacket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mptunnel.MultipathDatagramSocket;
import org.mptunnel.TunnelConfig;
import org.mptunnel.TunnelConfig.WireFormat;

/**
 * The legacy format has no session id or epoch: a restarted peer just numbers from 1 again. Each
 * test would fail without the restart heuristic, because the new numbers were seen (or fell out of
 * the window) before the restart.
 */
class LegacyRestartTest {

    private static final WireFormat FORMAT = WireFormat.LEGACY;
    private static final int WINDOW = 64;

    @Test
    @Timeout(30)
    void aRestartedClientIsServedAgainOnceItsOldNumbersAreTooOld() throws Exception {
        try (Loopback net = new Loopback()) {
            MultipathDatagramSocket server = net.server(b -> b.wireFormat(FORMAT).duplicateWindow(WINDOW));
            List<InetSocketAddress> direct = List.of(Loopback.addressOf(server));
            try (Traffic.Receiver receiver = new Traffic.Receiver(server)) {
                MultipathDatagramSocket first = net.client(direct, b -> b.wireFormat(FORMAT));
                Traffic.sendPaced(first, 0, 200, 100, 16, receiver);
                await().atMost(Duration.ofSeconds(5)).until(() -> receiver.received.get() == 200);
                first.close();

                // Ids 1..20 again: 180 or more behind the newest (200), so too old for a 64-wide window.
                MultipathDatagramSocket second = net.client(direct, b -> b.wireFormat(FORMAT));
                Traffic.sendPaced(second, 200, 220, 100, 16, receiver);
                await().atMost(Duration.ofSeconds(5)).until(() -> receiver.received.get() == 220);
                assertThat(server.stats().tooOldDropped()).isZero();
                assertThat(receiver.duplicates).hasValue(0);
            }
        }
    }

    @Test
    @Timeout(30)
    void aClientRestartedAfterASilenceIsServedAgainEvenWithinTheWindow() throws Exception {
        Duration silence = Duration.ofMillis(200);
        try (Loopback net = new Loopback()) {
            MultipathDatagramSocket server = net.server(b -> b.wireFormat(FORMAT).deadTimeout(silence));
            List<InetSocketAddress> direct = List.of(Loopback.addressOf(server));
            try (Traffic.Receiver receiver = new Traffic.Receiver(server)) {
                MultipathDatagramSocket first = net.client(direct, b -> b.wireFormat(FORMAT));
                Traffic.sendPaced(first, 0, 10, 100, 16, receiver);
                await().atMost(Duration.ofSeconds(5)).until(() -> receiver.received.get() == 10);
                first.close();
                long silentSince = System.nanoTime();
                // The heuristic needs the peer to have been silent this long: the wait is the input.
                await().pollDelay(Duration.ZERO).atMost(Duration.ofSeconds(5))
                        .until(() -> System.nanoTime() - silentSince > silence.toNanos() * 3 / 2);

                // Ids 1..5 again: seen before and inside the window, so duplicates but for the silence.
                MultipathDatagramSocket second = net.client(direct, b -> b.wireFormat(FORMAT));
                Traffic.sendPaced(second, 10, 15, 100, 16, receiver);
                await().atMost(Duration.ofSeconds(5)).until(() -> receiver.received.get() == 15);
                assertThat(server.stats().duplicatesDropped()).isZero();
            }
        }
    }

    @Test
    @Timeout(30)
    void aClientResumesWithARestartedServer() throws Exception {
        try (Loopback net = new Loopback()) {
            MultipathDatagramSocket first = net.server(b -> b.wireFormat(FORMAT));
            InetSocketAddress address = Loopback.addressOf(first);
            MultipathDatagramSocket client = net.client(List.of(address),
                    b -> b.wireFormat(FORMAT).duplicateWindow(WINDOW));
            assertThat(echo(client, first, 100)).as("replies before the restart").isEqualTo(100);

            first.close();
            MultipathDatagramSocket second = net.track(MultipathDatagramSocket.open(
                    TunnelConfig.server(address).wireFormat(FORMAT).build()));
            // The new server numbers its replies from 1 again: 1..100 came from the old one.
            assertThat(echo(client, second, 10)).as("replies after the restart").isEqualTo(10);
            assertThat(client.stats().tooOldDropped()).isZero();
        }
    }

    /** Sends {@code count} one-byte requests, each echoed by the server; returns how many replies came back. */
    private static int echo(MultipathDatagramSocket client, MultipathDatagramSocket server, int count) throws Exception {
        client.setSoTimeout(100);
        server.setSoTimeout(100);
        DatagramPacket in = new DatagramPacket(new byte[64], 64);
        DatagramPacket atServer = new DatagramPacket(new byte[64], 64);
        int answered = 0;
        for (int n = 0; n < count; n++) {
            byte[] request = {(byte) n};
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            while (System.nanoTime() - deadline < 0) {
                client.send(new DatagramPacket(request, 1));
                try {
                    server.receive(atServer);
                    server.send(atServer);
                    client.receive(in);
                } catch (SocketTimeoutException e) {
                    continue;
                }
                if (in.getData()[0] == (byte) n) {
                    answered++;
                    break;
                }
            }
        }
        return answered;
    }
}
