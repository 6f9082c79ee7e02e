package org.mptunnel.it;

import static org.assertj.core.api.Assertions.assertThat;

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
            RequestReply.echo(server);
            assertThat(RequestReply.answered(client, 0, 10, 2_000)).as("before the attack").isEqualTo(10);
            long id = client.stats().sessions().get(0).sessionId();
            long serverSequence = Header.sequence(ByteBuffer.wrap(Tap.last(tap.toClient, Header.TYPE_DATA)));

            tap.injectToServer(forgedData(id, JUMP));
            tap.injectToClient(forgedData(id, serverSequence + JUMP));
            assertThat(RequestReply.answered(client, 10, 20, 2_000)).as("after one forged datagram each way").isEqualTo(20);

            for (int k = 0; k < 2; k++) { // two near each other: the window restarts there, then comes back
                tap.injectToServer(forgedData(id, 2 * JUMP + k));
                tap.injectToClient(forgedData(id, serverSequence + 2 * JUMP + k));
            }
            assertThat(RequestReply.answered(client, 30, 20, 2_000)).as("after two forged datagrams each way").isEqualTo(20);
        }
    }

    private static byte[] forgedData(long sessionId, long sequence) {
        ByteBuffer datagram = ByteBuffer.allocate(Header.LENGTH + 8);
        Header.write(datagram, Header.TYPE_DATA, sessionId, sequence, 8);
        return datagram.array();
    }
}
