package org.mptunnel.examples.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A tool whose I/O thread fails says so once at ERROR and exits non-zero, so that a supervisor
 * restarts it; before, the thread died, the process stayed up and forwarded nothing.
 *
 * <p>The trigger is real, not injected: the thread runs out of heap (every tool here runs with
 * {@code -Xmx128m}) because it was told it may hold more than the heap has. mpserver is given an
 * ordered-delivery budget of 1 GiB and peers that leave a gap in each of their sessions, so it holds
 * what follows it: 60 KB datagrams, up to 256 per session. mpbridge is given a 10 s delay and a
 * delay queue of 1 GiB, so it holds a copy of everything it relays for 10 s. Both are
 * configurations an operator could choose; with the defaults (8 MiB held for ordering; a delay
 * queue of 32 MiB) neither tool runs out.
 */
class FatalErrorIT {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static final int LARGE = 60_000;
    /**
     * The flood's pace: a datagram every 200 us, 300 MB/s. Sent faster, most would be lost in the
     * receiving socket's buffer; at this pace the 10 s that each is held are more than enough.
     */
    private static final long PACE_NANOS = 200_000;
    /** The flood's bound. */
    private static final Duration FLOOD = Duration.ofSeconds(60);

    @Test
    @Timeout(180)
    void mpserverExitsNonZeroWhenItsIoThreadRunsOutOfMemory() throws Exception {
        try (DatagramChannel target = DatagramChannel.open().bind(new InetSocketAddress(LOOPBACK, 0));
             ToolProcess server = ToolProcess.start("mpserver", "--bind", "127.0.0.1", "--ordered=10s",
                     "--ordered-max-bytes", "1g", "0", "127.0.0.1",
                     Integer.toString(((InetSocketAddress) target.getLocalAddress()).getPort()))) {
            InetSocketAddress to = new InetSocketAddress(LOOPBACK, server.awaitListeningPort());
            List<DatagramChannel> sources = new ArrayList<>();
            try {
                for (int i = 0; i < 4; i++) {
                    sources.add(DatagramChannel.open().bind(new InetSocketAddress(LOOPBACK, 0)));
                }
                int sessions = 4 * sources.size();
                for (int s = 0; s < sessions; s++) { // number 0 opens each session; 1 never comes
                    sources.get(s % sources.size()).send(data(s + 1, 0, 8), to);
                }
                long end = System.nanoTime() + FLOOD.toNanos();
                for (long n = 2; System.nanoTime() - end < 0 && server.isAlive(); n++) {
                    for (int s = 0; s < sessions; s++) {
                        sources.get(s % sources.size()).send(data(s + 1, n, LARGE), to);
                        LockSupport.parkNanos(PACE_NANOS); // a rate, not synchronisation
                    }
                }
            } finally {
                for (DatagramChannel source : sources) {
                    source.close();
                }
            }

            assertThat(server.awaitExit(Duration.ofSeconds(30))).as(server.transcript()).isEqualTo(1);
            assertFailureReportedOnce(server, "mpserver");
        }
    }

    @Test
    @Timeout(180)
    void mpbridgeExitsNonZeroWhenItsThreadRunsOutOfMemory() throws Exception {
        try (DatagramChannel target = DatagramChannel.open().bind(new InetSocketAddress(LOOPBACK, 0));
             DatagramChannel source = DatagramChannel.open().bind(new InetSocketAddress(LOOPBACK, 0));
             ToolProcess bridge = ToolProcess.start("mpbridge", "--bind", "127.0.0.1", "--delay", "10000", "--delay-max-bytes", "1g", "0",
                     "127.0.0.1", Integer.toString(((InetSocketAddress) target.getLocalAddress()).getPort()))) {
            InetSocketAddress to = new InetSocketAddress(LOOPBACK, bridge.awaitListeningPort());
            ByteBuffer datagram = ByteBuffer.allocate(LARGE);
            long end = System.nanoTime() + FLOOD.toNanos();
            while (System.nanoTime() - end < 0 && bridge.isAlive()) {
                source.send(datagram.clear(), to);
                LockSupport.parkNanos(PACE_NANOS); // a rate, not synchronisation
            }

            assertThat(bridge.awaitExit(Duration.ofSeconds(30))).as(bridge.transcript()).isEqualTo(1);
            assertFailureReportedOnce(bridge, "mpbridge");
        }
    }

    /**
     * Each thread the error ended says so in one line: a heap running out can end more than one
     * (mpserver's target reader besides its I/O thread), whichever asks for memory first.
     */
    private static void assertFailureReportedOnce(ToolProcess tool, String name) {
        String stderr = tool.stderr();
        List<String> reports = stderr.lines().filter(line -> line.contains(" ERROR "))
                .map(line -> line.substring(line.indexOf(" ERROR "))).toList();
        assertThat(reports).as(tool.transcript()).isNotEmpty().allMatch(line -> line.contains("failed"))
                .doesNotHaveDuplicates();
        assertThat(stderr).contains(name + ": exiting with status 1: the tunnel failed: java.lang.OutOfMemoryError");
    }

    /** A version 1 DATA datagram of the given session and number, {@code length} payload bytes. */
    private static ByteBuffer data(long session, long number, int length) {
        ByteBuffer datagram = ByteBuffer.allocate(24 + length);
        datagram.putShort(0, (short) 0x4D50).put(2, (byte) 1).put(3, (byte) 1).putShort(4, (short) 0)
                .putShort(6, (short) length).putLong(8, session).putLong(16, number);
        return datagram;
    }
}
