package org.mptunnel.it;

import java.net.DatagramPacket;
import java.net.SocketTimeoutException;
import org.mptunnel.MultipathDatagramSocket;

/**
 * Request and reply through a tunnel under attack: a server that echoes the 16-byte requests of
 * {@link Traffic} (and nothing else, so that an attacker's datagrams are not echoed), and a client
 * that counts the requests answered.
 */
final class RequestReply {

    static final int REQUEST_LENGTH = 16;

    private RequestReply() {
    }

    /**
     * Requests {@code first}..{@code first + count - 1}, each re-sent every 50 ms until its reply
     * comes or {@code perRequestMillis} pass.
     *
     * @return the requests answered
     */
    static int answered(MultipathDatagramSocket client, int first, int count, long perRequestMillis) throws Exception {
        client.setSoTimeout(50);
        DatagramPacket in = new DatagramPacket(new byte[64], 64);
        int answered = 0;
        for (int n = first; n < first + count; n++) {
            byte[] request = Traffic.datagram(n, REQUEST_LENGTH);
            long deadline = System.nanoTime() + perRequestMillis * 1_000_000L;
            while (System.nanoTime() - deadline < 0) {
                client.send(new DatagramPacket(request, request.length));
                try {
                    client.receive(in);
                } catch (SocketTimeoutException e) {
                    continue;
                }
                if (in.getLength() == REQUEST_LENGTH && Traffic.check(in.getData(), 0, in.getLength()) == n) {
                    answered++;
                    break;
                }
            }
        }
        return answered;
    }

    /** Starts a daemon thread that echoes every {@value #REQUEST_LENGTH}-byte datagram {@code server} receives. */
    static Thread echo(MultipathDatagramSocket server) {
        Thread echo = new Thread(() -> {
            DatagramPacket packet = new DatagramPacket(new byte[2048], 2048);
            while (!server.isClosed()) {
                try {
                    server.receive(packet);
                    if (packet.getLength() == REQUEST_LENGTH) {
                        server.send(packet);
                    }
                } catch (Exception e) {
                    return;
                }
            }
        }, "echo");
        echo.setDaemon(true);
        echo.start();
        return echo;
    }
}
