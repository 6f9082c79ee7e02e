package org.mptunnel.examples.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What mpclient does with the datagrams local applications send that are not ordinary: one above
 * {@code --max-payload} is dropped, counted on the statistics line and logged once per
 * application (a SOCKS one too); an empty one is carried into the tunnel like any other.
 */
class LocalDatagramsIT {

    private final Started started = new Started();

    @TempDir
    Path dir;

    @AfterEach
    void stopEverything() throws Exception {
        started.close();
    }

    private <T extends AutoCloseable> T track(T resource) {
        return started.track(resource);
    }

    @Test
    @Timeout(60)
    void tooLargeDatagramsAreCountedAndLoggedOncePerApplicationAndEmptyOnesAreCarried() throws Exception {
        TestEcho echo = track(new TestEcho());
        ToolProcess server = track(ToolProcess.start("mpserver", "--bind", "127.0.0.1", "--keepalive", "100ms",
                "--stats-interval", "0.2", "0", "127.0.0.1", String.valueOf(echo.port())));
        Path config = Files.writeString(dir.resolve("mpclient.conf"), "127.0.0.1 " + server.awaitListeningPort() + "\n");
        ToolProcess client = track(ToolProcess.start("mpclient", "--listen", "127.0.0.1:0", "--socks", "127.0.0.1:0",
                "--keepalive", "100ms", "--max-payload", "1000", "--stats-interval", "0.2", config.toString()));
        InetSocketAddress mpclient = new InetSocketAddress(SocksTestClient.LOOPBACK, client.awaitListeningPort());

        try (DatagramSocket a = track(new DatagramSocket(new InetSocketAddress(SocksTestClient.LOOPBACK, 0)));
             DatagramSocket b = track(new DatagramSocket(new InetSocketAddress(SocksTestClient.LOOPBACK, 0)))) {
            for (int i = 0; i < 3; i++) {
                a.send(new DatagramPacket(new byte[1500], 1500, mpclient));
                b.send(new DatagramPacket(new byte[1001], 1001, mpclient));
            }
            client.awaitOut("local-too-large 6\\b", Duration.ofSeconds(10));
            assertThat(echoed(a, mpclient, "fits")).as("the application is still served").isEqualTo("fits");
            assertThat(client.stderr().lines().filter(l -> l.contains("dropped: datagram of 1500 bytes")).count())
                    .as("logged once for application a").isEqualTo(1);
            assertThat(client.stderr().lines().filter(l -> l.contains("dropped: datagram of 1001 bytes")).count())
                    .as("logged once for application b").isEqualTo(1);

            // An empty datagram between two others: mpserver receives three from the tunnel.
            server.awaitOut("mpserver stats: .* delivered 1 ", Duration.ofSeconds(5));
            assertThat(echoed(a, mpclient, "")).as("the empty datagram reached the echo, and its reply came back").isEmpty();
            assertThat(echoed(a, mpclient, "after")).isEqualTo("after");
            server.awaitOut("mpserver stats: .* delivered 3 ", Duration.ofSeconds(5));
        }

        // The same through a SOCKS association: the mark and header count towards --max-payload.
        int socksPort = Integer.parseInt(client.awaitOut("SOCKS5 on 127\\.0\\.0\\.1:(\\d+)", Duration.ofSeconds(5))
                .group(1));
        try (SocksTestClient socks = new SocksTestClient(socksPort).associate()) {
            socks.send(new InetSocketAddress(SocksTestClient.LOOPBACK, echo.port()), "x".repeat(1000));
            client.awaitOut("socks-too-large 1 ", Duration.ofSeconds(10));
        }
        assertThat(client.stderr().lines().filter(l -> l.contains("SOCKS datagram from")).count()).isEqualTo(1);
    }

    /** @return the echo's reply to {@code text} through the tunnel, without the echo's port suffix */
    private static String echoed(DatagramSocket app, InetSocketAddress mpclient, String text) throws Exception {
        byte[] data = text.getBytes(StandardCharsets.US_ASCII);
        app.setSoTimeout(500);
        for (int attempt = 0; attempt < 10; attempt++) {
            app.send(new DatagramPacket(data, data.length, mpclient));
            DatagramPacket reply = new DatagramPacket(new byte[2048], 2048);
            try {
                app.receive(reply);
            } catch (SocketTimeoutException e) {
                continue;
            }
            String s = new String(reply.getData(), 0, reply.getLength(), StandardCharsets.US_ASCII);
            return s.substring(0, s.indexOf('|'));
        }
        throw new AssertionError("no reply to " + text);
    }
}
