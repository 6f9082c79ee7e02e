package org.mptunnel.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mptunnel.MultipathDatagramSocket;
import org.mptunnel.PathStats;
import org.mptunnel.SessionStats;
import org.mptunnel.TunnelStats;
import org.mptunnel.internal.bridge.Impairment;
import org.mptunnel.internal.wire.Header;
import org.mptunnel.internal.wire.Probe;

/**
 * Path validation (docs/PROTOCOL.md, "Path validation"), through real sockets on loopback: what a
 * server sends to addresses that claim to be a session's paths but never answer its challenge is
 * at most what those addresses sent it, while the client's real paths carry every reply; and a
 * client whose source port changes is validated on its new one within a round trip.
 */
class PathValidationTest {

    private static final byte[] KEY = SecureTunnelTest.KEY;
    private static final int DATAGRAMS = 300;
    private static final int LENGTH = 200;

    /**
     * Replies longer than the request, to a session whose only path never answers its challenge,
     * are held for its validation; when the session expires they are dropped and counted, as any
     * datagram sent on no path is.
     */
    @Test
    @Timeout(60)
    void repliesHeldForAValidationThatNeverComesAreCountedWhenTheSessionExpires() throws Exception {
        try (Loopback net = new Loopback();
             DatagramChannel silent = DatagramChannel.open()
                     .bind(new InetSocketAddress(Loopback.LOOPBACK, 0))) {
            MultipathDatagramSocket server = net.server(b -> b.sessionIdleTimeout(Duration.ofMillis(500)));
            ByteBuffer request = ByteBuffer.allocate(Header.LENGTH + 8);
            Header.write(request, Header.TYPE_DATA, 0x5E55, 0, 8);
            silent.send(request, Loopback.addressOf(server));
            server.setSoTimeout(5_000);
            DatagramPacket received = new DatagramPacket(new byte[64], 64);
            server.receive(received);
            for (int i = 0; i < 3; i++) {
                server.send(new DatagramPacket(new byte[1_000], 1_000, received.getSocketAddress()));
            }
            await().atMost(Duration.ofSeconds(20)).until(() -> server.stats().sessions().isEmpty());
            // the session leaves the table just before its held replies are discarded and counted
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                    assertThat(server.stats().sendDropped()).as("held replies dropped with their session").isEqualTo(3));
        }
    }

    @Test
    @Timeout(60)
    void v1KeepalivesForgedFromEightPortsGetNoMoreBytesThanTheySent() throws Exception {
        try (Loopback net = new Loopback(); Sockets forged = new Sockets(8)) {
            MultipathDatagramSocket server = net.server();
            InetSocketAddress serverAddress = Loopback.addressOf(server);
            InetSocketAddress bridge = net.bridge(serverAddress, Impairment.NONE).localAddress();
            MultipathDatagramSocket client = net.client(List.of(serverAddress, bridge));
            Echo echo = new Echo(server);
            try (Traffic.Receiver replies = new Traffic.Receiver(client)) {
                Traffic.sendPaced(client, 0, 20, LENGTH, 8, replies);
                await().atMost(Duration.ofSeconds(10)).until(() -> replies.received.get() == 20);
                long session = server.stats().sessions().get(0).sessionId();

                // The forgers claim the live session from 8 ports of their own, a keepalive each
                // every 5 ms, while the client's flow goes on.
                Thread forging = forgeKeepalives(forged, serverAddress, session);
                Traffic.sendPaced(client, 20, DATAGRAMS, LENGTH, 8, replies);
                await().atMost(Duration.ofSeconds(20)).until(() -> replies.received.get() == DATAGRAMS);
                forging.interrupt();
                forging.join(5_000);
                forged.awaitQuiet();

                TunnelStats stats = server.stats();
                System.out.printf("v1 forged keepalives: %d B in from 8 ports, %d B out to them (%.2fx); "
                                + "%d challenges, %d B withheld%n", forged.sentTotal(), forged.receivedTotal(),
                        (double) forged.receivedTotal() / forged.sentTotal(), stats.pathChallenges(),
                        stats.bytesWithheld());
                assertThat(forged.sentTotal()).isPositive();
                for (int i = 0; i < forged.size(); i++) {
                    assertThat(forged.received(i)).as("bytes sent to forged port %d", i)
                            .isLessThanOrEqualTo(forged.sent(i));
                }
                assertThat(replies.received.get()).as("every reply reached the client").isEqualTo(DATAGRAMS);
                assertThat(replies.damaged.get()).isZero();
                assertThat(stats.pathChallenges()).isPositive();
                List<PathStats> validated = stats.sessions().get(0).paths().stream().filter(PathStats::validated).toList();
                assertThat(validated).as("the client's two paths, and only they, are validated").hasSize(2);
            } finally {
                echo.close();
            }
        }
    }

    @Test
    @Timeout(60)
    void v2RelayResendingAuthenticDatagramsFromSevenSocketsGetsNoMoreBytesThanItSent() throws Exception {
        try (Loopback net = new Loopback(); Sockets others = new Sockets(7)) {
            MultipathDatagramSocket server = net.server(b -> b.preSharedKey(KEY));
            Tap tap = net.track(new Tap(Loopback.addressOf(server)));
            MultipathDatagramSocket client = net.client(List.of(tap.address()), b -> b.preSharedKey(KEY));
            Echo echo = new Echo(server);
            try (Traffic.Receiver replies = new Traffic.Receiver(client)) {
                Traffic.sendPaced(client, 0, 20, LENGTH, 8, replies);
                await().atMost(Duration.ofSeconds(10)).until(() -> replies.received.get() == 20);
                await().atMost(Duration.ofSeconds(5)).until(() -> onlyPath(server).validated());

                // From now on the relay sends each of the client's datagrams, fresh and authentic,
                // from the next of 8 sockets: its own upstream one and 7 others.
                DatagramSocket[] turns = new DatagramSocket[8];
                turns[0] = tap.upstreamSocket();
                for (int i = 0; i < 7; i++) {
                    turns[i + 1] = others.socket(i);
                }
                tap.rotation = turns;
                Traffic.sendPaced(client, 20, DATAGRAMS, LENGTH, 8, replies);
                await().atMost(Duration.ofSeconds(20)).until(() -> replies.received.get() == DATAGRAMS);
                tap.rotation = null;
                others.awaitQuiet();

                TunnelStats stats = server.stats();
                long in = stats.sessions().get(0).paths().stream()
                        .filter(p -> others.owns(p.remote())).mapToLong(PathStats::bytesReceived).sum();
                System.out.printf("v2 relay from 7 other sockets: %d B in from them, %d B out to them (%.2fx); "
                                + "%d challenges, %d B withheld%n", in, others.receivedTotal(),
                        (double) others.receivedTotal() / Math.max(in, 1), stats.pathChallenges(), stats.bytesWithheld());
                assertThat(in).as("the other sockets' datagrams were opened and heard").isPositive();
                for (int i = 0; i < others.size(); i++) {
                    InetSocketAddress address = others.address(i);
                    long sentByIt = stats.sessions().get(0).paths().stream().filter(p -> p.remote().equals(address))
                            .mapToLong(PathStats::bytesReceived).sum();
                    assertThat(others.received(i)).as("bytes sent to socket %d", i).isLessThanOrEqualTo(sentByIt);
                }
                assertThat(replies.received.get()).as("the client's flow lost nothing").isEqualTo(DATAGRAMS);
                assertThat(replies.damaged.get()).isZero();
            } finally {
                echo.close();
            }
        }
    }

    @Test
    @Timeout(60)
    void aClientWhoseSourcePortChangesIsValidatedOnTheNewOneWithinARoundTrip() throws Exception {
        try (Loopback net = new Loopback()) {
            MultipathDatagramSocket server = net.server(b -> b.preSharedKey(KEY));
            Tap tap = net.track(new Tap(Loopback.addressOf(server)));
            MultipathDatagramSocket client = net.client(List.of(tap.address()), b -> b.preSharedKey(KEY));
            Echo echo = new Echo(server);
            try (Traffic.Receiver replies = new Traffic.Receiver(client)) {
                Traffic.sendPaced(client, 0, 20, LENGTH, 8, replies);
                await().atMost(Duration.ofSeconds(10)).until(() -> replies.received.get() == 20);
                long handshakes = server.stats().handshakes();

                InetSocketAddress[] newSource = {null};
                BooleanSupplier validated = () -> server.stats().sessions().get(0).paths().stream()
                        .anyMatch(p -> p.remote().equals(newSource[0]) && p.validated());
                assertThat(validated.getAsBoolean()).isFalse(); // and the poll's code is loaded
                long moved = System.nanoTime();
                newSource[0] = tap.moveUpstream();
                // The next datagram, one of the flow's, comes from the new port.
                Traffic.sendPaced(client, 20, 21, LENGTH, 8, replies);
                long validatedAfter = awaitNanos(validated) - moved;
                Traffic.sendPaced(client, 21, 22, LENGTH, 8, replies);
                long resumedAfter = awaitNanos(() -> replies.has(21)) - moved;
                Traffic.sendPaced(client, 22, 120, LENGTH, 8, replies);
                // Every reply after the new port's validation comes back; only the reply to the
                // first datagram from it may have gone to the old port, still validated and up.
                await().atMost(Duration.ofSeconds(10)).until(() -> replies.received.get() >= 119);

                System.out.printf("new source port validated %.2f ms after the move; the next reply back %.2f ms"
                                + " after it; reply 20 %s (keepalive %d ms)%n", validatedAfter / 1e6,
                        resumedAfter / 1e6, replies.has(20) ? "came back" : "lost", Loopback.KEEPALIVE.toMillis());
                assertThat(server.stats().handshakes()).as("no new handshake").isEqualTo(handshakes);
                assertThat(server.stats().pathChallenges()).isPositive();
            } finally {
                echo.close();
            }
        }
    }

    @Test
    @Timeout(30)
    void aNewSessionsFirstReplyLongerThanItsRequestIsHeldUntilThePathIsValidatedNotLost() throws Exception {
        try (Loopback net = new Loopback()) {
            MultipathDatagramSocket server = net.server();
            MultipathDatagramSocket client = net.client(List.of(Loopback.addressOf(server)));
            server.setSoTimeout(5_000);
            client.setSoTimeout(5_000);
            client.send(new DatagramPacket(new byte[] {42}, 1));
            DatagramPacket request = new DatagramPacket(new byte[16], 16);
            server.receive(request);
            byte[] answer = Traffic.datagram(7, 1_000); // 40 times the request, as a DNS answer may be
            server.send(new DatagramPacket(answer, answer.length, request.getSocketAddress()));

            DatagramPacket reply = new DatagramPacket(new byte[2048], 2048);
            client.receive(reply);
            assertThat(Traffic.check(reply.getData(), reply.getOffset(), reply.getLength())).isEqualTo(7);
            assertThat(onlyPath(server).validated()).isTrue();
        }
    }

    private static PathStats onlyPath(MultipathDatagramSocket server) {
        List<SessionStats> sessions = server.stats().sessions();
        return sessions.isEmpty() || sessions.get(0).paths().size() != 1
                ? new PathStats(null, false, 0, 0, 0, 0, 0, 0, 0, -1, -1, false) : sessions.get(0).paths().get(0);
    }

    /** @return when {@code condition} first held, polled every 0.2 ms for at most 10 s */
    private static long awaitNanos(BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime() - deadline).as("condition within 10 s").isNegative();
            LockSupport.parkNanos(200_000);
        }
        return System.nanoTime();
    }

    /** Sends a v1 keepalive of {@code session} from each socket every 5 ms until interrupted. */
    private static Thread forgeKeepalives(Sockets from, InetSocketAddress server, long session) {
        Thread thread = new Thread(() -> {
            ByteBuffer keepalive = ByteBuffer.allocate(64);
            long number = 1L << 40;
            while (!Thread.currentThread().isInterrupted()) {
                for (int i = 0; i < from.size(); i++) {
                    Probe.writeKeepalive(keepalive, session, number++, System.nanoTime(), 0, 0);
                    from.send(i, keepalive.array(), server);
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
            }
        }, "forger");
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    /** Echoes every datagram a server receives back to its session, until closed. */
    static final class Echo implements AutoCloseable {
        private final Thread thread;

        Echo(MultipathDatagramSocket server) {
            thread = new Thread(() -> {
                DatagramPacket packet = new DatagramPacket(new byte[2048], 2048);
                while (!server.isClosed()) {
                    try {
                        packet.setLength(2048);
                        server.receive(packet);
                        server.send(packet);
                    } catch (IOException e) {
                        return;
                    }
                }
            }, "echo");
            thread.setDaemon(true);
            thread.start();
        }

        @Override
        public void close() {
            thread.interrupt();
        }
    }

    /** Loopback sockets of the test's own that count, each, the bytes sent from it and to it. */
    private static final class Sockets implements AutoCloseable {
        private final List<DatagramSocket> sockets = new ArrayList<>();
        private final AtomicLongArray sent;
        private final AtomicLongArray received;
        private final AtomicLong lastReceived = new AtomicLong(System.nanoTime());
        private final List<Thread> readers = new ArrayList<>();

        Sockets(int count) throws SocketException {
            sent = new AtomicLongArray(count);
            received = new AtomicLongArray(count);
            for (int i = 0; i < count; i++) {
                DatagramSocket socket = new DatagramSocket(new InetSocketAddress(Loopback.LOOPBACK, 0));
                socket.setSoTimeout(50);
                sockets.add(socket);
                int index = i;
                Thread reader = new Thread(() -> read(socket, index), "socket-" + i);
                reader.setDaemon(true);
                reader.start();
                readers.add(reader);
            }
        }

        private void read(DatagramSocket socket, int index) {
            DatagramPacket packet = new DatagramPacket(new byte[65_535], 65_535);
            while (!socket.isClosed()) {
                try {
                    socket.receive(packet);
                    received.addAndGet(index, packet.getLength());
                    lastReceived.set(System.nanoTime());
                } catch (SocketTimeoutException e) {
                    // look at isClosed again
                } catch (IOException e) {
                    return;
                }
            }
        }

        int size() {
            return sockets.size();
        }

        DatagramSocket socket(int i) {
            return sockets.get(i);
        }

        InetSocketAddress address(int i) {
            return (InetSocketAddress) sockets.get(i).getLocalSocketAddress();
        }

        boolean owns(SocketAddress address) {
            for (int i = 0; i < size(); i++) {
                if (address(i).equals(address)) {
                    return true;
                }
            }
            return false;
        }

        void send(int i, byte[] bytes, InetSocketAddress to) {
            try {
                sockets.get(i).send(new DatagramPacket(bytes, bytes.length, to));
                sent.addAndGet(i, bytes.length);
            } catch (IOException e) {
                // closed: the test is over
            }
        }

        long sent(int i) {
            return sent.get(i);
        }

        long received(int i) {
            return received.get(i);
        }

        long sentTotal() {
            long sum = 0;
            for (int i = 0; i < size(); i++) {
                sum += sent.get(i);
            }
            return sum;
        }

        long receivedTotal() {
            long sum = 0;
            for (int i = 0; i < size(); i++) {
                sum += received.get(i);
            }
            return sum;
        }

        /** Waits until nothing has arrived for 300 ms: what the server sent is all in. */
        void awaitQuiet() {
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> System.nanoTime() - lastReceived.get() > TimeUnit.MILLISECONDS.toNanos(300));
        }

        @Override
        public void close() throws InterruptedException {
            for (DatagramSocket socket : sockets) {
                socket.close();
            }
            for (Thread reader : readers) {
                reader.join(2_000);
            }
        }
    }
}
