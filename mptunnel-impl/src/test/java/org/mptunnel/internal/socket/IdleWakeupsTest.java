package org.mptunnel.internal.socket;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mptunnel.MultipathDatagramSocket;
import org.mptunnel.internal.engine.Engine;

/**
 * An idle socket's I/O thread wakes for its timers only: with a pre-shared key as seldom as in
 * plaintext. A keyed client once woke every millisecond after its handshake (a retry time left in
 * the past), a thousand wake-ups a second per idle session.
 */
@Timeout(60)
class IdleWakeupsTest {

    private static final Duration KEEPALIVE = Duration.ofMillis(100);
    /** How long the sockets are watched while idle. */
    private static final Duration WINDOW = Duration.ofSeconds(2);

    private static byte[] key() {
        byte[] key = new byte[32];
        for (int i = 0; i < key.length; i++) {
            key[i] = (byte) (7 * i + 1);
        }
        return key;
    }

    private static Engine engine(MultipathDatagramSocket socket) {
        return ((MultipathSocket) socket).engine();
    }

    @Test
    void anIdleKeyedSessionWakesAboutAsOftenAsAPlaintextOne() throws Exception {
        try (SocketPair plain = SocketPair.open(s -> s.keepaliveInterval(KEEPALIVE), c -> c.keepaliveInterval(KEEPALIVE));
             SocketPair keyed = SocketPair.open(s -> s.keepaliveInterval(KEEPALIVE).preSharedKey(key()),
                     c -> c.keepaliveInterval(KEEPALIVE).preSharedKey(key()))) {
            plain.openSession();
            keyed.openSession(); // the handshake is done: the server opened the client's datagram

            long[] before = {engine(plain.client).ioTurns(), engine(keyed.client).ioTurns(),
                    engine(plain.server).ioTurns(), engine(keyed.server).ioTurns()};
            LockSupport.parkNanos(WINDOW.toNanos()); // the measurement window, not synchronisation
            long plainClient = engine(plain.client).ioTurns() - before[0];
            long keyedClient = engine(keyed.client).ioTurns() - before[1];
            long plainServer = engine(plain.server).ioTurns() - before[2];
            long keyedServer = engine(keyed.server).ioTurns() - before[3];

            // A timer tick every 25 ms and a keepalive or its ack every 100 ms: about 100 turns in 2 s.
            assertThat(plainClient).as("plaintext client's turns").isBetween(10L, 400L);
            assertThat(keyedClient).as("keyed client's turns, against %d in plaintext", plainClient)
                    .isLessThanOrEqualTo(2 * plainClient + 10);
            assertThat(keyedServer).as("keyed server's turns, against %d in plaintext", plainServer)
                    .isLessThanOrEqualTo(2 * plainServer + 10);
        }
    }
}
