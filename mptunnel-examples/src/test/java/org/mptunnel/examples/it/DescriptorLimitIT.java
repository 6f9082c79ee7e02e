package org.mptunnel.examples.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.DatagramPacket;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mptunnel.MultipathDatagramSocket;
import org.mptunnel.TunnelConfig;

/**
 * An mpserver out of descriptors: every datagram of a session that cannot get its target socket
 * fails the same way, and that is logged about once a second, not once per datagram.
 */
class DescriptorLimitIT {

    private static final int FILES = 64;
    private static final int SESSIONS = 80;
    private static final int DATAGRAMS_EACH = 5;

    private final List<AutoCloseable> started = new ArrayList<>();

    @AfterEach
    void stopEverything() throws Exception {
        for (int i = started.size() - 1; i >= 0; i--) {
            started.get(i).close();
        }
    }

    @Test
    @Timeout(60)
    void aFullDescriptorTableIsLoggedAFewTimesNotPerDatagram() throws Exception {
        TestEcho echo = new TestEcho();
        started.add(echo);
        ToolProcess server = ToolProcess.startWithFileLimit(FILES, "mpserver", "--bind", "127.0.0.1", "0", "127.0.0.1",
                String.valueOf(echo.port()));
        started.add(server);
        InetSocketAddress serverAddress = new InetSocketAddress(SocksTestClient.LOOPBACK, server.awaitListeningPort());
        long start = System.nanoTime();
        byte[] data = {'x'};
        for (int s = 0; s < SESSIONS; s++) {
            MultipathDatagramSocket client = MultipathDatagramSocket.open(TunnelConfig.client().path(serverAddress).build());
            started.add(client);
            for (int i = 0; i < DATAGRAMS_EACH; i++) {
                client.send(new DatagramPacket(data, 1));
            }
        }
        server.awaitErr("cannot open a socket towards .*Too many open files", Duration.ofSeconds(20));
        // Every datagram has been handled once the echo stops hearing new ones and the log is still.
        await().atMost(Duration.ofSeconds(20)).pollDelay(Duration.ofMillis(500)).pollInterval(Duration.ofMillis(500))
                .until(new java.util.concurrent.Callable<Boolean>() {
                    private long last = -1;

                    @Override
                    public Boolean call() {
                        long now = echo.received();
                        boolean still = now == last;
                        last = now;
                        return still;
                    }
                });
        double seconds = (System.nanoTime() - start) / 1e9;
        long lines = server.stderr().lines().filter(l -> l.contains("cannot open a socket towards")).count();
        System.out.printf("descriptor limit %d, %d sessions of %d datagrams: %d reached the target, %d lines in %.1f s%n",
                FILES, SESSIONS, DATAGRAMS_EACH, echo.received(), lines, seconds);
        assertThat(echo.received()).as("some sessions got their socket").isPositive();
        assertThat(lines).as(server.stderr()).isLessThanOrEqualTo((long) Math.ceil(seconds) + 1);
    }
}
