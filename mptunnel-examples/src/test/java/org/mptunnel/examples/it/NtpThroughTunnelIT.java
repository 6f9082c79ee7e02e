package org.mptunnel.examples.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.net.DatagramSocketFactory;
import org.apache.commons.net.ntp.NTPUDPClient;
import org.apache.commons.net.ntp.NtpV3Packet;
import org.apache.commons.net.ntp.TimeInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.mptunnel.MultipathDatagramSocket;
import org.mptunnel.TunnelConfig;
import org.mptunnel.TunnelStats;
import org.mptunnel.examples.server.TargetForwarder;
import org.mptunnel.internal.bridge.Impairment;
import org.mptunnel.internal.bridge.UdpBridge;

/**
 * Drop-in proof: Apache Commons Net's {@link NTPUDPClient}, unchanged, asks a real NTP server
 * (chronyd) for the time through the tunnel. The library only accepts a
 * {@link DatagramSocketFactory}; the factory hands it a {@link MultipathDatagramSocket} whose three
 * paths each cross a bridge that loses 20 % of datagrams in both directions. The tunnel server
 * forwards each session to chronyd as mpserver does.
 */
class NtpThroughTunnelIT {

    private static final int CALLS = 50;
    private static final int PATHS = 3;
    private static final double LOSS = 0.20;
    private static final long SEED = 20_240_501L;
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(2);
    /** An NTP client would retry a lost exchange; this bounds how often, so a broken tunnel fails fast. */
    private static final int MAX_ATTEMPTS_PER_CALL = 5;
    private static final int LOCAL_STRATUM = 8;

    @Test
    @Timeout(180)
    void commonsNetNtpClientGetsValidTimeFromChronydOverLossyPaths(@TempDir Path dir) throws Exception {
        requireChronyd();
        InetAddress loopback = InetAddress.getLoopbackAddress();
        try (Chronyd chronyd = Chronyd.start(dir, LOCAL_STRATUM)) {
            InetSocketAddress ntp = new InetSocketAddress(loopback, chronyd.port());
            TunnelConfig serverConfig = TunnelConfig.server(new InetSocketAddress(loopback, 0))
                    .keepaliveInterval(Duration.ofMillis(200))
                    .build();
            List<UdpBridge> bridges = new ArrayList<>();
            try (TargetForwarder server = TargetForwarder.start(serverConfig, ntp)) {
                TunnelConfig.ClientBuilder client = TunnelConfig.client()
                        .localAddress(loopback)
                        .keepaliveInterval(Duration.ofMillis(200))
                        // The application believes it talks to chronyd itself: getTime gets this address.
                        .peerAddress(ntp);
                for (int i = 0; i < PATHS; i++) {
                    UdpBridge bridge = UdpBridge.start(new InetSocketAddress(loopback, 0), server.localAddress(),
                            Impairment.lossy(LOSS, SEED + i));
                    bridges.add(bridge);
                    client.path(bridge.localAddress());
                }
                TunnelFactory factory = new TunnelFactory(client.build());

                NTPUDPClient ntpClient = new NTPUDPClient();
                ntpClient.setDatagramSocketFactory(factory);
                ntpClient.setDefaultTimeout(CALL_TIMEOUT);
                int retries = 0;
                List<Long> offsets = new ArrayList<>();
                try {
                    for (int call = 0; call < CALLS; call++) {
                        for (int attempt = 1; ; attempt++) {
                            long before = System.currentTimeMillis();
                            TimeInfo info;
                            try {
                                info = ntpClient.getTime(ntp.getAddress(), ntp.getPort());
                            } catch (SocketTimeoutException lost) {
                                assertThat(attempt).as("attempts for call " + call).isLessThan(MAX_ATTEMPTS_PER_CALL);
                                retries++;
                                continue;
                            }
                            long after = System.currentTimeMillis();
                            assertValidReply(info, before, after);
                            info.computeDetails();
                            offsets.add(info.getOffset());
                            break;
                        }
                    }
                    assertThat(factory.opened).as("sockets the library asked the factory for").hasSize(1);
                    assertThat(factory.opened.get(0).isConnected()).isTrue();
                    TunnelStats clientStats = factory.opened.get(0).stats();
                    TunnelStats serverStats = server.tunnelStats();
                    long bridgeDrops = bridges.stream().mapToLong(UdpBridge::dropped).sum();
                    long bridgeForwarded = bridges.stream().mapToLong(UdpBridge::forwarded).sum();
                    offsets.sort(null);
                    System.out.printf("NTP through the tunnel: %d getTime calls answered, %d retried after a timeout;"
                                    + " bridges dropped %d and forwarded %d datagrams; duplicates dropped: client %d,"
                                    + " server %d; delivered: client %d, server %d; chronyd answered %d; median offset %d ms%n",
                            CALLS, retries, bridgeDrops, bridgeForwarded, clientStats.duplicatesDropped(),
                            serverStats.duplicatesDropped(), clientStats.delivered(), serverStats.delivered(),
                            server.fromTarget(), offsets.get(offsets.size() / 2));
                    assertThat(bridgeDrops).as("datagrams the bridges dropped").isPositive();
                    assertThat(clientStats.duplicatesDropped()).as("client duplicates dropped").isPositive();
                    assertThat(serverStats.duplicatesDropped()).as("server duplicates dropped").isPositive();
                    assertThat(clientStats.delivered()).as("replies delivered").isGreaterThanOrEqualTo(CALLS);
                    assertThat(server.fromTarget()).as("replies from chronyd").isGreaterThanOrEqualTo(CALLS);
                } finally {
                    ntpClient.close();
                }
            } finally {
                for (UdpBridge bridge : bridges) {
                    bridge.close();
                }
            }
        }
    }

    private static void assertValidReply(TimeInfo info, long before, long after) {
        NtpV3Packet reply = info.getMessage();
        assertThat(reply.getMode()).as("mode").isEqualTo(NtpV3Packet.MODE_SERVER);
        assertThat(reply.getStratum()).as("stratum").isEqualTo(LOCAL_STRATUM);
        assertThat(reply.getVersion()).as("version").isEqualTo(NtpV3Packet.VERSION_3);
        // The server echoes the request's transmit time: this reply answers this call's request.
        assertThat(reply.getOriginateTimeStamp().getTime()).as("originate time").isBetween(before - 1, after + 1);
        // chronyd reads the same clock (-x: it never sets it), so its time is ours within the round trip.
        assertThat(reply.getTransmitTimeStamp().getTime()).as("server transmit time").isBetween(before - 1_000, after + 1_000);
    }

    /** The real NTP server is a prerequisite of the suite, like the JDK: .ci/run installs it. */
    private static void requireChronyd() {
        assertThat(Files.isExecutable(Path.of("/usr/sbin/chronyd")))
                .as("chronyd is needed by this test: apt-get install -y chrony (.ci/run does it)").isTrue();
    }

    /** What the library asks for a socket: always a tunnel client, whatever local port it names. */
    private static final class TunnelFactory implements DatagramSocketFactory {
        private final TunnelConfig config;
        final List<MultipathDatagramSocket> opened = new ArrayList<>();

        TunnelFactory(TunnelConfig config) {
            this.config = config;
        }

        @Override
        public DatagramSocket createDatagramSocket() throws SocketException {
            try {
                MultipathDatagramSocket socket = MultipathDatagramSocket.open(config);
                opened.add(socket);
                return socket;
            } catch (IOException e) {
                throw (SocketException) new SocketException("cannot open the tunnel: " + e.getMessage()).initCause(e);
            }
        }

        // Each path has its own local port, so a requested local port or address cannot be honoured.
        @Override
        public DatagramSocket createDatagramSocket(int port) throws SocketException {
            return createDatagramSocket();
        }

        @Override
        public DatagramSocket createDatagramSocket(int port, InetAddress localAddress) throws SocketException {
            return createDatagramSocket();
        }
    }

    /**
     * chronyd in the foreground as a child process, serving its own clock on a loopback port with a
     * configuration in a temporary directory; it neither sets the system clock nor opens a command
     * socket, and it is stopped at close.
     */
    private static final class Chronyd implements AutoCloseable {
        private final ToolProcess process;
        private final int port;

        private Chronyd(ToolProcess process, int port) {
            this.process = process;
            this.port = port;
        }

        static Chronyd start(Path dir, int stratum) throws Exception {
            int port = freeUdpPort();
            Path conf = dir.resolve("chrony.conf");
            Files.writeString(conf, String.join("\n",
                    "port " + port,
                    "bindaddress 127.0.0.1",
                    "allow 127.0.0.1",
                    "local stratum " + stratum,
                    "cmdport 0",
                    "bindcmdaddress /",
                    "driftfile " + dir.resolve("drift"),
                    "pidfile " + dir.resolve("chronyd.pid"),
                    ""));
            // -d: foreground, log to stderr; -x: never touch the system clock. As root, -u root keeps
            // access to the temporary directory (the default would switch to the _chrony user); as
            // anyone else, -U lets it start unprivileged, which a loopback port above 1023 allows.
            List<String> command = new ArrayList<>(List.of("/usr/sbin/chronyd", "-d", "-x", "-f", conf.toString()));
            command.addAll("root".equals(System.getProperty("user.name")) ? List.of("-u", "root") : List.of("-U"));
            ToolProcess process = ToolProcess.startCommand(command.toArray(String[]::new));
            Chronyd chronyd = new Chronyd(process, port);
            try {
                chronyd.awaitServing();
            } catch (Exception | AssertionError e) {
                chronyd.close();
                throw e;
            }
            return chronyd;
        }

        int port() {
            return port;
        }

        /** Asks directly, over a plain socket, until chronyd answers. */
        private void awaitServing() throws Exception {
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            try (NTPUDPClient direct = new NTPUDPClient()) {
                direct.setDefaultTimeout(Duration.ofMillis(250));
                while (true) {
                    try {
                        direct.getTime(InetAddress.getLoopbackAddress(), port);
                        return;
                    } catch (SocketTimeoutException | java.net.PortUnreachableException notYet) {
                        if (System.nanoTime() > deadline) {
                            throw new AssertionError("chronyd did not answer within 20 s\n" + process.transcript());
                        }
                        // The next attempt waits its own timeout: no sleep needed.
                    }
                }
            }
        }

        private static int freeUdpPort() throws SocketException {
            try (DatagramSocket probe = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
                return probe.getLocalPort();
            }
        }

        @Override
        public void close() {
            process.close();
        }
    }
}
