package org.mptunnel.benchmarks.soak;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.DatagramPacket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.mptunnel.MultipathDatagramSocket;
import org.mptunnel.TunnelConfig;
import org.mptunnel.internal.bridge.Impairment;
import org.mptunnel.internal.bridge.UdpBridge;

/**
 * The long run: millions of datagrams from a client to a server over two bridges that duplicate
 * and reorder, checking that each datagram is delivered at most once and that the heap stays flat.
 * After every million datagrams it forces a collection and prints the heap in use.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar org.mptunnel.benchmarks.soak.Soak [DATAGRAMS]
 * </pre>
 */
public final class Soak {

    private static final int IN_FLIGHT = 256;
    private static final int REPORT_EVERY = 1_000_000;

    private Soak() {
    }

    public static void main(String[] args) throws Exception {
        int total = args.length > 0 ? Integer.parseInt(args[0].replace("_", "")) : 10_000_000;
        InetAddress loopback = InetAddress.getLoopbackAddress();
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        try (MultipathDatagramSocket server = MultipathDatagramSocket.open(
                     TunnelConfig.server(new InetSocketAddress(loopback, 0)).build());
             UdpBridge a = UdpBridge.start(new InetSocketAddress(loopback, 0),
                     new InetSocketAddress(loopback, server.getLocalPort()),
                     new Impairment(0, Duration.ZERO, Duration.ZERO, 0.02, 0.02, 1));
             UdpBridge b = UdpBridge.start(new InetSocketAddress(loopback, 0),
                     new InetSocketAddress(loopback, server.getLocalPort()),
                     new Impairment(0, Duration.ZERO, Duration.ZERO, 0.02, 0.02, 2));
             MultipathDatagramSocket client = MultipathDatagramSocket.open(
                     TunnelConfig.client().paths(List.of(a.localAddress(), b.localAddress())).build())) {

            BitSet seen = new BitSet(total);
            AtomicInteger highest = new AtomicInteger(-1);
            AtomicLong deliveredTwice = new AtomicLong();
            AtomicLong received = new AtomicLong();
            Thread receiver = new Thread(() -> {
                DatagramPacket packet = new DatagramPacket(new byte[64], 64);
                try {
                    server.setSoTimeout(200);
                    while (!server.isClosed()) {
                        try {
                            server.receive(packet);
                        } catch (SocketTimeoutException e) {
                            continue;
                        }
                        int n = readInt(packet.getData());
                        if (seen.get(n)) {
                            deliveredTwice.incrementAndGet();
                        }
                        seen.set(n);
                        received.incrementAndGet();
                        highest.lazySet(Math.max(highest.get(), n));
                    }
                } catch (Exception e) {
                    // closed
                }
            }, "soak-receiver");
            receiver.setDaemon(true);
            receiver.start();

            System.out.printf("soak: %,d datagrams of 32 bytes over 2 bridges duplicating and reordering 2 %% each%n", total);
            System.out.println("| datagrams sent | received | delivered twice | heap used after GC (MiB) | elapsed (s) |");
            System.out.println("|---:|---:|---:|---:|---:|");
            byte[] data = new byte[32];
            DatagramPacket packet = new DatagramPacket(data, data.length);
            long start = System.nanoTime();
            for (int n = 0; n < total; n++) {
                long deadline = System.nanoTime() + 1_000_000_000L;
                while (n - highest.get() > IN_FLIGHT && System.nanoTime() - deadline < 0) {
                    Thread.onSpinWait();
                }
                writeInt(data, n);
                client.send(packet);
                if ((n + 1) % REPORT_EVERY == 0) {
                    System.gc();
                    System.out.printf("| %,d | %,d | %d | %.1f | %.0f |%n", n + 1, received.get(), deliveredTwice.get(),
                            memory.getHeapMemoryUsage().getUsed() / 1048576.0, (System.nanoTime() - start) / 1e9);
                }
            }
            long end = System.nanoTime() + 2_000_000_000L;
            while (received.get() < total && System.nanoTime() < end) {
                Thread.onSpinWait();
            }
            System.out.printf("done: %,d sent, %,d received, %d delivered twice, server stats %s%n",
                    total, received.get(), deliveredTwice.get(), server.stats());
        }
    }

    private static int readInt(byte[] b) {
        return (b[0] & 0xFF) << 24 | (b[1] & 0xFF) << 16 | (b[2] & 0xFF) << 8 | (b[3] & 0xFF);
    }

    private static void writeInt(byte[] b, int v) {
        b[0] = (byte) (v >>> 24);
        b[1] = (byte) (v >>> 16);
        b[2] = (byte) (v >>> 8);
        b[3] = (byte) v;
    }
}
