package org.mptunnel.examples.it;

import java.lang.management.ManagementFactory;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.mptunnel.MultipathDatagramSocket;
import org.mptunnel.TunnelConfig;
import org.mptunnel.TunnelStats;
import org.mptunnel.examples.client.LocalForwarder;
import org.mptunnel.examples.server.TargetForwarder;

/**
 * Not a test: the measurement behind BENCHMARKS.md's "Hostile load" table (issue 14 item 10). A
 * legitimate keyed flow pings every 5 ms, in one JVM with its server, while (a) forged 60 KB DATA
 * carrying its session's id arrive from an address of the attacker's choice, or (b) a burst of new
 * local ports reaches mpclient's forwarder; it prints the flow's round trip, loss and CPU.
 * {@code forged ATTACKER-IP PER-SECOND} or {@code ports COUNT}.
 */
public final class HostileLoad {
    static final InetAddress LO = InetAddress.getLoopbackAddress();
    static final byte[] PSK = new byte[32];
    static { new Random(7).nextBytes(PSK); }
    static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    /** Pings through {@code send}/{@code recv} every 5 ms for {@code millis}; returns "p50 p99 loss". */
    interface Io { void send(byte[] b) throws Exception; byte[] recv() throws Exception; }

    static String ping(Io io, long millis) throws Exception {
        ConcurrentHashMap<Long, Long> sentAt = new ConcurrentHashMap<>();
        List<Long> rtts = java.util.Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean stop = new AtomicBoolean();
        Thread rx = new Thread(() -> {
            while (!stop.get()) {
                try {
                    byte[] b = io.recv();
                    if (b == null || b.length < 8) continue;
                    long seq = ByteBuffer.wrap(b).getLong();
                    Long t = sentAt.remove(seq);
                    if (t != null) rtts.add(System.nanoTime() - t);
                } catch (Exception e) { /* timeout */ }
            }
        });
        rx.start();
        long end = System.nanoTime() + millis * 1_000_000;
        long seq = 0;
        while (System.nanoTime() < end) {
            byte[] b = new byte[64];
            ByteBuffer.wrap(b).putLong(++seq);
            sentAt.put(seq, System.nanoTime());
            io.send(b);
            Thread.sleep(5);
        }
        Thread.sleep(1000); // late replies
        stop.set(true);
        rx.join();
        long[] r;
        synchronized (rtts) { r = rtts.stream().mapToLong(Long::longValue).sorted().toArray(); }
        if (r.length == 0) return String.format("sent %d, received 0, loss 100%%", seq);
        return String.format("sent %d, p50 %.2f ms, p99 %.2f ms, loss %.1f%%", seq, r[r.length / 2] / 1e6,
                r[Math.min(r.length - 1, (int) (r.length * 0.99))] / 1e6, 100.0 * (seq - r.length) / seq);
    }

    static java.util.Map<String, Long> threadCpu() {
        java.lang.management.ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        java.util.Map<String, Long> m = new java.util.TreeMap<>();
        for (long id : mx.getAllThreadIds()) {
            java.lang.management.ThreadInfo i = mx.getThreadInfo(id);
            long t = mx.getThreadCpuTime(id);
            if (i != null && t > 0) m.merge(i.getThreadName().replaceAll("[0-9]+", "#"), t, Long::sum);
        }
        return m;
    }

    static String busiest(java.util.Map<String, Long> before, java.util.Map<String, Long> after) {
        StringBuilder b = new StringBuilder();
        after.forEach((k, v) -> {
            long d = v - before.getOrDefault(k, 0L);
            if (d > 50_000_000L) b.append(String.format(" %s %.2fs;", k, d / 1e9));
        });
        return b.toString();
    }

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        if (mode.equals("forged")) forged(args[1], Integer.parseInt(args[2]));
        else ports(Integer.parseInt(args[1]));
    }

    /** A keyed client and an echoing keyed server; forgeries of 60 KB DATA with the session's id from {@code attackerIp}. */
    static void forged(String attackerIp, int perSecond) throws Exception {
        MultipathDatagramSocket server = MultipathDatagramSocket.open(
                TunnelConfig.server(new InetSocketAddress(LO, 0)).preSharedKey(PSK).build());
        Thread echo = new Thread(() -> {
            DatagramPacket p = new DatagramPacket(new byte[2048], 2048);
            while (!server.isClosed()) {
                try { p.setData(new byte[2048]); server.receive(p); server.send(p); } catch (Exception e) { return; }
            }
        });
        echo.setDaemon(true);
        echo.start();
        InetSocketAddress serverAddress = (InetSocketAddress) server.getLocalSocketAddress();
        serverAddress = new InetSocketAddress(LO, serverAddress.getPort());
        MultipathDatagramSocket client = MultipathDatagramSocket.open(
                TunnelConfig.client().path(serverAddress).preSharedKey(PSK).build());
        client.setSoTimeout(200);
        Io io = new Io() {
            public void send(byte[] b) throws Exception { client.send(new DatagramPacket(b, b.length)); }
            public byte[] recv() throws Exception {
                DatagramPacket p = new DatagramPacket(new byte[256], 256);
                client.receive(p);
                return Arrays.copyOf(p.getData(), p.getLength());
            }
        };
        System.out.println("baseline: " + ping(io, 3000));
        long session = client.stats().sessions().get(0).sessionId();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong forgedSent = new AtomicLong();
        AtomicLong attackerCpu = new AtomicLong();
        InetSocketAddress target = serverAddress;
        Thread attacker = new Thread(() -> {
            try (DatagramChannel ch = DatagramChannel.open()) {
                ch.bind(new InetSocketAddress(InetAddress.getByName(attackerIp), 0));
                ByteBuffer d = ByteBuffer.allocate(24 + 60_016);
                new Random(11).nextBytes(d.array());
                long seq = 1L << 40;
                long interval = 1_000_000_000L / perSecond;
                long next = System.nanoTime();
                while (!stop.get()) {
                    d.clear();
                    d.putShort(0, (short) 0x4D50).put(2, (byte) 2).put(3, (byte) 1).putShort(4, (short) 1)
                            .putShort(6, (short) 60_016).putLong(8, session).putLong(16, seq++);
                    ch.send(d, target);
                    forgedSent.incrementAndGet();
                    next += interval;
                    long wait = next - System.nanoTime();
                    if (wait > 0) java.util.concurrent.locks.LockSupport.parkNanos(wait);
                }
            } catch (Exception e) { e.printStackTrace(); }
            attackerCpu.set(ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime());
        });
        long cpu0 = OS.getProcessCpuTime();
        java.util.Map<String, Long> t0 = threadCpu();
        attacker.start();
        String during = ping(io, 5000);
        java.util.Map<String, Long> t1 = threadCpu();
        stop.set(true);
        attacker.join();
        long cpu = OS.getProcessCpuTime() - cpu0 - attackerCpu.get();
        System.out.println("threads over 50 ms of CPU:" + busiest(t0, t1));
        TunnelStats s = server.stats();
        long rejected = s.rejectedUnopened();
        System.out.printf("forged 60 KB DATA from %s at %d/s: %s; forged sent %d, server authFailed %d, rejectedUnopened %d, "
                + "CPU of the rest of the process %.2f s over 6 s%n", attackerIp, perSecond, during, forgedSent.get(),
                s.authFailed(), rejected, cpu / 1e9);
        client.close();
        server.close();
    }

    /** mpclient's forwarder (keyed) and mpserver's, an echo; an existing application pings while {@code count} new ports send one datagram each. */
    static void ports(int count) throws Exception {
        DatagramSocket echo = new DatagramSocket(new InetSocketAddress(LO, 0));
        Thread et = new Thread(() -> {
            DatagramPacket p = new DatagramPacket(new byte[2048], 2048);
            while (!echo.isClosed()) {
                try { p.setData(new byte[2048]); echo.receive(p); echo.send(p); } catch (Exception e) { return; }
            }
        });
        et.setDaemon(true);
        et.start();
        TargetForwarder server = TargetForwarder.start(
                TunnelConfig.server(new InetSocketAddress(LO, 0)).preSharedKey(PSK).maxSessions(4096).build(),
                new InetSocketAddress(LO, echo.getLocalPort()));
        TunnelConfig clientConfig = TunnelConfig.client().path(server.localAddress()).preSharedKey(PSK).build();
        org.mptunnel.examples.client.FlowTunnel flows = org.mptunnel.examples.client.FlowTunnel.open(clientConfig, 65_536);
        LocalForwarder forwarder = LocalForwarder.start(new InetSocketAddress(LO, 0), flows,
                org.mptunnel.examples.flow.FlowTimeouts.DEFAULT);
        InetSocketAddress local = forwarder.localAddress();
        DatagramSocket app = new DatagramSocket(new InetSocketAddress(LO, 0));
        app.setSoTimeout(200);
        Io io = new Io() {
            public void send(byte[] b) throws Exception { app.send(new DatagramPacket(b, b.length, local)); }
            public byte[] recv() throws Exception {
                DatagramPacket p = new DatagramPacket(new byte[256], 256);
                app.receive(p);
                return Arrays.copyOf(p.getData(), p.getLength());
            }
        };
        System.out.println("baseline: " + ping(io, 3000));
        List<DatagramSocket> others = new ArrayList<>();
        for (int i = 0; i < count; i++) others.add(new DatagramSocket(new InetSocketAddress(LO, 0)));
        long cpu0 = OS.getProcessCpuTime();
        java.util.Map<String, Long> t0 = threadCpu();
        Thread burst = new Thread(() -> {
            try {
                for (DatagramSocket o : others) o.send(new DatagramPacket(new byte[64], 64, local));
            } catch (Exception e) { e.printStackTrace(); }
        });
        burst.start();
        String during = ping(io, 5000);
        burst.join();
        long cpu = OS.getProcessCpuTime() - cpu0;
        System.out.println("threads over 50 ms of CPU (live at the end):" + busiest(t0, threadCpu()));
        System.out.printf("%d new local ports: %s; flows %d, refused %d, handshakes at the server %d, process CPU %.2f s over 6 s%n",
                count, during, forwarder.flowCount(), forwarder.refused(),
                server.tunnelStats().handshakes(), cpu / 1e9);
        others.forEach(DatagramSocket::close);
        forwarder.close();
        flows.close();
        server.close();
        echo.close();
        System.exit(0);
    }
}
