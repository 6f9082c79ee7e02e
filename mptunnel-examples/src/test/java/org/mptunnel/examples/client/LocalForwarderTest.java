package org.mptunnel.examples.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mptunnel.MultipathDatagramSocket;
import org.mptunnel.TunnelConfig;
import org.mptunnel.examples.flow.FlowFrame;
import org.mptunnel.examples.flow.FlowTimeouts;
import org.mptunnel.examples.server.TargetForwarder;

/**
 * mpclient's forwarder in one JVM, against an mpserver forwarder and an echo: every application is
 * a flow of one tunnel session, opened at start, with its own replies and its own target socket at
 * the far end; a flow silent for its timeout is forgotten even while no application sends (the
 * reader's sweep does not wait for a datagram), a conversation keeps the long timeout, flows beyond
 * the limit are refused and counted, and close stops the reader.
 */
@Timeout(30)
class LocalForwarderTest {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    /** Short enough to watch, long enough for a round trip on a loaded machine. */
    private static final FlowTimeouts SHORT = new FlowTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(30));

    private DatagramSocket echo;
    /** Every source address the echo has heard from. */
    private final Set<java.net.SocketAddress> echoPeers = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private TargetForwarder server;
    private FlowTunnel tunnel;
    private LocalForwarder client;

    @BeforeEach
    void start() throws IOException {
        echo = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0));
        Thread echoThread = new Thread(() -> {
            byte[] buffer = new byte[2048];
            DatagramPacket p = new DatagramPacket(buffer, buffer.length);
            while (!echo.isClosed()) {
                try {
                    p.setData(buffer);
                    echo.receive(p);
                    echoPeers.add(p.getSocketAddress());
                    echo.send(p);
                } catch (IOException e) {
                    return;
                }
            }
        }, "echo");
        echoThread.setDaemon(true);
        echoThread.start();
        server = TargetForwarder.start(TunnelConfig.server(new InetSocketAddress(LOOPBACK, 0)).build(),
                new InetSocketAddress(LOOPBACK, echo.getLocalPort()));
        tunnel = FlowTunnel.open(TunnelConfig.client().path(server.localAddress()).build(), 1_024);
        client = LocalForwarder.start(new InetSocketAddress(LOOPBACK, 0), tunnel, SHORT);
    }

    @AfterEach
    void stop() {
        client.close();
        tunnel.close();
        server.close();
        echo.close();
    }

    @Test
    void theSessionIsOpenAndItsPathKnownBeforeTheFirstApplicationSends() {
        assertThat(tunnel.allPathsUp()).as("the path answered a keepalive during open").isTrue();
        assertThat(server.tunnelStats().sessions()).hasSize(1);
    }

    @Test
    void manyApplicationsShareOneSessionAndEachGetsItsOwnRepliesAndItsOwnTargetSocket() throws IOException {
        List<DatagramSocket> apps = new ArrayList<>();
        try {
            for (int i = 0; i < 50; i++) {
                DatagramSocket app = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0));
                app.setSoTimeout(5_000);
                apps.add(app);
            }
            for (int i = 0; i < apps.size(); i++) {
                assertThat(roundTrip(apps.get(i), "app " + i)).isEqualTo("app " + i);
            }
            assertThat(client.flowCount()).isEqualTo(50);
            assertThat(server.tunnelStats().sessions()).as("one tunnel session for every application").hasSize(1);
            assertThat(echoPeers).as("the target sees one client per application").hasSize(50);
            assertThat(server.tunnelStats().handshakes()).isZero();
        } finally {
            apps.forEach(DatagramSocket::close);
        }
    }

    @Test
    void anIdleFlowIsForgottenWhileNoApplicationSends() throws IOException {
        try (DatagramSocket app = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0))) {
            app.setSoTimeout(5_000);
            assertThat(roundTrip(app, "hello")).isEqualTo("hello");
            assertThat(client.flowCount()).isEqualTo(1);

            // Nothing more is sent: the sweep must run on the reader's own timer.
            await().atMost(Duration.ofSeconds(5)).until(() -> client.flowCount() == 0);
            assertThat(client.line()).contains("local-flows-expired 1");

            assertThat(roundTrip(app, "again")).as("the next datagram opens a new flow").isEqualTo("again");
        }
    }

    @Test
    void aConversationKeepsTheLongTimeoutWhileASingleExchangeIsForgotten() throws IOException {
        try (DatagramSocket talker = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0));
             DatagramSocket asker = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0))) {
            talker.setSoTimeout(5_000);
            asker.setSoTimeout(5_000);
            assertThat(roundTrip(talker, "one")).isEqualTo("one");
            assertThat(roundTrip(talker, "two")).isEqualTo("two"); // sent after a reply: established
            assertThat(roundTrip(asker, "query")).isEqualTo("query");
            assertThat(client.flowCount()).isEqualTo(2);

            // the sweep counts each expiry, then sets the flow count once it has swept them all
            await().atMost(Duration.ofSeconds(5)).until(() -> client.flowCount() < 2);
            assertThat(client.line()).contains("local-flows-expired 1");
            assertThat(client.flowCount()).as("the conversation's flow, kept for 30 s").isEqualTo(1);
        }
    }

    @Test
    void flowsBeyondTheLimitAreRefusedAndCountedAndTheOthersServed() throws IOException {
        try (FlowTunnel small = FlowTunnel.open(TunnelConfig.client().path(server.localAddress()).build(), 2);
             LocalForwarder limited = LocalForwarder.start(new InetSocketAddress(LOOPBACK, 0), small, SHORT);
             DatagramSocket a = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0));
             DatagramSocket b = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0));
             DatagramSocket c = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0))) {
            for (DatagramSocket s : List.of(a, b, c)) {
                s.setSoTimeout(5_000);
            }
            assertThat(roundTrip(limited, a, "a")).isEqualTo("a");
            assertThat(roundTrip(limited, b, "b")).isEqualTo("b");
            c.send(new DatagramPacket(new byte[] {'c'}, 1, limited.localAddress()));
            await().atMost(Duration.ofSeconds(5)).until(() -> limited.refused() == 1);
            assertThat(limited.line()).contains("local-refused 1");
            assertThat(roundTrip(limited, a, "a again")).isEqualTo("a again");
        }
    }

    @Test
    void closeStopsTheReaderAndFreesThePort() throws IOException {
        InetSocketAddress listen = client.localAddress();
        client.close();
        try (DatagramSocket rebound = new DatagramSocket(listen)) {
            assertThat(rebound.getLocalPort()).isEqualTo(listen.getPort());
        }
        assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().equals("mpclient-local-" + listen.getPort()));
    }

    /**
     * UDP allows empty datagrams: one from an application reaches the far end of the tunnel as a
     * bare flow prefix, and an empty reply (the prefix alone) reaches the application. The far end
     * is a bare tunnel socket, not mpserver's forwarder, so that only mpclient's half is tested.
     */
    @Test
    void emptyDatagramsAreCarriedBothWays() throws Exception {
        try (MultipathDatagramSocket far = MultipathDatagramSocket.open(
                TunnelConfig.server(new InetSocketAddress(LOOPBACK, 0)).build());
             FlowTunnel flows = FlowTunnel.open(
                     TunnelConfig.client().path((InetSocketAddress) far.getLocalSocketAddress()).build(), 16);
             LocalForwarder near = LocalForwarder.start(new InetSocketAddress(LOOPBACK, 0), flows, SHORT);
             DatagramSocket app = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0))) {
            far.setSoTimeout(5_000);
            app.setSoTimeout(5_000);
            app.send(new DatagramPacket(new byte[0], 0, near.localAddress()));
            DatagramPacket received = new DatagramPacket(new byte[64], 64);
            far.receive(received);
            assertThat(received.getLength()).as("what the far end received: the prefix alone")
                    .isEqualTo(FlowFrame.LENGTH);

            far.send(new DatagramPacket(received.getData(), FlowFrame.LENGTH, received.getSocketAddress()));
            DatagramPacket reply = new DatagramPacket(new byte[64], 64);
            app.receive(reply);
            assertThat(reply.getLength()).as("what the application received").isZero();
            assertThat(reply.getSocketAddress()).isEqualTo(near.localAddress());
        }
    }

    /**
     * In the C original's format the C mpserver knows no flows: the application's datagram goes
     * without a prefix, and the reply, which has none, goes to the application that sent last.
     */
    @Test
    void inTheCFormatDatagramsGoWithoutAPrefix() throws Exception {
        try (MultipathDatagramSocket far = MultipathDatagramSocket.open(TunnelConfig.server(
                new InetSocketAddress(LOOPBACK, 0)).wireFormat(TunnelConfig.WireFormat.LEGACY).build());
             FlowTunnel flows = FlowTunnel.open(TunnelConfig.client().wireFormat(TunnelConfig.WireFormat.LEGACY)
                     .path((InetSocketAddress) far.getLocalSocketAddress()).build(), 16);
             LocalForwarder near = LocalForwarder.start(new InetSocketAddress(LOOPBACK, 0), flows, SHORT);
             DatagramSocket app = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0))) {
            far.setSoTimeout(5_000);
            app.setSoTimeout(5_000);
            app.send(new DatagramPacket(new byte[] {'h', 'i'}, 2, near.localAddress()));
            DatagramPacket received = new DatagramPacket(new byte[64], 64);
            far.receive(received);
            assertThat(java.util.Arrays.copyOf(received.getData(), received.getLength())).isEqualTo(new byte[] {'h', 'i'});

            far.send(new DatagramPacket(new byte[] {'o', 'k'}, 2, received.getSocketAddress()));
            DatagramPacket reply = new DatagramPacket(new byte[64], 64);
            app.receive(reply);
            assertThat(java.util.Arrays.copyOf(reply.getData(), reply.getLength())).isEqualTo(new byte[] {'o', 'k'});
        }
    }

    /**
     * A reply that names a flow which expired, whose slot another application has taken since, is
     * dropped and counted: the new application never gets the old one's replies.
     */
    @Test
    void aLateReplyToAnExpiredFlowReachesNoOtherApplication() throws Exception {
        try (MultipathDatagramSocket far = MultipathDatagramSocket.open(
                TunnelConfig.server(new InetSocketAddress(LOOPBACK, 0)).build());
             FlowTunnel flows = FlowTunnel.open(
                     TunnelConfig.client().path((InetSocketAddress) far.getLocalSocketAddress()).build(), 1);
             LocalForwarder near = LocalForwarder.start(new InetSocketAddress(LOOPBACK, 0), flows, SHORT);
             DatagramSocket first = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0));
             DatagramSocket second = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0))) {
            far.setSoTimeout(5_000);
            second.setSoTimeout(300);
            first.send(new DatagramPacket(new byte[] {1}, 1, near.localAddress()));
            DatagramPacket old = new DatagramPacket(new byte[64], 64);
            far.receive(old);
            byte[] oldPrefix = java.util.Arrays.copyOf(old.getData(), FlowFrame.LENGTH);
            await().atMost(Duration.ofSeconds(5)).until(() -> near.flowCount() == 0);

            second.send(new DatagramPacket(new byte[] {2}, 1, near.localAddress())); // takes the only slot
            DatagramPacket fresh = new DatagramPacket(new byte[64], 64);
            far.receive(fresh);
            assertThat(java.util.Arrays.copyOf(fresh.getData(), FlowFrame.LENGTH)).isNotEqualTo(oldPrefix);

            byte[] late = java.util.Arrays.copyOf(oldPrefix, FlowFrame.LENGTH + 1);
            late[FlowFrame.LENGTH] = 'x';
            far.send(new DatagramPacket(late, late.length, fresh.getSocketAddress()));
            await().atMost(Duration.ofSeconds(5)).until(() -> flows.line().contains("flows-unknown-replies 1"));
            DatagramPacket none = new DatagramPacket(new byte[64], 64);
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> second.receive(none))
                    .isInstanceOf(java.net.SocketTimeoutException.class);
        }
    }

    private String roundTrip(DatagramSocket app, String text) throws IOException {
        return roundTrip(client, app, text);
    }

    private static String roundTrip(LocalForwarder forwarder, DatagramSocket app, String text) throws IOException {
        byte[] data = text.getBytes(StandardCharsets.UTF_8);
        app.send(new DatagramPacket(data, data.length, forwarder.localAddress()));
        DatagramPacket reply = new DatagramPacket(new byte[64], 64);
        app.receive(reply);
        return new String(reply.getData(), 0, reply.getLength(), StandardCharsets.UTF_8);
    }
}
