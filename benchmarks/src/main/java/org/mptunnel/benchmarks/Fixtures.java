package org.mptunnel.benchmarks;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.mptunnel.TunnelConfig;
import org.mptunnel.internal.path.Path;
import org.mptunnel.internal.session.Session;
import org.mptunnel.internal.session.TunnelCounters;

/** What the benchmarks share: a client configuration with the defaults, one path, one session. */
final class Fixtures {

    static final long SESSION_ID = 0x5EED_1234_ABCD_0042L;
    /** A literal loopback address: nothing is resolved and nothing is ever sent to it. */
    static final InetSocketAddress PEER = new InetSocketAddress(InetAddress.getLoopbackAddress(), 9);
    /** The library's defaults (duplicate window, queue capacity, maximum payload). */
    static final TunnelConfig CONFIG = TunnelConfig.client().path(PEER).build();

    private Fixtures() {
    }

    /** Deterministic, non-zero bytes, so a copy cannot be mistaken for an untouched buffer. */
    static byte[] payload(int size) {
        byte[] data = new byte[size];
        for (int i = 0; i < size; i++) {
            data[i] = (byte) (i * 31 + 7);
        }
        return data;
    }

    /** A path without a channel: the benchmarks never transmit, they only count on it. */
    static Path path() {
        return new Path(0, PEER, null, true, System.nanoTime());
    }

    static Session session(Path path, TunnelCounters totals) {
        return new Session(SESSION_ID, PEER, CONFIG.duplicateWindow(), new Path[] {path}, null, 1, totals,
                System.nanoTime());
    }
}
