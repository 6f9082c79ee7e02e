package org.mptunnel.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.DatagramPacket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mptunnel.MultipathDatagramSocket;
import org.mptunnel.internal.wire.Header;

/**
 * Issue 14 item 7: one forged v1 DATA with a live session's id and a sequence 10^12 ahead, in
 * either direction, must not end the session. It used to move the receiver's window so far that
 * every real datagram after it was too old: 100 % loss for as long as keepalives kept the session.
 * And two forged datagrams near each other, which do restart the window there, are undone by two
 * real ones.
 */
class ForgedJumpTest {

    private static final long JUMP = 1_000_000_000_000L;

    @Test
    @Timeout(60)
    void aForgedFarJumpInEitherDirectionDoesNotStopTheSession() throws Exception {
        try (Loopback net = new Loopback()) {
            MultipathDatagramSocket server = net.server();
            Tap tap = net.track(new Tap(Loopback.addressOf(server)));
            MultipathDatagramSocket client = net.client(List.of(tap.address()));
            echo(server);
            assertThat(requestReplies(client, 0, 10)).as("before the attack").isEqualTo(10);
            long id = client.stats().sessions().get(0).sessionId();
            long serverSequence = Header.sequence(ByteBuffer.wrap(Tap.last(tap.toClient, Header.TYPE_DATA)));

            tap.injectToServer(forgedData(id, JUMP));
            tap.injectToClient(forgedData(id, serverSequence + JUMP));
            assertThat(requestReplies(client, 10, 20)).as("after one forged datagram each way").isEqualTo(20);

            for (int k = 0; k < 2; k++) { // two near each other: the window restarts there, then comes back
                tap.injectToServer(forgedData(id, 2 * JUMP + k));
                tap.injectToClient(forgedData(id, serverSequence + 2 * JUMP + k));
            }
            assertThat(requestReplies(client, 30, 20)).as("after two forged datagrams each way").isEqualTo(20);
        }
    }

    private static byte[] forgedData(long sessionId, long sequence) {
        ByteBuffer datagram = ByteBuffer.allocate(Header.LENGTH + 8);
        Header.write(datagram, Header.TYPE_DATA, sessionId, sequence, 8);
        return datagram.array();
    }

    /**
     * Requests {@code first}..{@code first + count - 1}, each sent every 50 ms until its reply comes
     * or 2 s pass (40 keepalive intervals): returns the replies received.
     */
    private static int requestReplies(MultipathDatagramSocket client, int first, int count) throws Exception {
        client.setSoTimeout(50);
        DatagramPacket in = new DatagramPacket(new byte[64], 64);
        int answered = 0;
        for (int n = first; n < first + count; n++) {
            byte[] request = Traffic.datagram(n, 16);
            long deadline = System.nanoTime() + 2_000_000_000L;
            while (System.nanoTime() - deadline < 0) {
                client.send(new DatagramPacket(request, request.length));
                try {
                    client.receive(in);
                } catch (SocketTimeoutException e) {
                    continue;
                }
                if (in.getLength() == 16 && Traffic.check(in.getData(), 0, in.getLength()) == n) {
                    answered++;
                    break;
                }
            }
        }
        return answered;
    }

    private static void echo(MultipathDatagramSocket server) {
        Thread echo = new Thread(() -> {
            DatagramPacket packet = new DatagramPacket(new byte[2048], 2048);
            while (!server.isClosed()) {
                try {
                    server.receive(packet);
                    if (packet.getLength() == 16) { // the forged datagrams carry 8 bytes
                        server.send(packet);
                    }
                } catch (Exception e) {
                    return;
                }
            }
        }, "echo");
        echo.setDaemon(true);
        echo.start();
    }
}
