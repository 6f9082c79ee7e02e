package org.mptunnel.examples.client;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.HashMap;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.mptunnel.examples.cli.LogLimit;
import org.mptunnel.examples.flow.FlowFrame;
import org.mptunnel.examples.flow.FlowTimeouts;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The heart of mpclient: a local UDP socket for applications, each distinct local source address a
 * flow of mpclient's one tunnel session ({@link FlowTunnel}). A flow costs an entry in a table keyed
 * by the application's address (about 160 bytes), never a thread or a socket; its replies come back
 * with its id and leave the local socket to that application's address, on the tunnel's I/O thread
 * and straight from its receive buffer. A flow silent for its {@link FlowTimeouts timeout} is
 * forgotten by the local reader's sweep; the application's next datagram opens a new one.
 */
public final class LocalForwarder implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LocalForwarder.class);
    private static final int MAX_DATAGRAM = 65_535;
    private static final int SOCKET_BUFFER_BYTES = 4 << 20;
    private static final long LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final long TOO_LARGE_LOG_NANOS = TimeUnit.SECONDS.toNanos(60);
    /** Datagrams read per wake-up, so that a flood does not starve the sweep. */
    private static final int BATCH = 64;

    /**
     * Non-blocking: the reader waits on {@link #selector}, which also times the idle sweep, and the
     * tunnel's I/O thread writes replies to it without ever blocking (a full buffer drops the
     * reply, as the network would).
     */
    private final DatagramChannel local;
    private final Selector selector;
    private final FlowTunnel tunnel;
    private final long shortNanos;
    private final long longNanos;
    private final long sweepMillis;
    /** The largest datagram an application may send: the tunnel's payload limit less the flow prefix. */
    private final int maxDatagram;
    /** Reader thread only: the live flows by application address. */
    private final HashMap<SocketAddress, AppFlow> flows = new HashMap<>();
    private volatile int flowCount;
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong tooLarge = new AtomicLong();
    private final AtomicLong expired = new AtomicLong();
    /** Replies the local socket could not take (its send buffer full) or could not send. */
    private final AtomicLong repliesDropped = new AtomicLong();
    /** Reader thread only: a refusal line at most every 10 s, a too-large line per application and minute. */
    private final LogLimit refusedLog = new LogLimit(LOG_INTERVAL_NANOS, 1);
    private final LogLimit tooLargeLog = new LogLimit(TOO_LARGE_LOG_NANOS, 1);
    private final Thread reader;
    private volatile boolean closed;

    private LocalForwarder(DatagramChannel local, Selector selector, FlowTunnel tunnel, FlowTimeouts timeouts) {
        this.local = local;
        this.selector = selector;
        this.tunnel = tunnel;
        this.shortNanos = timeouts.singleExchange().toNanos();
        this.longNanos = timeouts.established().toNanos();
        this.sweepMillis = TimeUnit.NANOSECONDS.toMillis(timeouts.sweepNanos());
        this.maxDatagram = tunnel.maxDatagram();
        this.reader = new Thread(this::readLocal, "mpclient-local-" + local.socket().getLocalPort());
    }

    /**
     * Binds the local socket and starts forwarding.
     *
     * @param listen   where applications send
     * @param tunnel   the session every application's flow goes through; it bounds how many are live
     * @param timeouts how long a flow may stay silent
     * @return the running forwarder
     * @throws IOException if the local address cannot be bound
     */
    public static LocalForwarder start(InetSocketAddress listen, FlowTunnel tunnel, FlowTimeouts timeouts)
            throws IOException {
        DatagramChannel local = DatagramChannel.open();
        Selector selector = null;
        try {
            local.setOption(StandardSocketOptions.SO_RCVBUF, SOCKET_BUFFER_BYTES);
            local.setOption(StandardSocketOptions.SO_SNDBUF, SOCKET_BUFFER_BYTES);
            local.bind(listen);
            local.configureBlocking(false);
            selector = Selector.open();
            local.register(selector, SelectionKey.OP_READ);
        } catch (IOException | RuntimeException e) {
            local.close();
            if (selector != null) {
                selector.close();
            }
            throw e;
        }
        LocalForwarder forwarder = new LocalForwarder(local, selector, tunnel, timeouts);
        forwarder.reader.start();
        return forwarder;
    }

    /** @return where applications send */
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) local.socket().getLocalSocketAddress();
    }

    /** @return how many applications have a live flow now */
    public int flowCount() {
        return flowCount;
    }

    /** @return datagrams dropped because the tunnel already carried its most flows */
    public long refused() {
        return refused.get();
    }

    /** @return the forwarder's own counters as the statistics lines show them */
    public String line() {
        return "local-flows " + flowCount + " local-flows-expired " + expired.get() + " local-refused "
                + refused.get() + " local-too-large " + tooLarge.get() + " local-replies-dropped " + repliesDropped.get();
    }

    private void readLocal() {
        // The prefix goes in front of the datagram, in place: the datagram is read after its room.
        byte[] buffer = new byte[FlowFrame.LENGTH + MAX_DATAGRAM];
        ByteBuffer in = ByteBuffer.wrap(buffer);
        // Only this thread sends for local applications, so one packet serves them all.
        DatagramPacket out = new DatagramPacket(buffer, 0);
        long nextSweep = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(sweepMillis);
        try {
            while (!closed) {
                if (selector.select(sweepMillis) > 0) {
                    selector.selectedKeys().clear();
                    for (int i = 0; i < BATCH && !closed; i++) {
                        in.limit(buffer.length).position(FlowFrame.LENGTH);
                        SocketAddress app = local.receive(in);
                        if (app == null) {
                            break;
                        }
                        out.setData(buffer, 0, in.position());
                        forward(app, out);
                    }
                }
                long now = System.nanoTime();
                if (now - nextSweep >= 0) {
                    expireIdle(now);
                    nextSweep = now + TimeUnit.MILLISECONDS.toNanos(sweepMillis);
                }
            }
        } catch (IOException | ClosedSelectorException e) {
            if (!closed) {
                LOG.warn("local socket failed, mpclient stops forwarding: {}", e.toString());
            }
        } catch (RuntimeException | Error e) {
            LOG.error("local reader failed, mpclient stops forwarding", e);
        }
    }

    /** Reader thread: forgets the flows that stayed silent for their timeout. */
    private void expireIdle(long now) {
        for (Iterator<AppFlow> it = flows.values().iterator(); it.hasNext(); ) {
            AppFlow flow = it.next();
            if (flow.idle(now, shortNanos, longNanos)) {
                it.remove();
                tunnel.release(flow);
                expired.incrementAndGet();
            }
        }
        flowCount = flows.size();
    }

    private void forward(SocketAddress app, DatagramPacket out) {
        int length = out.getLength() - FlowFrame.LENGTH;
        if (length > maxDatagram) {
            tooLarge.incrementAndGet(); // dropped, as UDP would; the application hears nothing
            if (tooLargeLog.allow(app, System.nanoTime())) {
                LOG.warn("datagram from {} dropped: datagram of {} bytes, more than the {} an application may send"
                        + " (--max-payload less the flow prefix; said once a minute per application){}", app,
                        length, maxDatagram, tooLargeLog.takeSuppressed());
            }
            return;
        }
        AppFlow flow = flows.get(app);
        if (flow == null) {
            flow = open((InetSocketAddress) app);
            if (flow == null) {
                return;
            }
        }
        try {
            tunnel.send(flow, out);
        } catch (IOException e) {
            if (!tunnel.isClosed()) {
                LOG.debug("datagram not sent: {}", e.toString());
            }
        }
    }

    private AppFlow open(InetSocketAddress app) {
        AppFlow flow = new AppFlow(app);
        if (!tunnel.register(flow)) {
            refused.incrementAndGet();
            if (refusedLog.allow(this, System.nanoTime())) {
                LOG.warn("the tunnel already carries its most flows (--max-flows): datagrams from new applications"
                        + " are dropped (said once per 10 s){}", refusedLog.takeSuppressed());
            }
            return null;
        }
        flows.put(app, flow);
        flowCount = flows.size();
        LOG.debug("new application {}: flow {}", app, Integer.toHexString(flow.id()));
        return flow;
    }

    /** Stops forwarding and closes the local socket; the tunnel is its owner's to close. */
    @Override
    public void close() {
        closed = true;
        selector.wakeup();
        try {
            reader.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeQuietly(local);
        flows.values().forEach(tunnel::release);
        flows.clear();
        flowCount = 0;
        closeQuietly(selector);
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception e) {
            LOG.debug("closing {}", closeable, e);
        }
    }

    /** One application's flow: its replies go to its address. */
    private final class AppFlow extends FlowTunnel.Flow {
        final InetSocketAddress app;

        AppFlow(InetSocketAddress app) {
            super(FlowFrame.CLASSIC);
            this.app = app;
        }

        @Override
        protected void deliver(ByteBuffer payload) {
            try {
                if (local.send(payload, app) == 0 && payload.hasRemaining()) {
                    repliesDropped.incrementAndGet(); // the socket buffer is full: lost, as on a network
                }
            } catch (IOException e) {
                repliesDropped.incrementAndGet();
                if (!closed) {
                    LOG.debug("reply to {} not delivered: {}", app, e.toString());
                }
            }
        }
    }
}
