package org.mptunnel.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.DatagramPacket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mptunnel.MultipathDatagramSocket;
import org.mptunnel.TunnelConfig;

/** A server that restarts on the same port serves the same client again, with nothing done at the client. */
class ServerRestartTest {

    /** How many sends the last request of {@link #echoOnce} took. */
    private int attempts;

    @Test
    @Timeout(30)
    void clientResumesWithARestartedServer() throws Exception {
        try (Loopback net = new Loopback()) {
            MultipathDatagramSocket first = net.server();
            InetSocketAddress address = Loopback.addressOf(first);
            MultipathDatagramSocket client = net.client(List.of(address));
            assertThat(echoOnce(client, first, 100)).as("replies before the restart").isEqualTo(100);

            first.close();
            MultipathDatagramSocket second = net.track(MultipathDatagramSocket.open(
                    TunnelConfig.server(address).keepaliveInterval(Loopback.KEEPALIVE).build()));
            long restartedAt = System.nanoTime();
            // The new server numbers its replies afresh: they must not look like the old server's.
            int answered = echoOnce(client, second, 1);
            assertThat(attempts).as("attempts until the restarted server's first reply arrived").isEqualTo(1);
            long resumedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - restartedAt);
            System.out.printf("client resumed %d ms after the server restarted (keepalive %d ms)%n",
                    resumedMillis, Loopback.KEEPALIVE.toMillis());
            assertThat(answered).isEqualTo(1);
            assertThat(resumedMillis).as("resumed within the test's patience").isLessThan(5_000);
        }
    }

    /**
     * Sends {@code count} requests, each answered by the server, and returns how many replies came
     * back; each request is retried every 100 ms for up to 5 s (the tries are left in {@link #attempts}).
     */
    private int echoOnce(MultipathDatagramSocket client, MultipathDatagramSocket server, int count) throws Exception {
        client.setSoTimeout(100);
        server.setSoTimeout(100);
        DatagramPacket in = new DatagramPacket(new byte[64], 64);
        DatagramPacket atServer = new DatagramPacket(new byte[64], 64);
        int answered = 0;
        for (int n = 0; n < count; n++) {
            byte[] request = {(byte) n};
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            attempts = 0;
            while (System.nanoTime() - deadline < 0) {
                attempts++;
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
