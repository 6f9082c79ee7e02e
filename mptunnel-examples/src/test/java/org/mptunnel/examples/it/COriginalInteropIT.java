package org.mptunnel.examples.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Our {@code --legacy} tools against the real C original, built from its source (see
 * {@link COriginal}): the C mpclient through our mpserver, and our mpclient through the C mpserver,
 * plain ({@code MPTUNNEL_ENCRYPT=0}) and LFSR-obfuscated, over three mpbridges that each lose 20 %
 * both ways. 2,000 numbered datagrams of 256 bytes at 1,000/s go to a UDP echo and back; the round-trip
 * loss must match independent loss, 1 − (1 − 0.2³)² = 1.59 %, within four standard deviations of the
 * sample, in the whole run and in its first 1,000 datagrams (where a tool that stalls after saying
 * {@code listening on} loses a burst); every echo must come back intact and once. C against C, through
 * the same bridges, is the reference: when it fails too, the machine lost the datagrams.
 *
 * <p>{@code -Dmptunnel.cInterop.count=10000} (and {@code .size}, {@code .rate}) runs the figure of
 * BENCHMARKS.md, "Against the C original", by hand; {@code -Dmptunnel.it.jvmOptions=} runs our tools with
 * the JVM's defaults instead of the tests' quick-start options.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class COriginalInteropIT {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static final int COUNT = Integer.getInteger("mptunnel.cInterop.count", 2_000);
    /**
     * Small by default: the C tools keep the system's default socket buffer (208 KiB), which holds
     * about 90 datagrams of 1,400 bytes but 270 of 256, so that a busy machine's scheduler, which
     * may leave a C tool unscheduled for tens of milliseconds, costs fewer datagrams at 3,000 copies/s.
     */
    private static final int SIZE = Integer.getInteger("mptunnel.cInterop.size", 256);
    private static final int RATE = Integer.getInteger("mptunnel.cInterop.rate", 1_000);
    private static final int BRIDGES = 3;
    private static final double BRIDGE_LOSS = 0.2;
    /** Round trip: lost only if all three copies of the request, or all three of the echo, are lost. */
    private static final double THEORY = 1 - Math.pow(1 - Math.pow(BRIDGE_LOSS, BRIDGES), 2);
    private static final int START = Math.min(1_000, COUNT);
    private static final Duration DRAIN = Duration.ofSeconds(2);

    private Path bin;
    private Path logs;
    private TestEcho echo;
    private Path bridgesConfig;
    /** The bridges and the echo, shared by every test. */
    private final Started bridges = new Started();
    private final Started started = new Started();

    @BeforeAll
    void buildTheCToolsAndStartTheBridges() throws Exception {
        bin = COriginal.build();
        COriginal.assertPortsFree();
        logs = Files.createDirectories(Path.of(System.getProperty("mptunnel.cInterop.logs", "target/c-interop")));
        echo = bridges.track(new TestEcho());
        StringBuilder config = new StringBuilder();
        for (int i = 0; i < BRIDGES; i++) {
            ToolProcess bridge = ToolProcess.start("mpbridge", "--bind", "127.0.0.1", "--loss", String.valueOf(BRIDGE_LOSS),
                    "--seed", String.valueOf(15_000 + i), "0", "127.0.0.1", String.valueOf(COriginal.SERVER_PORT));
            bridges.track(bridge);
            config.append("127.0.0.1 ").append(bridge.awaitListeningPort()).append('\n');
        }
        // The C original's config format, which ours reads too: one "HOST PORT" per line.
        bridgesConfig = Files.writeString(logs.resolve("bridges.conf"), config);
    }

    @AfterEach
    void stopTheEnds() throws Exception {
        started.close();
    }

    @AfterAll
    void stopTheBridgesAndTheEcho() throws Exception {
        bridges.close();
    }

    @ParameterizedTest(name = "obfuscated: {0}")
    @ValueSource(booleans = {false, true})
    @Timeout(120)
    void cMpclientThroughOurMpserver(boolean obfuscated, TestInfo test) throws Exception {
        ToolProcess server = track(ToolProcess.startWithEnvironment(encrypt(obfuscated), "mpserver", "--legacy",
                "--bind", "127.0.0.1", String.valueOf(COriginal.SERVER_PORT), "127.0.0.1", String.valueOf(echo.port())));
        server.awaitListeningPort();
        assertThat(server.stdout()).contains(wireFormatNote(obfuscated));
        COriginal.Native client = track(COriginal.startClient(bin, bridgesConfig, obfuscated, log(test, "c-mpclient")));

        Result result = exchange(COriginal.CLIENT_PORT);
        report("C mpclient -> our mpserver --legacy", obfuscated, result, client.pid(), server.pid());
        assertAsTheoryHolds(result, client);
    }

    @ParameterizedTest(name = "obfuscated: {0}")
    @ValueSource(booleans = {false, true})
    @Timeout(120)
    void ourMpclientThroughCMpserver(boolean obfuscated, TestInfo test) throws Exception {
        COriginal.Native server = track(COriginal.startServer(bin, echo.port(), obfuscated, log(test, "c-mpserver")));
        ToolProcess client = track(ToolProcess.startWithEnvironment(encrypt(obfuscated), "mpclient", "--legacy",
                "--listen", "127.0.0.1:0", bridgesConfig.toString()));
        int clientPort = client.awaitListeningPort();
        assertThat(client.stdout()).contains(wireFormatNote(obfuscated));

        Result result = exchange(clientPort);
        report("our mpclient --legacy -> C mpserver", obfuscated, result, server.pid(), client.pid());
        assertAsTheoryHolds(result, server);
    }

    /**
     * The reference, through the same bridges and echo: C against C. If this fails too, the machine
     * (a stalled process, a full socket buffer) lost the datagrams, not our tools.
     */
    @Test
    @Timeout(120)
    void cMpclientThroughCMpserver(TestInfo test) throws Exception {
        COriginal.Native server = track(COriginal.startServer(bin, echo.port(), false, log(test, "c-mpserver")));
        COriginal.Native client = track(COriginal.startClient(bin, bridgesConfig, false, log(test, "c-mpclient")));

        Result result = exchange(COriginal.CLIENT_PORT);
        report("C mpclient -> C mpserver (the reference)", false, result, client.pid(), server.pid());
        assertAsTheoryHolds(result, server);
    }

    private static List<String> encrypt(boolean obfuscated) {
        return List.of("MPTUNNEL_ENCRYPT=" + (obfuscated ? 1 : 0));
    }

    private static String wireFormatNote(boolean obfuscated) {
        return "speaking the C original's wire format (" + (obfuscated ? "LFSR-obfuscated" : "plain, MPTUNNEL_ENCRYPT=0");
    }

    /**
     * What one run saw.
     *
     * @param echoed     the numbers that came back intact
     * @param duplicates echoes that came back a second time
     * @param corrupted  echoes whose bytes differ from what was sent
     * @param rttNanos   each echo's round trip (0 if none came back)
     */
    private record Result(BitSet echoed, int duplicates, int corrupted, long[] rttNanos) {
        int lost(int from, int to) {
            return (to - from) - echoed.get(from, to).cardinality();
        }

        double loss(int from, int to) {
            return (double) lost(from, to) / (to - from);
        }

        /** @return the longest round trip of datagrams {@code from} to {@code to}, in milliseconds: a stall shows here */
        double maxRttMillis(int from, int to) {
            long max = 0;
            for (int n = from; n < to; n++) {
                max = Math.max(max, rttNanos[n]);
            }
            return max / 1e6;
        }

        /** @return the longest run of consecutive datagrams lost: a stall loses a burst, independent loss rarely 4 */
        int longestLostRun() {
            int longest = 0;
            for (int n = echoed.nextClearBit(0); n < COUNT; n = echoed.nextClearBit(n)) {
                int end = echoed.nextSetBit(n);
                end = end < 0 ? COUNT : end;
                longest = Math.max(longest, end - n);
                n = end;
            }
            return longest;
        }
    }

    /**
     * Sends {@link #COUNT} numbered datagrams of {@link #SIZE} bytes at {@link #RATE}/s to
     * {@code port} from one socket, and takes the echoes until all are back or {@link #DRAIN} after
     * the last send.
     */
    private static Result exchange(int port) throws Exception {
        try (DatagramSocket app = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0))) {
            app.setReceiveBufferSize(4 << 20);
            app.connect(new InetSocketAddress(LOOPBACK, port));
            app.setSoTimeout(20);
            Receiver receiver = new Receiver(app);
            receiver.start();
            byte[] request = new byte[SIZE];
            DatagramPacket packet = new DatagramPacket(request, SIZE);
            long interval = TimeUnit.SECONDS.toNanos(1) / RATE;
            long start = System.nanoTime();
            for (int n = 0; n < COUNT; n++) {
                long due = start + n * interval;
                for (long wait; (wait = due - System.nanoTime()) > 0; ) {
                    LockSupport.parkNanos(wait);
                }
                fill(request, n);
                receiver.sentAt[n] = System.nanoTime();
                app.send(packet);
            }
            receiver.drainUntil(System.nanoTime() + DRAIN.toNanos());
            receiver.join(DRAIN.toMillis() + 5_000);
            assertThat(receiver.isAlive()).as("the receiver stopped").isFalse();
            long[] rtt = new long[COUNT];
            for (int n = receiver.echoed.nextSetBit(0); n >= 0; n = receiver.echoed.nextSetBit(n + 1)) {
                rtt[n] = receiver.receivedAt[n] - receiver.sentAt[n];
            }
            return new Result(receiver.echoed, receiver.duplicates, receiver.corrupted, rtt);
        }
    }

    /** Datagram {@code n}: its number, then bytes that depend on it and on their position. */
    private static void fill(byte[] datagram, int n) {
        ByteBuffer.wrap(datagram).putInt(0, n);
        for (int i = 4; i < datagram.length; i++) {
            datagram[i] = (byte) (n * 31 + i);
        }
    }

    /** Takes echoes (the request, then {@code |PORT} from {@link TestEcho}) and checks each. */
    private static final class Receiver extends Thread {
        private final DatagramSocket socket;
        final BitSet echoed = new BitSet(COUNT);
        /** Written by the sender before each send, read after both threads are done. */
        final long[] sentAt = new long[COUNT];
        final long[] receivedAt = new long[COUNT];
        int duplicates;
        int corrupted;
        private volatile long drainDeadline = Long.MAX_VALUE;

        Receiver(DatagramSocket socket) {
            super("c-interop-echoes");
            this.socket = socket;
            setDaemon(true);
        }

        void drainUntil(long deadline) {
            drainDeadline = deadline;
        }

        @Override
        public void run() {
            byte[] buffer = new byte[SIZE + 64];
            byte[] expected = new byte[SIZE];
            DatagramPacket reply = new DatagramPacket(buffer, buffer.length);
            while (echoed.cardinality() < COUNT && System.nanoTime() - drainDeadline < 0) {
                try {
                    reply.setData(buffer);
                    socket.receive(reply);
                } catch (SocketTimeoutException e) {
                    continue;
                } catch (java.io.IOException e) {
                    return;
                }
                int n = ByteBuffer.wrap(buffer).getInt(0);
                fill(expected, n >= 0 && n < COUNT ? n : 0);
                boolean intact = n >= 0 && n < COUNT && reply.getLength() > SIZE && buffer[SIZE] == '|'
                        && java.util.Arrays.equals(buffer, 0, SIZE, expected, 0, SIZE);
                if (!intact) {
                    corrupted++;
                } else if (echoed.get(n)) {
                    duplicates++;
                } else {
                    receivedAt[n] = System.nanoTime();
                    echoed.set(n);
                }
            }
        }
    }

    private static double allowedAbove(int n) {
        return THEORY + 4 * Math.sqrt(THEORY * (1 - THEORY) / n);
    }

    private static double allowedBelow(int n) {
        return Math.max(0, THEORY - 4 * Math.sqrt(THEORY * (1 - THEORY) / n));
    }

    /**
     * Prints the run's figures, with what the kernel dropped at full socket buffers of the two ends:
     * where a stall, of either end or of the machine, shows.
     */
    private static void report(String direction, boolean obfuscated, Result result, long cPid, long otherPid)
            throws java.io.IOException {
        System.out.printf("C original interop, %s, %s: %,d x %,d B at %,d/s over %d bridges losing %.0f%%: lost %d (%.2f%%;"
                        + " theory %.2f%%, allowed %.2f-%.2f%%), of the first %,d: %d, longest run lost %d, duplicates %d,"
                        + " corrupted %d; round trip of the first echoed %.1f ms, longest of the first %,d %.1f ms, of all %.1f ms;"
                        + " dropped at full socket buffers: C tool %d, other end %d%n",
                direction, obfuscated ? "obfuscated" : "plain", COUNT, SIZE, RATE, BRIDGES, BRIDGE_LOSS * 100,
                result.lost(0, COUNT), result.loss(0, COUNT) * 100, THEORY * 100, allowedBelow(COUNT) * 100,
                allowedAbove(COUNT) * 100, START, result.lost(0, START), result.longestLostRun(), result.duplicates,
                result.corrupted, result.rttNanos[Math.max(0, result.echoed.nextSetBit(0))] / 1e6, START,
                result.maxRttMillis(0, START),
                result.maxRttMillis(0, COUNT), COriginal.socketDrops(cPid), COriginal.socketDrops(otherPid));
    }

    private static void assertAsTheoryHolds(Result result, COriginal.Native cTool) throws Exception {
        String context = "C tool's log, last lines:\n" + cTool.tail();
        assertThat(result.corrupted).as("echoes not as sent; " + context).isZero();
        assertThat(result.duplicates).as("duplicates delivered").isZero();
        assertThat(result.loss(0, COUNT)).as("round-trip loss; " + context)
                .isBetween(allowedBelow(COUNT), allowedAbove(COUNT));
        assertThat(result.loss(0, START)).as("round-trip loss of the first %d datagrams, after 'listening on'", START)
                .isLessThanOrEqualTo(allowedAbove(START));
    }

    private Path log(TestInfo test, String tool) {
        String name = test.getTestMethod().orElseThrow().getName() + "-" + test.getDisplayName().replaceAll("\\W+", "");
        return logs.resolve(name + "-" + tool + ".log");
    }

    private <T extends AutoCloseable> T track(T resource) {
        return started.track(resource);
    }
}
