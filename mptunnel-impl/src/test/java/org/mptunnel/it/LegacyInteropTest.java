package org.mptunnel.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mptunnel.MultipathDatagramSocket;
import org.mptunnel.TunnelConfig.WireFormat;
import org.mptunnel.internal.legacy.LegacyHeader;
import org.mptunnel.internal.legacy.LegacyVectors;
import org.mptunnel.internal.legacy.LegacyVectors.Vector;

/**
 * Our legacy sockets against a plain UDP socket that plays the C peer with the captured datagrams:
 * what the C client sent reaches our server's application, what the C server sent reaches our
 * client's, and what ours send decodes as the C code would read it.
 */
class LegacyInteropTest {

    private static WireFormat formatOf(String file) {
        return file.equals(LegacyVectors.OBFUSCATED) ? WireFormat.LEGACY : WireFormat.LEGACY_PLAIN;
    }

    @ParameterizedTest
    @ValueSource(strings = {LegacyVectors.PLAIN, LegacyVectors.OBFUSCATED})
    @Timeout(30)
    void capturedClientDatagramsReachOurServerAndItsRepliesDecode(String file) throws Exception {
        try (Loopback net = new Loopback(); DatagramSocket cClient = new DatagramSocket(0, Loopback.LOOPBACK)) {
            MultipathDatagramSocket server = net.server(b -> b.wireFormat(formatOf(file)));
            server.setSoTimeout(5_000);
            cClient.setSoTimeout(5_000);
            InetSocketAddress serverAddress = Loopback.addressOf(server);

            DatagramPacket in = new DatagramPacket(new byte[2048], 2048);
            SocketAddress peer = null;
            for (Vector v : LegacyVectors.load(file, true)) {
                cClient.send(new DatagramPacket(v.wire(), v.wire().length, serverAddress));
                server.receive(in);
                assertThat(Arrays.copyOfRange(in.getData(), 0, in.getLength())).as(v.toString())
                        .isEqualTo(LegacyVectors.PAYLOADS.get(v.line() / 2));
                peer = in.getSocketAddress();
            }
            for (byte[] payload : LegacyVectors.PAYLOADS) {
                server.send(new DatagramPacket(payload, payload.length, peer));
            }
            expectDecodedAtCPeer(cClient, formatOf(file));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {LegacyVectors.PLAIN, LegacyVectors.OBFUSCATED})
    @Timeout(30)
    void ourClientIsReadByTheCServerAndReceivesItsCapturedReplies(String file) throws Exception {
        try (Loopback net = new Loopback(); DatagramSocket cServer = new DatagramSocket(0, Loopback.LOOPBACK)) {
            cServer.setSoTimeout(5_000);
            MultipathDatagramSocket client = net.client(
                    List.of(new InetSocketAddress(Loopback.LOOPBACK, cServer.getLocalPort())),
                    b -> b.wireFormat(formatOf(file)));
            client.setSoTimeout(5_000);

            for (byte[] payload : LegacyVectors.PAYLOADS) {
                client.send(new DatagramPacket(payload, payload.length));
            }
            SocketAddress clientAddress = expectDecodedAtCPeer(cServer, formatOf(file));

            DatagramPacket in = new DatagramPacket(new byte[2048], 2048);
            for (Vector v : LegacyVectors.load(file, false)) {
                cServer.send(new DatagramPacket(v.wire(), v.wire().length, clientAddress));
                client.receive(in);
                assertThat(Arrays.copyOfRange(in.getData(), 0, in.getLength())).as(v.toString())
                        .isEqualTo(LegacyVectors.PAYLOADS.get(v.line() / 2 - 1));
                assertThat(in.getSocketAddress()).isEqualTo(client.getRemoteSocketAddress());
            }
        }
    }

    /** Receives our six datagrams at the plain socket and reads them as the C code does; returns their source. */
    private static SocketAddress expectDecodedAtCPeer(DatagramSocket cPeer, WireFormat format) throws Exception {
        DatagramPacket in = new DatagramPacket(new byte[2048], 2048);
        int[] ivs = new int[LegacyVectors.PAYLOADS.size()];
        for (int i = 0; i < LegacyVectors.PAYLOADS.size(); i++) {
            cPeer.receive(in);
            ByteBuffer datagram = ByteBuffer.allocate(in.getLength()).put(0, in.getData(), 0, in.getLength());
            ivs[i] = LegacyHeader.iv(datagram);

            assertThat(LegacyHeader.check(datagram, in.getLength(), format == WireFormat.LEGACY))
                    .isEqualTo(LegacyHeader.TYPE_DATA);
            assertThat(LegacyHeader.id(datagram)).as("numbered from 1").isEqualTo(i + 1);
            byte[] payload = new byte[in.getLength() - LegacyHeader.LENGTH];
            datagram.get(LegacyHeader.LENGTH, payload);
            assertThat(payload).isEqualTo(LegacyVectors.PAYLOADS.get(i));
        }
        if (format == WireFormat.LEGACY_PLAIN) {
            assertThat(ivs).as("plain datagrams carry a zero iv").containsOnly(0);
        } else {
            assertThat(Arrays.stream(ivs).distinct().count()).as("a fresh iv per datagram").isGreaterThan(1);
        }
        return in.getSocketAddress();
    }

    @Test
    @Timeout(30)
    void aV1ServerRefusesLegacyDatagramsAsMalformed() throws Exception {
        try (Loopback net = new Loopback()) {
            MultipathDatagramSocket server = net.server();
            MultipathDatagramSocket client = net.client(List.of(Loopback.addressOf(server)),
                    b -> b.wireFormat(WireFormat.LEGACY_PLAIN));
            for (int i = 0; i < 5; i++) {
                client.send(new DatagramPacket(new byte[24], 24));
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> server.stats().malformedDropped() == 5);
            assertThat(server.stats().delivered()).isZero();
            assertThat(client.stats().malformedDropped()).as("no keepalive is sent, so none is answered").isZero();
        }
    }
}
