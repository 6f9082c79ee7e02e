package org.mptunnel.examples.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * mpclient and mpserver take no stall at their first datagram: the classes of the engine, of its
 * queues, of JMX and of the cryptography are loaded before they say {@code listening on}. Loading
 * them at the first datagram took mpclient 190 to 750 ms, while the application's datagrams piled up
 * and then left in a burst that a C mpserver's socket buffer could not hold. Seen in the JVM's own
 * class-loading log, time-stamped, against the moment the first datagram was sent: not a wall-clock
 * limit.
 */
class WarmStartIT {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    /** What a first datagram must not load: the engine, its queues, JMX, the JDK's ciphers and key agreement. */
    private static final Pattern COLD = Pattern.compile(
            "^\\[(\\d+)ms\\] ((?:org\\.mptunnel\\.internal|org\\.jctools|javax\\.management|java\\.lang\\.management"
                    + "|com\\.sun\\.jmx|javax\\.crypto|com\\.sun\\.crypto|sun\\.security)\\.\\S+)");

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

    /** The C original's format, towards a path that takes the datagrams and never answers. */
    @Test
    @Timeout(60)
    void legacyClientLoadsNothingOfTheEngineAtItsFirstDatagram() throws Exception {
        DatagramSocket sink = track(new DatagramSocket(new InetSocketAddress(LOOPBACK, 0)));
        sink.setSoTimeout(10_000);
        Path config = Files.writeString(dir.resolve("mpclient.conf"), "127.0.0.1 " + sink.getLocalPort() + "\n");
        Path classes = dir.resolve("mpclient-classes.log");
        ToolProcess client = track(ToolProcess.startWithEnvironment(withClassLog(List.of("MPTUNNEL_ENCRYPT=1"), classes),
                "mpclient", "--legacy", "--listen", "127.0.0.1:0", config.toString()));
        int port = client.awaitListeningPort();
        long[] window = firstDatagrams(port, app -> sink.receive(new DatagramPacket(new byte[2_048], 2_048)));
        assertNothingColdLoaded(client, classes, window);
    }

    /** With a key: the handshake with a real mpserver, authenticated encryption, and the reply's way back. */
    @Test
    @Timeout(60)
    void keyedClientLoadsNothingOfTheEngineOrTheCiphersAtItsFirstDatagram() throws Exception {
        List<String> key = List.of("MPTUNNEL_KEY=" + "5a".repeat(32));
        TestEcho echo = track(new TestEcho());
        ToolProcess server = track(ToolProcess.startWithEnvironment(key, "mpserver", "--bind", "127.0.0.1", "0",
                "127.0.0.1", String.valueOf(echo.port())));
        Path config = Files.writeString(dir.resolve("mpclient.conf"), "127.0.0.1 " + server.awaitListeningPort() + "\n");
        Path classes = dir.resolve("mpclient-classes.log");
        ToolProcess client = track(ToolProcess.startWithEnvironment(withClassLog(key, classes),
                "mpclient", "--listen", "127.0.0.1:0", config.toString()));
        int port = client.awaitListeningPort();
        long[] window = firstDatagrams(port, WarmStartIT::awaitAReply);
        assertNothingColdLoaded(client, classes, window);
    }

    /** mpserver too: its first session, in the C original's format, there and back. */
    @Test
    @Timeout(60)
    void legacyServerLoadsNothingOfTheEngineAtItsFirstSession() throws Exception {
        List<String> plain = List.of("MPTUNNEL_ENCRYPT=0");
        TestEcho echo = track(new TestEcho());
        Path classes = dir.resolve("mpserver-classes.log");
        ToolProcess server = track(ToolProcess.startWithEnvironment(withClassLog(plain, classes), "mpserver", "--legacy",
                "--bind", "127.0.0.1", "0", "127.0.0.1", String.valueOf(echo.port())));
        Path config = Files.writeString(dir.resolve("mpclient.conf"), "127.0.0.1 " + server.awaitListeningPort() + "\n");
        ToolProcess client = track(ToolProcess.startWithEnvironment(plain, "mpclient", "--legacy", "--listen",
                "127.0.0.1:0", config.toString()));
        long[] window = firstDatagrams(client.awaitListeningPort(), WarmStartIT::awaitAReply);
        assertNothingColdLoaded(server, classes, window);
    }

    private interface Arrival {
        /** Returns once the first datagrams have gone through, as far as the test can see them. */
        void await(DatagramSocket app) throws Exception;
    }

    private static void awaitAReply(DatagramSocket app) throws Exception {
        app.setSoTimeout(10_000);
        app.receive(new DatagramPacket(new byte[2_048], 2_048));
    }

    private static List<String> withClassLog(List<String> environment, Path classLog) {
        List<String> env = new ArrayList<>(environment);
        env.add("JAVA_TOOL_OPTIONS=-Xlog:class+load=info:file=" + classLog + ":timemillis");
        return env;
    }

    /**
     * Sends 20 datagrams of 1,400 bytes to mpclient's {@code port} and waits until they went through.
     *
     * @return the wall-clock milliseconds of the first send and of their arrival
     */
    private static long[] firstDatagrams(int port, Arrival arrival) throws Exception {
        try (DatagramSocket app = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0))) {
            app.connect(new InetSocketAddress(LOOPBACK, port));
            long firstSent = System.currentTimeMillis();
            for (int n = 0; n < 20; n++) {
                app.send(new DatagramPacket(new byte[1_400], 1_400));
            }
            arrival.await(app);
            return new long[] {firstSent, System.currentTimeMillis()};
        }
    }

    /** Stops the tool (what closing loads comes after the window) and reads its class-loading log. */
    private static void assertNothingColdLoaded(ToolProcess tool, Path classLog, long[] window) throws Exception {
        tool.terminate();
        tool.awaitExit(Duration.ofSeconds(15)); // the class log complete
        List<String> loadedByTheFirstDatagrams = new ArrayList<>();
        int cold = 0;
        for (String line : Files.readAllLines(classLog)) {
            Matcher m = COLD.matcher(line);
            if (m.find()) {
                cold++;
                long at = Long.parseLong(m.group(1));
                if (at >= window[0] && at <= window[1]) {
                    loadedByTheFirstDatagrams.add(m.group(2));
                }
            }
        }
        assertThat(cold).as("classes of the engine, JMX and the ciphers in the log at all").isPositive();
        assertThat(loadedByTheFirstDatagrams).as("classes loaded by the first datagrams, after 'listening on'").isEmpty();
    }
}
