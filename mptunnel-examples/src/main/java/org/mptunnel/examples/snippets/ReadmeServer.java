package org.mptunnel.examples.snippets;

import java.net.DatagramPacket;
import java.util.HexFormat;
import org.mptunnel.MultipathDatagramSocket;
import org.mptunnel.TunnelConfig;

/**
 * The README's server example, kept here so that it compiles with every build; the lines between
 * the markers are the README's text (ReadmeSnippetsTest checks they match).
 */
public final class ReadmeServer {

    private ReadmeServer() {
    }

    /**
     * Echoes every datagram back to the session it came from, until the process is stopped.
     *
     * @param args unused
     * @throws Exception if the port cannot be bound or the socket fails
     */
    public static void main(String[] args) throws Exception {
        // README-BEGIN
        TunnelConfig config = TunnelConfig.server(2000)               // listens on all interfaces
                .preSharedKey(HexFormat.of().parseHex(System.getenv("MPTUNNEL_KEY"))) // the client's key
                .build();
        try (MultipathDatagramSocket socket = MultipathDatagramSocket.open(config)) {
            DatagramPacket packet = new DatagramPacket(new byte[65_536], 65_536);
            while (true) {
                socket.receive(packet);   // packet's address names the client session
                socket.send(packet);      // fans out over that session's live paths
            }
        }
        // README-END
    }
}
