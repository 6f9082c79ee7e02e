package org.mptunnel.examples.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mptunnel.MultipathDatagramSocket;
import org.mptunnel.TunnelConfig;
import org.mptunnel.examples.server.TargetForwarder;

/**
 * mpclient's forwarder in one JVM, against an mpserver forwarder and an echo: a session idle for
 * the timeout is closed even while no application sends anything (the reader's sweep does not
 * wait for a datagram), the next datagram opens a new one, and close stops the reader.
 */
@Timeout(30)
class LocalForwarderTest {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    private DatagramSocket echo;
    private TargetForwarder server;
    private LocalForwarder client;

    @BeforeEach
    void start() throws IOException {
        echo = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0));
        Thread echoThread = new Thread(() -> {
            byte[] buffer = new byte[2048];
            DatagramPacket p = new DatagramPacket(buffer, buffer.length);
            while (!echo.isClosed()) {
                try {
                    p.setData(buffer);
                    echo.receive(p);
                    echo.send(p);
                } catch (IOException e) {
                    return;
                }
            }
        }, "echo");
        echoThread.setDaemon(true);
        echoThread.start();
        server = TargetForwarder.start(TunnelConfig.server(new InetSocketAddress(LOOPBACK, 0)).build(),
                new InetSocketAddress(LOOPBACK, echo.getLocalPort()));
        client = LocalForwarder.start(new InetSocketAddress(LOOPBACK, 0),
                TunnelConfig.client().path(server.localAddress()).build(), Duration.ofMillis(200), 16,
                LocalForwarder.DEFAULT_NEW_SESSIONS_PER_SECOND);
    }

    @AfterEach
    void stop() {
        client.close();
        server.close();
        echo.close();
    }

    @Test
    void anIdleSessionIsClosedWhileNoApplicationSends() throws IOException {
        try (DatagramSocket app = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0))) {
            app.setSoTimeout(5_000);
            assertThat(roundTrip(app, "hello")).isEqualTo("hello");
            assertThat(client.sessionCount()).isEqualTo(1);

            // Nothing more is sent: the sweep must run on the reader's own timer.
            await().atMost(Duration.ofSeconds(5)).until(() -> client.sessionCount() == 0);

            assertThat(roundTrip(app, "again")).as("the next datagram opens a new session").isEqualTo("again");
        }
    }

    @Test
    void closeStopsTheReaderAndFreesThePort() throws IOException {
        InetSocketAddress listen = client.localAddress();
        client.close();
        try (DatagramSocket rebound = new DatagramSocket(listen)) {
            assertThat(rebound.getLocalPort()).isEqualTo(listen.getPort());
        }
        assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().equals("mpclient-local-" + listen.getPort()));
    }

    /**
     * UDP allows empty datagrams: one from an application reaches the far end of the tunnel, and an
     * empty reply reaches the application. The far end is a bare tunnel socket, not mpserver's
     * forwarder, so that only mpclient's half is tested.
     */
    @Test
    void emptyDatagramsAreCarriedBothWays() throws Exception {
        try (MultipathDatagramSocket far = MultipathDatagramSocket.open(
                TunnelConfig.server(new InetSocketAddress(LOOPBACK, 0)).build());
             LocalForwarder near = LocalForwarder.start(new InetSocketAddress(LOOPBACK, 0),
                     TunnelConfig.client().path((InetSocketAddress) far.getLocalSocketAddress()).build(),
                     Duration.ofSeconds(30), 16, LocalForwarder.DEFAULT_NEW_SESSIONS_PER_SECOND);
             DatagramSocket app = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0))) {
            far.setSoTimeout(5_000);
            app.setSoTimeout(5_000);
            app.send(new DatagramPacket(new byte[0], 0, near.localAddress()));
            DatagramPacket received = new DatagramPacket(new byte[64], 64);
            far.receive(received);
            assertThat(received.getLength()).as("what the far end received").isZero();

            far.send(new DatagramPacket(new byte[0], 0, received.getSocketAddress()));
            DatagramPacket reply = new DatagramPacket(new byte[64], 64);
            app.receive(reply);
            assertThat(reply.getLength()).as("what the application received").isZero();
            assertThat(reply.getSocketAddress()).isEqualTo(near.localAddress());
        }
    }

    /**
     * A burst of new applications (new local ports) opens sessions at the paced rate only; the
     * others' datagrams are dropped and counted, and an application already served keeps being
     * served meanwhile.
     */
    @Test
    void aBurstOfNewApplicationsIsPacedAndCountedWhileAnExistingOneIsServed() throws Exception {
        int perSecond = 2;
        int newApplications = 40;
        List<DatagramSocket> apps = new ArrayList<>();
        try (LocalForwarder paced = LocalForwarder.start(new InetSocketAddress(LOOPBACK, 0),
                TunnelConfig.client().path(server.localAddress()).build(), Duration.ofSeconds(30), 256, perSecond);
             DatagramSocket existing = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0))) {
            existing.setSoTimeout(5_000);
            assertThat(roundTrip(paced, existing, "first")).isEqualTo("first");

            long start = System.nanoTime();
            for (int i = 0; i < newApplications; i++) {
                DatagramSocket app = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0));
                apps.add(app);
                app.send(new DatagramPacket(new byte[] {(byte) i}, 1, paced.localAddress()));
            }
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> paced.paced() + paced.sessionCount() == 1 + newApplications);
            double seconds = (System.nanoTime() - start) / 1e9;
            int opened = paced.sessionCount() - 1;
            // What was left of the first second's tokens, and what the time elapsed earned.
            assertThat(opened).isLessThanOrEqualTo(perSecond + (int) Math.ceil(seconds * perSecond));
            assertThat(paced.paced()).isEqualTo(newApplications - opened);
            assertThat(paced.line()).contains("local-paced " + paced.paced());
            assertThat(roundTrip(paced, existing, "still")).as("the existing application").isEqualTo("still");
        } finally {
            apps.forEach(DatagramSocket::close);
        }
    }

    private String roundTrip(DatagramSocket app, String text) throws IOException {
        return roundTrip(client, app, text);
    }

    private static String roundTrip(LocalForwarder forwarder, DatagramSocket app, String text) throws IOException {
        byte[] data = text.getBytes(StandardCharsets.UTF_8);
        app.send(new DatagramPacket(data, data.length, forwarder.localAddress()));
        DatagramPacket reply = new DatagramPacket(new byte[64], 64);
        app.receive(reply);
        return new String(reply.getData(), 0, reply.getLength(), StandardCharsets.UTF_8);
    }
}
