package org.mptunnel.examples.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The applications of the system tests ({@link FailoverIT}), run as processes inside network
 * namespaces, where the test's own JVM cannot reach (only standard Java, so that the test classes
 * alone are its class path):
 * <ul>
 *   <li>{@code echo PORT}: a UDP echo on 127.0.0.1:PORT, behind the mpserver;</li>
 *   <li>{@code send RATE SECONDS PORT...}: one stream per PORT, an mpclient's {@code --listen} port
 *       on 127.0.0.1: a {@link RequestStream} each (numbered datagrams, RATE per second, from its
 *       own socket, so its own tunnel session). On stdin, {@code mark NAME} prints {@code mark NAME
 *       N...}: each stream's next number, so that the test can place its events in the streams
 *       without sharing a clock; {@code stop} (or the end of stdin, or SECONDS) ends the count,
 *       waits {@link #DRAIN_MILLIS} for the last echoes, prints one line per stream, {@code stream
 *       PORT sent N lost A B C...} (the numbers below N never echoed), then {@code end}, and
 *       exits.</li>
 * </ul>
 */
final class NamespaceTraffic {

    private static final long DRAIN_MILLIS = 1_000;

    private NamespaceTraffic() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 2 && args[0].equals("echo")) {
            echo(Integer.parseInt(args[1]));
        } else if (args.length >= 4 && args[0].equals("send")) {
            List<Integer> ports = new ArrayList<>();
            for (int i = 3; i < args.length; i++) {
                ports.add(Integer.parseInt(args[i]));
            }
            send(Integer.parseInt(args[1]), Integer.parseInt(args[2]), ports);
        } else {
            System.err.println("usage: echo PORT | send RATE SECONDS PORT...");
            System.exit(2);
        }
    }

    private static void echo(int port) throws IOException {
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), port))) {
            socket.setReceiveBufferSize(1 << 20);
            System.out.println("echo on " + port);
            System.out.flush();
            byte[] buffer = new byte[2048];
            DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
            while (true) {
                packet.setData(buffer);
                socket.receive(packet);
                socket.send(packet); // still addressed to its sender
            }
        }
    }

    private static void send(int rate, int seconds, List<Integer> ports) throws Exception {
        List<RequestStream> streams = new ArrayList<>();
        for (int port : ports) {
            streams.add(new RequestStream(port, rate, rate * seconds));
        }
        System.out.println("sending");
        System.out.flush();
        Thread stdin = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null && !line.equals("stop"); ) {
                    if (line.startsWith("mark ")) {
                        StringBuilder b = new StringBuilder(line);
                        streams.forEach(s -> b.append(' ').append(s.sent()));
                        System.out.println(b);
                        System.out.flush();
                    }
                }
            } catch (IOException e) {
                // stdin closed: stop
            }
        }, "stdin");
        stdin.setDaemon(true);
        stdin.start();
        stdin.join(TimeUnit.SECONDS.toMillis(seconds));
        int[] stoppedAt = streams.stream().mapToInt(RequestStream::sent).toArray();
        Thread.sleep(DRAIN_MILLIS); // the last echoes' time to come back: a measured wait, not a synchronisation
        for (int i = 0; i < streams.size(); i++) {
            RequestStream stream = streams.get(i);
            stream.close();
            StringBuilder b = new StringBuilder("stream ").append(ports.get(i)).append(" sent ").append(stoppedAt[i])
                    .append(" lost");
            for (int n = 0; n < stoppedAt[i]; n++) {
                if (stream.answered(n, n + 1) == 0) {
                    b.append(' ').append(n);
                }
            }
            System.out.println(b);
        }
        System.out.println("end");
        System.out.flush();
        System.exit(0);
    }
}
