package org.mptunnel.internal.bridge;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.mptunnel.internal.path.Counter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A plain UDP relay, what {@code socat udp-listen:PORT udp4:TARGET} is to the C mptunnel, but with
 * one upstream socket per client address (so many clients can share it) and an optional
 * {@link Impairment} in both directions. It knows nothing of the tunnel protocol: it is the bridge
 * that tunnel paths go through, in tests, the demo and the {@code mpbridge} tool.
 *
 * <p>One thread does everything: a selector over the listening socket and the upstream sockets,
 * and a queue of delayed datagrams ordered by due time.
 */
public final class UdpBridge implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(UdpBridge.class);
    private static final long IDLE_CLIENT_NANOS = TimeUnit.SECONDS.toNanos(120);
    private static final long SWEEP_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final int MAX_DATAGRAM = 65_535;
    /** Asked of the kernel per socket, like the tunnel's own; Linux caps it at net.core.[rw]mem_max. */
    private static final int SOCKET_BUFFER_BYTES = 4 << 20;

    private final DatagramChannel listen;
    private final InetSocketAddress target;
    private final Selector selector;
    private final Thread thread;
    private final Map<InetSocketAddress, Upstream> upstreams = new HashMap<>();
    private final PriorityQueue<Delayed> delayed = new PriorityQueue<>();
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(MAX_DATAGRAM);
    private final Counter forwarded = new Counter();
    private final Counter dropped = new Counter();

    private volatile Impairment impairment;
    private volatile boolean blackhole;
    private volatile boolean running = true;
    /** Completed with what ended the thread, if something escapes it. */
    private final CompletableFuture<Throwable> failure = new CompletableFuture<>();
    /** Bridge thread only, one generator per direction so that each direction's draws are repeatable. */
    private SplittableRandom toTargetRandom;
    private SplittableRandom toClientRandom;
    private Impairment randomsFor;
    private long delayedSequence;
    private long nextSweep;

    private UdpBridge(DatagramChannel listen, InetSocketAddress target, Selector selector, Impairment impairment) {
        this.listen = listen;
        this.target = target;
        this.selector = selector;
        this.impairment = impairment;
        this.thread = new Thread(this::run, "mpbridge-" + listen.socket().getLocalPort());
        this.thread.setDaemon(true);
    }

    /**
     * Starts a bridge.
     *
     * @param listenAddress where clients send (port 0 picks a free one)
     * @param target        where their datagrams go
     * @param impairment    what happens to datagrams on the way, both directions
     * @return the running bridge
     * @throws IOException if the port cannot be bound
     */
    public static UdpBridge start(InetSocketAddress listenAddress, InetSocketAddress target, Impairment impairment)
            throws IOException {
        DatagramChannel listen = DatagramChannel.open();
        Selector selector = null;
        try {
            listen.setOption(java.net.StandardSocketOptions.SO_RCVBUF, SOCKET_BUFFER_BYTES);
            listen.setOption(java.net.StandardSocketOptions.SO_SNDBUF, SOCKET_BUFFER_BYTES);
            listen.bind(listenAddress);
            listen.configureBlocking(false);
            selector = Selector.open();
            listen.register(selector, SelectionKey.OP_READ);
            UdpBridge bridge = new UdpBridge(listen, target, selector, impairment);
            bridge.thread.start();
            return bridge;
        } catch (IOException | RuntimeException e) {
            listen.close();
            if (selector != null) {
                selector.close();
            }
            throw e;
        }
    }

    /** @return the address clients send to */
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) listen.socket().getLocalSocketAddress();
    }

    /**
     * @return completed, on the bridge's thread, with what ended it if something escaped it (an
     *         {@link Error} such as {@link OutOfMemoryError}, a bug): the bridge has then stopped and
     *         closes its ports; never completed by {@link #close()}
     */
    public CompletableFuture<Throwable> failure() {
        return failure;
    }

    /** Changes the impairment from the next datagram on; a new seed restarts the draws. */
    public void impairment(Impairment next) {
        this.impairment = next;
    }

    /** While on, every datagram in both directions is dropped, as if the path were cut. */
    public void blackhole(boolean on) {
        this.blackhole = on;
    }

    /** @return datagrams sent on, both directions (a duplicate counts twice) */
    public long forwarded() {
        return forwarded.get();
    }

    /** @return datagrams dropped by the impairment or the blackhole, both directions */
    public long dropped() {
        return dropped.get();
    }

    private void run() {
        try {
            while (running) {
                long now = System.nanoTime();
                releaseDue(now);
                if (now - nextSweep >= 0) {
                    sweepIdleClients(now);
                    nextSweep = now + SWEEP_NANOS;
                }
                long wakeAt = delayed.isEmpty() ? nextSweep : Math.min(nextSweep, delayed.peek().due);
                long waitMillis = Math.max(1, TimeUnit.NANOSECONDS.toMillis(wakeAt - now + 999_999));
                selector.select(this::onReady, waitMillis);
            }
        } catch (ClosedSelectorException e) {
            // closed under us
        } catch (Throwable e) { // an Error too (out of memory): nothing ends the thread silently
            delayed.clear(); // what it held goes first: out of memory, that leaves room to report it
            try {
                LOG.error("bridge {} failed and stopped", thread.getName(), e);
            } finally {
                failure.complete(e);
            }
        } finally {
            closeChannels();
        }
    }

    private void onReady(SelectionKey key) {
        try {
            if (key.channel() == listen) {
                fromClients();
            } else {
                fromTarget((Upstream) key.attachment());
            }
        } catch (IOException e) {
            LOG.debug("bridge read failed", e);
        }
    }

    private void fromClients() throws IOException {
        for (int i = 0; i < 64; i++) {
            buffer.clear();
            SocketAddress source = listen.receive(buffer);
            if (source == null) {
                return;
            }
            Upstream upstream = upstreams.get(source);
            if (upstream == null) {
                upstream = openUpstream((InetSocketAddress) source);
            }
            upstream.lastActive = System.nanoTime();
            buffer.flip();
            pass(buffer, upstream.channel, null, toTargetRandom());
        }
    }

    private void fromTarget(Upstream upstream) throws IOException {
        for (int i = 0; i < 64; i++) {
            buffer.clear();
            int n;
            try {
                n = upstream.channel.read(buffer);
            } catch (java.net.PortUnreachableException e) {
                continue; // the target is not there (yet): its ICMP error surfaces here
            }
            if (n <= 0) {
                return;
            }
            buffer.flip();
            pass(buffer, listen, upstream.client, toClientRandom());
        }
    }

    private Upstream openUpstream(InetSocketAddress client) throws IOException {
        DatagramChannel channel = DatagramChannel.open(target.getAddress() instanceof Inet4Address
                ? StandardProtocolFamily.INET : StandardProtocolFamily.INET6);
        try {
            channel.setOption(java.net.StandardSocketOptions.SO_RCVBUF, SOCKET_BUFFER_BYTES);
            channel.setOption(java.net.StandardSocketOptions.SO_SNDBUF, SOCKET_BUFFER_BYTES);
            channel.connect(target);
            channel.configureBlocking(false);
            Upstream upstream = new Upstream(channel, client);
            channel.register(selector, SelectionKey.OP_READ, upstream);
            upstreams.put(client, upstream);
            return upstream;
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /** Applies the impairment to one datagram and sends it on, now or later. */
    private void pass(ByteBuffer datagram, DatagramChannel out, InetSocketAddress to, SplittableRandom random) {
        Impairment imp = impairment;
        if (blackhole || (imp.loss() > 0 && random.nextDouble() < imp.loss())) {
            dropped.increment();
            return;
        }
        if (imp.isNone()) {
            emit(datagram, out, to);
            return;
        }
        int copies = imp.duplicate() > 0 && random.nextDouble() < imp.duplicate() ? 2 : 1;
        long delay = imp.delay().toNanos();
        long jitter = imp.jitter().toNanos();
        if (jitter > 0) {
            delay += random.nextLong(jitter + 1);
        }
        if (imp.reorder() > 0 && random.nextDouble() < imp.reorder()) {
            delay += Impairment.REORDER_HOLD.toNanos();
        }
        for (int c = 0; c < copies; c++) {
            if (delay == 0) {
                emit(datagram, out, to);
            } else {
                byte[] copy = new byte[datagram.remaining()];
                datagram.get(datagram.position(), copy);
                delayed.add(new Delayed(System.nanoTime() + delay, delayedSequence++, copy, out, to));
            }
        }
    }

    private void releaseDue(long now) {
        while (!delayed.isEmpty() && delayed.peek().due - now <= 0) {
            Delayed d = delayed.poll();
            emit(ByteBuffer.wrap(d.data), d.out, d.to);
        }
    }

    private void emit(ByteBuffer datagram, DatagramChannel out, InetSocketAddress to) {
        int position = datagram.position();
        try {
            int sent = to == null ? out.write(datagram) : out.send(datagram, to);
            if (sent > 0) {
                forwarded.increment();
            } else {
                dropped.increment();
            }
        } catch (IOException e) {
            dropped.increment(); // e.g. the target is unreachable: the datagram is lost, as on a network
        } finally {
            datagram.position(position);
        }
    }

    private void sweepIdleClients(long now) {
        List<InetSocketAddress> idle = new ArrayList<>();
        upstreams.forEach((client, upstream) -> {
            if (now - upstream.lastActive > IDLE_CLIENT_NANOS) {
                idle.add(client);
            }
        });
        for (InetSocketAddress client : idle) {
            try {
                upstreams.remove(client).channel.close();
            } catch (IOException e) {
                LOG.debug("closing idle upstream", e);
            }
        }
    }

    private SplittableRandom toTargetRandom() {
        reseedIfChanged();
        return toTargetRandom;
    }

    private SplittableRandom toClientRandom() {
        reseedIfChanged();
        return toClientRandom;
    }

    private void reseedIfChanged() {
        Impairment imp = impairment;
        if (imp != randomsFor) {
            randomsFor = imp;
            toTargetRandom = new SplittableRandom(imp.seed());
            toClientRandom = new SplittableRandom(imp.seed() ^ 0x5DEECE66DL);
        }
    }

    private void closeChannels() {
        try {
            for (SelectionKey key : selector.keys()) {
                key.channel().close();
            }
            selector.close();
        } catch (IOException | ClosedSelectorException e) {
            LOG.debug("closing bridge", e);
        }
    }

    /** Stops the bridge and frees its ports before returning. */
    @Override
    public void close() {
        running = false;
        selector.wakeup();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static final class Upstream {
        final DatagramChannel channel;
        final InetSocketAddress client;
        long lastActive;

        Upstream(DatagramChannel channel, InetSocketAddress client) {
            this.channel = channel;
            this.client = client;
        }
    }

    private static final class Delayed implements Comparable<Delayed> {
        final long due;
        final long sequence;
        final byte[] data;
        final DatagramChannel out;
        final InetSocketAddress to;

        Delayed(long due, long sequence, byte[] data, DatagramChannel out, InetSocketAddress to) {
            this.due = due;
            this.sequence = sequence;
            this.data = data;
            this.out = out;
            this.to = to;
        }

        @Override
        public int compareTo(Delayed o) {
            int byDue = Long.compare(due - o.due, 0);
            return byDue != 0 ? byDue : Long.compare(sequence, o.sequence);
        }
    }
}
