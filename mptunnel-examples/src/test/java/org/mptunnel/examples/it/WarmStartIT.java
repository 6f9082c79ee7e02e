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
 * mpclient takes no stall at its first datagram: the classes of the engine, of its queues, of JMX
 * and of the cryptography are loaded before it says {@code listening on}. Loading them at the first
 * datagram took 190 to 360 ms, while the application's datagrams piled up and then left in a burst
 * that a C mpserver's socket buffer could not hold. Seen through the JVM's own class-loading log,
 * time-stamped, against the moment the first datagram was sent: not a wall-clock limit.
 */
class WarmStartIT {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    /** What a first datagram must not load: the engine, its queues, JMX, the JDK's ciphers and key agreement. */
    private static final Pattern COLD = Pattern.compile(
            "^\\[(\\d+)ms\\] ((?:org\\.mptunnel\\.internal|org\\.jctools|javax\\.management|java\\.lang\\.management"
                    + "|com\\.sun\\.jmx|javax\\.crypto|com\\.sun\\.crypto|sun\\.security)\\.\\S+)");

    private final List<AutoCloseable> started = new ArrayList<>();

    @TempDir
    Path dir;

    @AfterEach
    void stopEverything() throws Exception {
        for (int i = started.size() - 1; i >= 0; i--) {
            started.get(i).close();
        }
    }

    private <T extends AutoCloseable> T track(T resource) {
        started.add(resource);
        return resource;
    }

    /** The C original's format, towards a path that takes the datagrams and never answers. */
    @Test
    @Timeout(60)
    void legacyClientLoadsNothingOfTheEngineAtItsFirstDatagram() throws Exception {
        DatagramSocket sink = track(new DatagramSocket(new InetSocketAddress(LOOPBACK, 0)));
        sink.setSoTimeout(10_000);
        Path config = Files.writeString(dir.resolve("mpclient.conf"), "127.0.0.1 " + sink.getLocalPort() + "\n");
        assertTheFirstDatagramsLoadNothingCold(List.of("MPTUNNEL_ENCRYPT=1"), List.of("--legacy"), config, app -> {
            sink.receive(new DatagramPacket(new byte[2_048], 2_048)); // went through the send path
        });
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
        assertTheFirstDatagramsLoadNothingCold(key, List.of(), config, app -> {
            app.setSoTimeout(10_000);
            app.receive(new DatagramPacket(new byte[2_048], 2_048)); // there and back through the tunnel
        });
    }

    private interface Arrival {
        /** Returns once the first datagrams have gone through, as far as the test can see them. */
        void await(DatagramSocket app) throws Exception;
    }

    private void assertTheFirstDatagramsLoadNothingCold(List<String> environment, List<String> options, Path config,
                                                        Arrival arrival) throws Exception {
        Path classLog = dir.resolve("classes.log");
        List<String> env = new ArrayList<>(environment);
        env.add("JAVA_TOOL_OPTIONS=-Xlog:class+load=info:file=" + classLog + ":timemillis");
        List<String> args = new ArrayList<>(List.of("mpclient", "--listen", "127.0.0.1:0"));
        args.addAll(options);
        args.add(config.toString());
        ToolProcess client = track(ToolProcess.startWithEnvironment(env, args.toArray(String[]::new)));
        int port = client.awaitListeningPort();
        long firstSent;
        long through;
        try (DatagramSocket app = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0))) {
            app.connect(new InetSocketAddress(LOOPBACK, port));
            firstSent = System.currentTimeMillis();
            for (int n = 0; n < 20; n++) {
                app.send(new DatagramPacket(new byte[1_400], 1_400));
            }
            arrival.await(app);
            through = System.currentTimeMillis();
        }
        client.terminate(); // what closing loads comes after 'through' and is not counted
        client.awaitExit(Duration.ofSeconds(15)); // the class log complete

        List<String> loadedByTheFirstDatagrams = new ArrayList<>();
        int cold = 0;
        for (String line : Files.readAllLines(classLog)) {
            Matcher m = COLD.matcher(line);
            if (m.find()) {
                cold++;
                long at = Long.parseLong(m.group(1));
                if (at >= firstSent && at <= through) {
                    loadedByTheFirstDatagrams.add(m.group(2));
                }
            }
        }
        assertThat(cold).as("classes of the engine, JMX and the ciphers in the log at all").isPositive();
        assertThat(loadedByTheFirstDatagrams).as("classes loaded by the first datagrams, after 'listening on'").isEmpty();
    }
}
