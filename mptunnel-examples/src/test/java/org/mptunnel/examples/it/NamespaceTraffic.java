package org.mptunnel.examples.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.locks.LockSupport;

/**
 * The applications of the system tests ({@link FailoverIT}), run as processes inside network
 * namespaces, where the test's own JVM cannot reach (only standard Java, so that the test classes
 * alone are its class path):
 * <ul>
 *   <li>{@code echo PORT}: a UDP echo on 127.0.0.1:PORT, behind the mpserver;</li>
 *   <li>{@code send RATE SECONDS PORT...}: one stream per PORT, an mpclient's {@code --listen} port
 *       on 127.0.0.1: datagrams numbered from 0, RATE per second each, each stream from its own
 *       socket (so its own tunnel session). On stdin, {@code mark NAME} prints {@code mark NAME
 *       N...}: each stream's next number, so that the test can place its events in the streams
 *       without sharing a clock; {@code stop} (or the end of stdin, or SECONDS) stops sending, waits
 *       {@link #DRAIN_MILLIS} for the last echoes, prints one line per stream, {@code stream PORT
 *       sent N lost A B C...} (the numbers never echoed), then {@code end}, and exits.</li>
 * </ul>
 */
final class NamespaceTraffic {

    static final long DRAIN_MILLIS = 1_000;

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
        List<Stream> streams = new ArrayList<>();
        for (int port : ports) {
            streams.add(new Stream(port, rate, seconds));
        }
        System.out.println("sending");
        System.out.flush();
        Thread stdin = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null && !line.equals("stop"); ) {
                    if (line.startsWith("mark ")) {
                        StringBuilder b = new StringBuilder(line);
                        streams.forEach(s -> b.append(' ').append(s.next()));
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
        streams.forEach(Stream::stopSending);
        Thread.sleep(DRAIN_MILLIS); // the last echoes' time to come back: a measured wait, not a synchronisation
        for (Stream s : streams) {
            System.out.println(s.close());
        }
        System.out.println("end");
        System.out.flush();
        System.exit(0);
    }

    /** One numbered stream and its echoes. */
    private static final class Stream {
        private final int port;
        private final DatagramSocket socket;
        private final AtomicIntegerArray answered;
        private final AtomicInteger next = new AtomicInteger();
        private final Thread sender;
        private final Thread receiver;
        private volatile boolean sending = true;
        private volatile boolean receiving = true;

        Stream(int port, int rate, int seconds) throws IOException {
            this.port = port;
            socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            socket.setSoTimeout(50);
            answered = new AtomicIntegerArray(rate * seconds);
            long interval = TimeUnit.SECONDS.toNanos(1) / rate;
            sender = new Thread(() -> send(interval), "send-" + port);
            receiver = new Thread(this::receive, "receive-" + port);
            sender.start();
            receiver.start();
        }

        int next() {
            return next.get();
        }

        private void send(long intervalNanos) {
            long start = System.nanoTime();
            for (int n = 0; sending && n < answered.length(); n++) {
                long wait;
                while (sending && (wait = start + n * intervalNanos - System.nanoTime()) > 0) {
                    LockSupport.parkNanos(Math.min(wait, 1_000_000));
                }
                byte[] datagram = Integer.toString(n).getBytes(StandardCharsets.US_ASCII);
                try {
                    socket.send(new DatagramPacket(datagram, datagram.length));
                } catch (IOException e) {
                    return;
                }
                next.set(n + 1);
            }
        }

        private void receive() {
            byte[] buffer = new byte[64];
            DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
            while (receiving) {
                try {
                    socket.receive(packet);
                    int n = Integer.parseInt(new String(buffer, 0, packet.getLength(), StandardCharsets.US_ASCII));
                    if (n >= 0 && n < answered.length()) {
                        answered.set(n, 1);
                    }
                } catch (SocketTimeoutException e) {
                    // check receiving
                } catch (IOException | NumberFormatException e) {
                    return;
                }
            }
        }

        void stopSending() {
            sending = false;
        }

        /** @return the stream's line: datagrams sent and the numbers never echoed */
        String close() throws InterruptedException {
            sender.join(5_000);
            receiving = false;
            receiver.join(5_000);
            socket.close();
            StringBuilder b = new StringBuilder("stream ").append(port).append(" sent ").append(next.get())
                    .append(" lost");
            for (int n = 0; n < next.get(); n++) {
                if (answered.get(n) == 0) {
                    b.append(' ').append(n);
                }
            }
            return b.toString();
        }
    }
}
