package org.mptunnel.examples.client;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.mptunnel.MultipathDatagramSocket;
import org.mptunnel.PathStats;
import org.mptunnel.SessionStats;
import org.mptunnel.TunnelConfig;
import org.mptunnel.TunnelStats;
import org.mptunnel.examples.flow.FlowActivity;
import org.mptunnel.examples.flow.FlowFrame;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * mpclient's one tunnel session, shared by every local application and every SOCKS association,
 * each a {@link Flow} named in every payload by the {@link FlowFrame} prefix. The session opens
 * with mpclient, so its keepalives (and, with a key, its handshake) reach the mpserver on every
 * path before the first application's datagram.
 *
 * <p>A flow id is its slot in a fixed table (the low bits) and a generation (the high bits), so a
 * late reply to a flow that expired never reaches the application that took its slot next. The
 * tunnel's I/O thread finds a reply's flow by one array read; opening and releasing a flow take a
 * lock, sending and delivering none. In the C original's format ({@code --legacy}) there is no
 * prefix, as the C mpserver knows no flows: payloads go unchanged and every reply goes to the flow
 * that sent last, as the C mpclient does (one application at a time is what that format serves).
 * Memory is bounded by the table, allocated at open:
 * {@code maxFlows} slots of 8 bytes (a reference and a free-list entry), 512 KiB for 65,536.
 */
public final class FlowTunnel implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(FlowTunnel.class);
    /** The most flows a tunnel may carry at once (mpclient --max-flows). */
    public static final int MAX_FLOWS_LIMIT = 1 << 20;
    /** mpclient's default of --max-flows. */
    public static final int DEFAULT_MAX_FLOWS = 65_536;
    /** How long {@link #open} waits for every path to answer a keepalive, at most. */
    private static final long PATHS_UP_WAIT_NANOS = TimeUnit.SECONDS.toNanos(2);

    /**
     * One application's or SOCKS association's share of the tunnel; its activity is written by the
     * thread that sends for it and by the tunnel's I/O thread.
     */
    public abstract static class Flow extends FlowActivity {
        private int id;
        final int kind;

        /** @param kind {@link FlowFrame#CLASSIC} or {@link FlowFrame#SOCKS} */
        protected Flow(int kind) {
            this.kind = kind;
        }

        /** @return the id the tunnel gave this flow */
        public final int id() {
            return id;
        }

        /**
         * The tunnel's I/O thread: one reply for this flow, from the position after the prefix,
         * straight from the tunnel's receive buffer. Must not block.
         */
        protected abstract void deliver(ByteBuffer payload);
    }

    private final MultipathDatagramSocket tunnel;
    /** False in the C original's format: no prefix either way. */
    private final boolean framed;
    /** Unframed only: the flow that sent last, which every reply goes to. */
    private volatile Flow lastSender;
    private final int slotBits;
    private final int slotMask;
    private final int maxFlows;
    private final AtomicReferenceArray<Flow> slots;
    /** Guarded by this: free slots, and a generation counter that makes ids of reused slots differ. */
    private final int[] free;
    private int freeCount;
    private int generation;
    private final AtomicInteger live = new AtomicInteger();
    private final AtomicLong opened = new AtomicLong();
    private final AtomicLong malformed = new AtomicLong();
    private final AtomicLong unknown = new AtomicLong();

    private FlowTunnel(TunnelConfig config, int maxFlows) throws IOException {
        this.maxFlows = maxFlows;
        this.slotBits = 32 - Integer.numberOfLeadingZeros(Math.max(1, maxFlows - 1));
        this.slotMask = (1 << slotBits) - 1;
        this.slots = new AtomicReferenceArray<>(maxFlows);
        this.free = new int[maxFlows];
        for (int i = 0; i < maxFlows; i++) {
            free[i] = maxFlows - 1 - i; // lowest slot first
        }
        this.freeCount = maxFlows;
        this.framed = !config.wireFormat().isLegacy();
        // Last: the handler may run as soon as the tunnel is open, and uses the fields above.
        this.tunnel = MultipathDatagramSocket.open(config.withReceiveHandler(this::fromTunnel));
    }

    /**
     * Opens the session and waits (at most 2 s, less once every path has answered) until its paths
     * are up, so that the first application's datagram finds them known to the mpserver and timed.
     *
     * @param config   the client configuration
     * @param maxFlows the most flows at once, 1 to {@link #MAX_FLOWS_LIMIT}
     * @return the open tunnel
     * @throws IOException if a path's socket cannot be opened
     */
    public static FlowTunnel open(TunnelConfig config, int maxFlows) throws IOException {
        if (maxFlows < 1 || maxFlows > MAX_FLOWS_LIMIT) {
            throw new IllegalArgumentException("maxFlows must be 1 to " + MAX_FLOWS_LIMIT + ", got " + maxFlows);
        }
        FlowTunnel flows = new FlowTunnel(config, maxFlows);
        flows.awaitPathsUp(PATHS_UP_WAIT_NANOS);
        return flows;
    }

    private void awaitPathsUp(long maxNanos) {
        if (tunnel.config().wireFormat().isLegacy()) {
            return; // no keepalives in the C format: every path is always up
        }
        long deadline = System.nanoTime() + maxNanos;
        while (!allPathsUp() && System.nanoTime() - deadline < 0 && !tunnel.isClosed()) {
            try {
                Thread.sleep(10); // polling a snapshot: the library offers no event for a path coming up
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** @return the tunnel socket that carries every flow (its paths change at run time through it) */
    public MultipathDatagramSocket socket() {
        return tunnel;
    }

    /** @return whether every path of the session has heard from the mpserver */
    public boolean allPathsUp() {
        for (SessionStats s : tunnel.stats().sessions()) {
            for (PathStats p : s.paths()) {
                if (!p.up() || p.datagramsReceived() == 0) {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * Gives {@code flow} an id.
     *
     * @return false if {@code maxFlows} flows are live
     */
    public synchronized boolean register(Flow flow) {
        if (freeCount == 0) {
            return false;
        }
        int slot = free[--freeCount];
        generation = (generation + 1) & (-1 >>> slotBits);
        flow.id = (generation << slotBits) | slot;
        slots.set(slot, flow);
        live.incrementAndGet();
        opened.incrementAndGet();
        return true;
    }

    /** Frees the flow's id; its late replies are dropped and counted as unknown. */
    public synchronized void release(Flow flow) {
        int slot = flow.id & slotMask;
        if (slots.get(slot) == flow) {
            slots.set(slot, null);
            free[freeCount++] = slot;
            live.decrementAndGet();
        }
    }

    /**
     * Sends one datagram of {@code flow}: the packet's data starts with {@link FlowFrame#LENGTH}
     * bytes that this method fills with the prefix.
     */
    public void send(Flow flow, DatagramPacket packet) throws IOException {
        flow.sent(System.nanoTime());
        if (framed) {
            FlowFrame.write(packet.getData(), packet.getOffset(), flow.kind, flow.id);
        } else {
            packet.setData(packet.getData(), packet.getOffset() + FlowFrame.LENGTH,
                    packet.getLength() - FlowFrame.LENGTH);
            if (lastSender != flow) {
                lastSender = flow;
            }
        }
        tunnel.send(packet);
    }

    /** The tunnel's I/O thread: finds the reply's flow by its id and hands it the rest. */
    private void fromTunnel(ByteBuffer payload, InetSocketAddress from) {
        if (!framed) {
            Flow last = lastSender;
            if (last != null) {
                last.replied(System.nanoTime());
                last.deliver(payload);
            }
            return;
        }
        int kind = FlowFrame.kind(payload);
        if (kind < 0) {
            malformed.incrementAndGet();
            return;
        }
        int id = FlowFrame.flowId(payload);
        int slot = id & slotMask;
        Flow flow = slot < maxFlows ? slots.get(slot) : null;
        if (flow == null || flow.id != id || flow.kind != kind) {
            unknown.incrementAndGet(); // expired meanwhile, or not ours
            return;
        }
        flow.replied(System.nanoTime());
        payload.position(payload.position() + FlowFrame.LENGTH);
        flow.deliver(payload);
    }

    /** @return the session's statistics */
    public TunnelStats stats() {
        return tunnel.stats();
    }

    /** @return whether the tunnel is closed (by {@link #close} or a failure of its I/O thread) */
    public boolean isClosed() {
        return tunnel.isClosed();
    }

    /** @return the largest datagram an application may send through a flow */
    public int maxDatagram() {
        return tunnel.config().maxPayloadSize() - (framed ? FlowFrame.LENGTH : 0);
    }

    /** @return flows live now */
    public int liveFlows() {
        return live.get();
    }

    /** @return the counters as the statistics lines show them */
    public String line() {
        return "flows " + live.get() + " flows-opened " + opened.get() + " flows-unknown-replies " + unknown.get()
                + " flows-malformed-replies " + malformed.get();
    }

    @Override
    public void close() {
        tunnel.close();
        LOG.debug("tunnel closed after {} flows", opened.get());
    }
}
