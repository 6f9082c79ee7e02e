package org.mptunnel.examples.snippets;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.mptunnel.MultipathDatagramSocket;
import org.mptunnel.TunnelConfig;

/**
 * The README's client example, kept here so that it compiles with every build; the lines between
 * the markers are the README's text (ReadmeSnippetsTest checks they match).
 */
public final class ReadmeClient {

    private ReadmeClient() {
    }

    /**
     * Sends one request to the server over two paths and prints the reply.
     *
     * @param args unused
     * @throws Exception if the socket cannot be opened or the exchange fails
     */
    public static void main(String[] args) throws Exception {
        // README-BEGIN
        InetSocketAddress server = new InetSocketAddress("vpn.example", 2000);
        TunnelConfig config = TunnelConfig.client()
                .path(server)                                         // direct
                .path(new InetSocketAddress("bridge.example", 4000))  // through a UDP bridge
                .peerAddress(server)                                  // what the application calls its peer
                .preSharedKey(HexFormat.of().parseHex(System.getenv("MPTUNNEL_KEY"))) // as mpkey writes it
                .build();
        try (DatagramSocket socket = MultipathDatagramSocket.open(config)) {
            byte[] request = "hello".getBytes(StandardCharsets.UTF_8);
            socket.send(new DatagramPacket(request, request.length, server));
            DatagramPacket reply = new DatagramPacket(new byte[2048], 2048);
            socket.receive(reply);   // its address is the peer address, as from a plain socket
        }
        // README-END
    }
}
