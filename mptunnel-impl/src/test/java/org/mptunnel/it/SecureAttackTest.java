package org.mptunnel.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.ToLongFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mptunnel.MultipathDatagramSocket;
import org.mptunnel.TunnelStats;
import org.mptunnel.internal.crypto.Aead;
import org.mptunnel.internal.crypto.Handshake;
import org.mptunnel.internal.crypto.X25519;
import org.mptunnel.internal.wire.Header;

/**
 * Protocol v2 under attack, through real sockets: what someone without the key, or someone who
 * captured traffic, can and cannot do to a server and a client.
 */
class SecureAttackTest {

    private static final byte[] KEY = SecureTunnelTest.KEY;
    /**
     * For the tests that hold a datagram back while they inject hundreds: slow keepalives make an
     * early re-handshake (after a dead timeout of silence on a busy machine) unlikely meanwhile.
     */
    private static final Duration SLOW_KEEPALIVE = Duration.ofMillis(500);

    /** Every way a datagram can be dropped: the sum must grow by exactly what was injected. */
    private static final ToLongFunction<TunnelStats> DROPPED = s -> s.authFailed() + s.rejectedUnopened() + s.malformedDropped()
            + s.unknownSessionDropped() + s.duplicatesDropped() + s.tooOldDropped() + s.handshakesRefused();

    @Test
    @Timeout(30)
    void aWrongKeyMakesNoSessionDeliversNothingAndIsLoggedOncePerSource() throws Exception {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        PrintStream stderr = System.err;
        System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8));
        try (Loopback net = new Loopback()) {
            MultipathDatagramSocket server = net.server(b -> b.preSharedKey(KEY));
            MultipathDatagramSocket client = net.client(List.of(Loopback.addressOf(server)),
                    b -> b.preSharedKey(SecureTunnelTest.key(2)));
            for (int n = 0; n < 10; n++) {
                client.send(new DatagramPacket(new byte[] {(byte) n}, 1));
            }
            // The client retries every keepalive interval: several initiations, all refused.
            await().atMost(Duration.ofSeconds(10)).until(() -> server.stats().authFailed() >= 5);

            assertThat(server.stats().sessions()).as("no session without the key").isEmpty();
            assertThat(server.stats().delivered()).isZero();
            assertThat(server.stats().handshakes()).isZero();
            assertThat(client.stats().handshakes()).isZero();
        } finally {
            System.setErr(stderr);
        }
        String text = log.toString(StandardCharsets.UTF_8);
        List<String> warnings = text.lines().filter(l -> l.contains("does not authenticate")).toList();
        System.out.println("logged: " + warnings);
        assertThat(warnings).as("one line for the one source address").hasSize(1);
        assertThat(warnings.get(0)).contains("WARN").contains("127.0.0.1").contains("another pre-shared key");
        assertThat(text).doesNotContain(hex(KEY).substring(0, 16)).doesNotContain(hex(SecureTunnelTest.key(2)).substring(0, 16));
    }

    @Test
    @Timeout(60)
    void aFlippedBitAnywhereInAnyDatagramIsDroppedCountedAndChangesNothing() throws Exception {
        try (Loopback net = new Loopback()) {
            MultipathDatagramSocket server = net.server(b -> b.preSharedKey(KEY).keepaliveInterval(SLOW_KEEPALIVE));
            Tap tap = net.track(new Tap(Loopback.addressOf(server)));
            MultipathDatagramSocket client = net.client(List.of(tap.address()),
                    b -> b.preSharedKey(KEY).keepaliveInterval(SLOW_KEEPALIVE));
            await().atMost(Duration.ofSeconds(5)).until(() -> client.stats().handshakes() == 1);
            byte[] initiation = Tap.last(tap.toServer, Handshake.TYPE_INITIATION);
            byte[] response = Tap.last(tap.toClient, Handshake.TYPE_RESPONSE);
            server.setSoTimeout(2_000);
            client.setSoTimeout(2_000);

            // Client to server: a data datagram held back by the tap, so the server has never seen it.
            byte[] data = holdOne(tap, true, Header.TYPE_DATA,
                    () -> client.send(new DatagramPacket(Traffic.datagram(7, 40), 40)));
            injectFlipped(server, data, bytes -> tap.injectToServer(bytes));
            assertThat(server.stats().delivered()).as("nothing delivered from a flipped datagram").isZero();
            tap.injectToServer(data); // the original still goes through: its number was not recorded
            DatagramPacket atServer = new DatagramPacket(new byte[256], 256);
            server.receive(atServer);
            assertThat(Traffic.check(atServer.getData(), 0, atServer.getLength())).isEqualTo(7);

            // A keepalive, held back likewise.
            byte[] keepalive = holdOne(tap, true, Header.TYPE_KEEPALIVE, () -> { });
            injectFlipped(server, keepalive, bytes -> tap.injectToServer(bytes));

            // Server to client: a reply and an ack.
            byte[] reply = holdOne(tap, false, Header.TYPE_DATA, () -> server.send(atServer));
            injectFlipped(client, reply, bytes -> tap.injectToClient(bytes));
            assertThat(client.stats().delivered()).isZero();
            tap.injectToClient(reply);
            DatagramPacket atClient = new DatagramPacket(new byte[256], 256);
            client.receive(atClient);
            assertThat(Traffic.check(atClient.getData(), 0, atClient.getLength())).isEqualTo(7);
            byte[] ack = holdOne(tap, false, Header.TYPE_KEEPALIVE_ACK, () -> { });
            injectFlipped(client, ack, bytes -> tap.injectToClient(bytes));

            // The handshake's two messages, captured when the session began. The initiations come
            // from sockets of their own (32 bits each, within one source's examination budget), so
            // that any answer would be seen.
            List<DatagramSocket> attackers = new ArrayList<>();
            for (int i = 0; i < initiation.length * 8 / 32; i++) {
                attackers.add(new DatagramSocket(new InetSocketAddress(Loopback.LOOPBACK, 0)));
                attackers.get(i).setSoTimeout(50);
            }
            try {
                int[] sent = {0};
                injectFlipped(server, initiation, bytes -> attackers.get(sent[0]++ / 32).send(
                        new DatagramPacket(bytes, bytes.length, Loopback.addressOf(server))));
                for (DatagramSocket attacker : attackers) {
                    assertThat(receiveNothing(attacker)).as("no answer to a flipped initiation").isTrue();
                }
            } finally {
                attackers.forEach(DatagramSocket::close);
            }
            injectFlipped(client, response, bytes -> tap.injectToClient(bytes));

            assertThat(server.stats().sessions()).hasSize(1);
            assertThat(server.stats().sessions().get(0).paths()).hasSize(1);
            assertThat(server.stats().delivered()).isEqualTo(1);
            assertThat(client.stats().delivered()).isEqualTo(1);
            System.out.println("after bit flips: server " + counts(server.stats()) + "; client " + counts(client.stats()));
            assertThat(server.stats().authFailed()).as("flips that reach the AEAD fail it").isPositive();
            assertThat(client.stats().authFailed()).isPositive();

            // And the tunnel still works, both ways.
            client.send(new DatagramPacket(Traffic.datagram(8, 40), 40));
            server.receive(atServer);
            assertThat(Traffic.check(atServer.getData(), 0, atServer.getLength())).isEqualTo(8);
        }
    }

    @Test
    @Timeout(60)
    void replayedHandshakeAndDataDatagramsAreRejected() throws Exception {
        try (Loopback net = new Loopback()) {
            MultipathDatagramSocket server = net.server(b -> b.preSharedKey(KEY).keepaliveInterval(SLOW_KEEPALIVE));
            Tap tap = net.track(new Tap(Loopback.addressOf(server)));
            MultipathDatagramSocket client = net.client(List.of(tap.address()),
                    b -> b.preSharedKey(KEY).keepaliveInterval(SLOW_KEEPALIVE));
            await().atMost(Duration.ofSeconds(5)).until(() -> client.stats().handshakes() == 1);
            try (Traffic.Receiver receiver = new Traffic.Receiver(server)) {
                Traffic.sendPaced(client, 0, 100, 64, 16, receiver);
                await().atMost(Duration.ofSeconds(5)).until(() -> receiver.received.get() == 100);

                List<byte[]> captured = new ArrayList<>();
                for (Tap.Captured c : tap.toServer) {
                    if (c.type() == Header.TYPE_DATA) {
                        captured.add(c.bytes());
                    }
                }
                long duplicates = server.stats().duplicatesDropped();
                for (byte[] datagram : captured) {
                    tap.injectToServer(datagram);
                }
                await().atMost(Duration.ofSeconds(5))
                        .until(() -> server.stats().duplicatesDropped() == duplicates + captured.size());
                assertThat(receiver.duplicates).as("no replayed datagram delivered").hasValue(0);
                assertThat(receiver.received).hasValue(100);

                // The captured initiation, replayed from the client's path and from elsewhere.
                byte[] initiation = Tap.last(tap.toServer, Handshake.TYPE_INITIATION);
                long refused = server.stats().handshakesRefused();
                tap.injectToServer(initiation);
                try (DatagramSocket elsewhere = new DatagramSocket(new InetSocketAddress(Loopback.LOOPBACK, 0))) {
                    elsewhere.setSoTimeout(300);
                    elsewhere.send(new DatagramPacket(initiation, initiation.length, Loopback.addressOf(server)));
                    await().atMost(Duration.ofSeconds(5)).until(() -> server.stats().handshakesRefused() == refused + 2);
                    assertThat(receiveNothing(elsewhere)).as("no response to a replayed initiation").isTrue();
                }
                assertThat(server.stats().handshakes()).as("only the client's own").isEqualTo(client.stats().handshakes());
                assertThat(server.stats().sessions().get(0).paths()).as("no path learned from the replay").hasSize(1);
            }
        }
    }

    @Test
    @Timeout(60)
    void aForgedSessionFloodWithoutTheKeyLeavesNoServerState() throws Exception {
        try (Loopback net = new Loopback(); DatagramSocket attacker = new DatagramSocket()) {
            MultipathDatagramSocket server = net.server(b -> b.preSharedKey(KEY).maxSessions(8));
            MultipathDatagramSocket client = net.client(List.of(Loopback.addressOf(server)), b -> b.preSharedKey(KEY));
            await().atMost(Duration.ofSeconds(5)).until(() -> client.stats().handshakes() == 1);
            AtomicBoolean flooding = new AtomicBoolean(true);
            long[] sent = {0};
            Thread flood = new Thread(() -> {
                SplittableRandom random = new SplittableRandom(2026);
                ByteBuffer datagram = ByteBuffer.allocate(Header.LENGTH + 32 + Aead.TAG_LENGTH);
                byte[] initiation = new byte[Handshake.INITIATION_LENGTH];
                try {
                    while (flooding.get()) {
                        // sealed-looking data and keepalives of made-up sessions, and made-up initiations
                        Header.write(datagram, (byte) (1 + random.nextInt(2)), random.nextLong(), random.nextLong(1 << 20),
                                32 + Aead.TAG_LENGTH);
                        datagram.put(Header.VERSION_OFFSET, (byte) 2);
                        byte[] bytes = datagram.array();
                        attacker.send(new DatagramPacket(bytes, bytes.length, Loopback.addressOf(server)));
                        random.nextBytes(initiation);
                        ByteBuffer.wrap(initiation).putShort(0, Header.MAGIC).put(2, (byte) 2).put(3, Handshake.TYPE_INITIATION)
                                .putShort(4, (short) 2).putShort(6, (short) (Handshake.INITIATION_LENGTH - 24)).putLong(16, 0);
                        attacker.send(new DatagramPacket(initiation, initiation.length, Loopback.addressOf(server)));
                        sent[0]++;
                    }
                } catch (Exception e) {
                    // closed at the end
                }
            }, "flood");
            flood.start();
            try {
                await().atMost(Duration.ofSeconds(20)).until(() -> server.stats().unknownSessionDropped() > 10_000);
                assertThat(echo(client, server, 20)).as("the real client served during the flood").isEqualTo(20);
            } finally {
                flooding.set(false);
                flood.join(5_000);
            }
            TunnelStats stats = server.stats();
            System.out.printf("v2 flood: %d forged data/keepalives and %d forged initiations: %d unknown session,"
                    + " %d failed authentication, %d refused unread; sessions %d%n", sent[0], sent[0],
                    stats.unknownSessionDropped(), stats.authFailed(), stats.handshakesRefused(), stats.sessions().size());
            assertThat(stats.sessions()).as("only the real client's session").hasSize(1);
            assertThat(stats.sessionsRefused()).isZero();
            assertThat(stats.handshakes()).as("only the client's own (it may re-handshake when the flood drowns its keepalives)")
                    .isLessThanOrEqualTo(client.stats().handshakes() + client.stats().authFailed());
            attacker.setSoTimeout(200);
            assertThat(receiveNothing(attacker)).as("nothing ever sent to the attacker").isTrue();
        }
    }

    @Test
    @Timeout(60)
    void theServerNeverAnswersWithMoreBytesThanItGotAndBoundsHandshakeWorkPerSource() throws Exception {
        try (Loopback net = new Loopback(); DatagramSocket attacker = new DatagramSocket()) {
            MultipathDatagramSocket server = net.server(b -> b.preSharedKey(KEY));
            InetSocketAddress target = Loopback.addressOf(server);
            attacker.setSoTimeout(200);

            // Forged initiations (no key): examined up to the per-source budget, the rest refused unread.
            SplittableRandom random = new SplittableRandom(7);
            byte[] forged = new byte[Handshake.INITIATION_LENGTH];
            int count = 1_000;
            long start = System.nanoTime();
            for (int i = 0; i < count; i++) {
                random.nextBytes(forged);
                ByteBuffer.wrap(forged).putShort(0, Header.MAGIC).put(2, (byte) 2).put(3, Handshake.TYPE_INITIATION)
                        .putShort(4, (short) 2).putShort(6, (short) (Handshake.INITIATION_LENGTH - 24)).putLong(16, 0);
                attacker.send(new DatagramPacket(forged, forged.length, target));
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> server.stats().authFailed() + server.stats().handshakesRefused() == count);
            double seconds = (System.nanoTime() - start) / 1e9;
            long examined = server.stats().authFailed();
            System.out.printf("%d forged initiations in %.2f s: %d examined, %d refused unread%n", count, seconds,
                    examined, server.stats().handshakesRefused());
            assertThat(examined).as("examined within the per-source budget (burst 256, 64/s)")
                    .isLessThanOrEqualTo(256 + (long) Math.ceil(64 * seconds) + 1);
            assertThat(receiveNothing(attacker)).as("no byte back for a forged initiation").isTrue();

            // A key holder's fresh initiations, each for a new session: answered with fewer bytes, and
            // the X25519 work bounded by the per-source handshake budget (burst 64, 16/s). From another
            // address: the budgets are per IP address, and the forger's host has spent its own.
            Handshake.Initiator initiator = new Handshake.Initiator(KEY, Aead.Suite.AES_256_GCM, new X25519(new SecureRandom()));
            ByteBuffer message = ByteBuffer.allocate(Handshake.INITIATION_LENGTH);
            long bytesIn = 0;
            long bytesOut = 0;
            long answeredStart = System.nanoTime();
            try (DatagramSocket holder = new DatagramSocket(new InetSocketAddress(InetAddress.getByName("127.0.0.2"), 0))) {
                holder.setSoTimeout(20);
                for (int i = 0; i < 80; i++) {
                    int length = initiator.writeInitiation(message, 1_000 + i,
                            TimeUnit.MILLISECONDS.toMicros(System.currentTimeMillis()), 1);
                    holder.send(new DatagramPacket(message.array(), length, target));
                    bytesIn += length;
                    DatagramPacket answer = new DatagramPacket(new byte[2048], 2048);
                    try {
                        holder.receive(answer);
                        assertThat(answer.getLength()).isEqualTo(Handshake.RESPONSE_LENGTH).isLessThan(length);
                        bytesOut += answer.getLength();
                    } catch (SocketTimeoutException e) {
                        // refused: over the budget
                    }
                }
            }
            double answeredSeconds = (System.nanoTime() - answeredStart) / 1e9;
            System.out.printf("80 fresh initiations in %.2f s: %d bytes in, %d bytes out, %d answered%n",
                    answeredSeconds, bytesIn, bytesOut, server.stats().handshakes());
            assertThat(bytesOut).isLessThanOrEqualTo(bytesIn);
            assertThat(server.stats().handshakes()).as("X25519 work within the per-source budget")
                    .isGreaterThanOrEqualTo(64).isLessThanOrEqualTo(64 + (long) Math.ceil(16 * answeredSeconds) + 1);
        }
    }

    // --- helpers --------------------------------------------------------------------------------

    private interface Action {
        void run() throws Exception;
    }

    private interface Injector {
        void inject(byte[] bytes) throws Exception;
    }

    /** Holds back the next datagram of {@code type} in one direction, after running {@code trigger}. */
    private static byte[] holdOne(Tap tap, boolean toServer, int type, Action trigger) throws Exception {
        AtomicBoolean taken = new AtomicBoolean();
        java.util.function.Predicate<byte[]> once = b -> b.length > 3 && b[3] == type && b[2] == 2 && taken.compareAndSet(false, true);
        List<Tap.Captured> list = toServer ? tap.toServer : tap.toClient;
        if (toServer) {
            tap.holdToServer = once;
        } else {
            tap.holdToClient = once;
        }
        trigger.run();
        await().atMost(Duration.ofSeconds(5)).until(taken::get);
        await().atMost(Duration.ofSeconds(5)).until(() -> list.stream().anyMatch(Tap.Captured::held));
        byte[] held = null;
        for (Tap.Captured c : list) {
            if (c.held()) {
                held = c.bytes();
            }
        }
        if (toServer) {
            tap.holdToServer = b -> false;
        } else {
            tap.holdToClient = b -> false;
        }
        list.clear();
        return held;
    }

    /**
     * Injects one copy of {@code original} per bit with that bit flipped, and waits until the
     * receiver has counted every one of them as dropped.
     */
    private static void injectFlipped(MultipathDatagramSocket receiver, byte[] original, Injector injector) throws Exception {
        long before = DROPPED.applyAsLong(receiver.stats());
        int bits = original.length * 8;
        for (int bit = 0; bit < bits; bit++) {
            byte[] flipped = original.clone();
            flipped[bit / 8] ^= (byte) (1 << (bit % 8));
            injector.inject(flipped);
            if (bit % 64 == 63) { // let the receiver keep up: nothing may be lost to a full socket buffer
                long expected = before + bit + 1;
                await().atMost(Duration.ofSeconds(5)).until(() -> DROPPED.applyAsLong(receiver.stats()) >= expected);
            }
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> DROPPED.applyAsLong(receiver.stats()) >= before + bits);
        assertThat(DROPPED.applyAsLong(receiver.stats())).as("every flipped copy dropped and counted, once: %s",
                        counts(receiver.stats()))
                .isEqualTo(before + bits);
    }

    private static boolean receiveNothing(DatagramSocket socket) throws Exception {
        try {
            socket.receive(new DatagramPacket(new byte[2048], 2048));
            return false;
        } catch (SocketTimeoutException e) {
            return true;
        }
    }

    private static int echo(MultipathDatagramSocket client, MultipathDatagramSocket server, int count) throws Exception {
        client.setSoTimeout(100);
        server.setSoTimeout(100);
        int answered = 0;
        DatagramPacket atServer = new DatagramPacket(new byte[2048], 2048);
        DatagramPacket reply = new DatagramPacket(new byte[2048], 2048);
        for (int n = 0; n < count; n++) {
            byte[] request = Traffic.datagram(n, 16);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (System.nanoTime() - deadline < 0) {
                client.send(new DatagramPacket(request, request.length));
                try {
                    server.receive(atServer);
                    server.send(atServer);
                    client.receive(reply);
                } catch (SocketTimeoutException e) {
                    continue;
                }
                if (Traffic.check(reply.getData(), 0, reply.getLength()) == n) {
                    answered++;
                    break;
                }
            }
        }
        return answered;
    }

    private static String counts(TunnelStats s) {
        return "authFailed " + s.authFailed() + ", malformed " + s.malformedDropped() + ", unknownSession "
                + s.unknownSessionDropped() + ", duplicates " + s.duplicatesDropped() + ", tooOld " + s.tooOldDropped()
                + ", handshakesRefused " + s.handshakesRefused();
    }

    private static String hex(byte[] bytes) {
        StringBuilder out = new StringBuilder();
        for (byte b : bytes) {
            out.append(String.format("%02x", b));
        }
        return out.toString();
    }
}
