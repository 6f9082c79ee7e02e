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
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.mptunnel.internal.path.Counter;
import org.mptunnel.internal.session.SourceBlock;
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
 *
 * <p>Delayed datagrams are held as copies, at most {@value #MAX_DELAYED_DATAGRAMS} and
 * {@code delayMaxBytes} of payload (default {@value #DEFAULT_DELAY_MAX_BYTES} bytes) at once: past
 * either, a datagram due for a delay is dropped and counted ({@link #delayDropped()}), as a
 * router's full queue drops, so that a flood through a delaying bridge costs bounded memory.
 *
 * <p>Upstream sockets are bounded by {@link ClientLimits}: a new client past a limit takes the
 * socket of the least recently active client (of its own source, if that source is at its share),
 * so that a flood of new source ports costs a bounded number of descriptors and cannot lock out
 * the next client. Clients are kept in order of activity in intrusive lists, so that a datagram of
 * a known client costs a hash lookup and two O(1) moves, and allocates nothing.
 */
public final class UdpBridge implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(UdpBridge.class);
    private static final long SWEEP_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** At most one warning per this interval about clients evicted or refused. */
    private static final Duration WARNING_INTERVAL = Duration.ofSeconds(10);
    /** Seeds of the to-client draws and of the burst chains differ from the to-target draws' seed. */
    private static final long TO_CLIENT_SALT = 0x5DEECE66DL;
    private static final long BURST_SALT = 0x9E3779B97F4A7C15L;
    private static final int MAX_DATAGRAM = 65_535;
    /** Asked of the kernel per socket, like the tunnel's own; Linux caps it at net.core.[rw]mem_max. */
    private static final int SOCKET_BUFFER_BYTES = 4 << 20;
    /** The most datagrams held for a delay at once (each costs its copy and about 80 bytes more). */
    public static final int MAX_DELAYED_DATAGRAMS = 65_536;
    /** The default bound on the payload bytes held for a delay: 32 MiB, 0.27 s of 1 Gbit/s. */
    public static final long DEFAULT_DELAY_MAX_BYTES = 32L << 20;

    private final DatagramChannel listen;
    private final InetSocketAddress target;
    private final Selector selector;
    private final Thread thread;
    private final ClientLimits limits;
    private final long idleNanos;
    private final Map<InetSocketAddress, Upstream> upstreams = new HashMap<>();
    /** Every client, least recently active first. */
    private final RecencyList<Upstream> byActivity = new RecencyList<>();
    /** The clients of each source (IPv4 address or IPv6 /64), least recently active first. */
    private final Map<SourceBlock, RecencyList<Upstream>> bySource = new HashMap<>();
    private final PriorityQueue<Delayed> delayed = new PriorityQueue<>();
    private final long delayMaxBytes;
    /** Payload bytes in {@link #delayed}. */
    private long delayedBytes;
    private final Counter delayDropped = new Counter();
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(MAX_DATAGRAM);
    /** Made once: a method reference made at each select would be one allocation per wake-up. */
    private final Consumer<SelectionKey> onReady = this::onReady;
    private final Counter forwarded = new Counter();
    private final Counter dropped = new Counter();
    private final Counter evicted = new Counter();
    private final Counter refused = new Counter();
    private final SheddingWarning sheddingWarning;

    private volatile Impairment impairment;
    private volatile boolean blackhole;
    private volatile DropLog dropLog;
    private volatile boolean running = true;
    /** Completed with what ended the thread, if something escapes it. */
    private final CompletableFuture<Throwable> failure = new CompletableFuture<>();
    /** Written by the bridge thread only. */
    private volatile int clients;
    /** Bridge thread only from here on; one set of draws per direction, so that each is repeatable. */
    private Direction toTarget;
    private Direction toClient;
    private Impairment directionsFor;
    private long delayedSequence;
    private long nextSweep;
    private IOException lastRefusal;

    private UdpBridge(DatagramChannel listen, InetSocketAddress target, Selector selector, Impairment impairment,
            ClientLimits limits, long delayMaxBytes) {
        this.delayMaxBytes = delayMaxBytes;
        this.listen = listen;
        this.target = target;
        this.selector = selector;
        this.impairment = impairment;
        this.limits = limits;
        this.idleNanos = limits.idleTimeout().toNanos();
        this.sheddingWarning = new SheddingWarning(WARNING_INTERVAL, limits);
        this.thread = new Thread(this::run, "mpbridge-" + listen.socket().getLocalPort());
        this.thread.setDaemon(true);
    }

    /**
     * Starts a bridge with the {@linkplain ClientLimits#DEFAULT default client limits}.
     *
     * @param listenAddress where clients send (port 0 picks a free one)
     * @param target        where their datagrams go
     * @param impairment    what happens to datagrams on the way, both directions
     * @return the running bridge
     * @throws IOException if the port cannot be bound
     */
    public static UdpBridge start(InetSocketAddress listenAddress, InetSocketAddress target, Impairment impairment)
            throws IOException {
        return start(listenAddress, target, impairment, ClientLimits.DEFAULT);
    }

    /**
     * Starts a bridge.
     *
     * @param listenAddress where clients send (port 0 picks a free one)
     * @param target        where their datagrams go
     * @param impairment    what happens to datagrams on the way, both directions
     * @param limits        how many clients get an upstream socket, and for how long
     * @return the running bridge
     * @throws IOException if the port cannot be bound
     */
    public static UdpBridge start(InetSocketAddress listenAddress, InetSocketAddress target, Impairment impairment,
            ClientLimits limits) throws IOException {
        return start(listenAddress, target, impairment, limits, DEFAULT_DELAY_MAX_BYTES);
    }

    /**
     * Starts a bridge.
     *
     * @param listenAddress where clients send (port 0 picks a free one)
     * @param target        where their datagrams go
     * @param impairment    what happens to datagrams on the way, both directions
     * @param limits        how many clients get an upstream socket, and for how long
     * @param delayMaxBytes the most payload bytes held for a delay at once, at least 1
     * @return the running bridge
     * @throws IOException if the port cannot be bound
     */
    public static UdpBridge start(InetSocketAddress listenAddress, InetSocketAddress target, Impairment impairment,
            ClientLimits limits, long delayMaxBytes) throws IOException {
        Objects.requireNonNull(limits, "limits");
        if (delayMaxBytes < 1) {
            throw new IllegalArgumentException("delayMaxBytes must be at least 1, got " + delayMaxBytes);
        }
        DatagramChannel listen = DatagramChannel.open();
        Selector selector = null;
        try {
            listen.setOption(java.net.StandardSocketOptions.SO_RCVBUF, SOCKET_BUFFER_BYTES);
            listen.setOption(java.net.StandardSocketOptions.SO_SNDBUF, SOCKET_BUFFER_BYTES);
            listen.bind(listenAddress);
            listen.configureBlocking(false);
            selector = Selector.open();
            listen.register(selector, SelectionKey.OP_READ);
            UdpBridge bridge = new UdpBridge(listen, target, selector, impairment, limits, delayMaxBytes);
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

    /**
     * Records every datagram dropped from now on (by the impairment, the blackhole or a full delay
     * queue) in {@code log}, which the bridge's thread writes: read it after {@link #close()}.
     */
    public void dropLog(DropLog log) {
        this.dropLog = log;
    }

    /** @return datagrams sent on, both directions (a duplicate counts twice) */
    public long forwarded() {
        return forwarded.get();
    }

    /**
     * @return datagrams dropped by the impairment, the blackhole or a full delay queue, or because no upstream socket
     *         could be opened for a new client, both directions
     */
    public long dropped() {
        return dropped.get();
    }

    /**
     * @return datagrams dropped because the delay queue was full ({@value #MAX_DELAYED_DATAGRAMS}
     *         datagrams or its byte bound), both directions; also counted in {@link #dropped()}
     */
    public long delayDropped() {
        return delayDropped.get();
    }

    /** @return clients that have an upstream socket now (each costs one file descriptor) */
    public int clients() {
        return clients;
    }

    /** @return clients whose upstream socket was given to a new client because a limit was reached */
    public long evicted() {
        return evicted.get();
    }

    /** @return new clients whose first datagram was dropped because no upstream socket could be opened */
    public long refused() {
        return refused.get();
    }

    private void run() {
        try {
            while (running) {
                long now = System.nanoTime();
                releaseDue(now);
                if (now - nextSweep >= 0) {
                    sweepIdleClients(now);
                    warnIfShedding(now);
                    nextSweep = now + SWEEP_NANOS;
                }
                long wakeAt = delayed.isEmpty() ? nextSweep : Math.min(nextSweep, delayed.peek().due);
                long waitMillis = Math.max(1, TimeUnit.NANOSECONDS.toMillis(wakeAt - now + 999_999));
                selector.select(onReady, waitMillis);
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
            long now = System.nanoTime();
            Upstream upstream = upstreams.get(source);
            if (upstream == null) {
                upstream = admit((InetSocketAddress) source);
                if (upstream == null) {
                    dropped.increment();
                    continue;
                }
            }
            upstream.lastActive = now;
            byActivity.markUsed(upstream.inAll);
            upstream.sameSource.markUsed(upstream.inSource);
            buffer.flip();
            pass(buffer, upstream.channel, null, toTarget());
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
            pass(buffer, listen, upstream.client, toClient());
        }
    }

    /**
     * Gives a new client an upstream socket, taking the one of the least recently active client of
     * its source when the source is at its share, else of all clients when they are at the limit.
     *
     * @return the client's upstream, or null if no socket could be opened (counted and warned of)
     */
    private Upstream admit(InetSocketAddress client) {
        SourceBlock source = SourceBlock.of(client.getAddress());
        RecencyList<Upstream> sameSource = bySource.get(source);
        if (sameSource != null && sameSource.size() >= limits.maxClientsPerSource()) {
            forget(sameSource.leastRecent());
            evicted.increment();
        } else if (upstreams.size() >= limits.maxClients()) {
            forget(byActivity.leastRecent());
            evicted.increment();
        }
        try {
            return openUpstream(client, source);
        } catch (IOException e) {
            refused.increment();
            lastRefusal = e;
            return null;
        }
    }

    private Upstream openUpstream(InetSocketAddress client, SourceBlock source) throws IOException {
        DatagramChannel channel = DatagramChannel.open(target.getAddress() instanceof Inet4Address
                ? StandardProtocolFamily.INET : StandardProtocolFamily.INET6);
        try {
            channel.setOption(java.net.StandardSocketOptions.SO_RCVBUF, SOCKET_BUFFER_BYTES);
            channel.setOption(java.net.StandardSocketOptions.SO_SNDBUF, SOCKET_BUFFER_BYTES);
            channel.connect(target);
            channel.configureBlocking(false);
            RecencyList<Upstream> sameSource = bySource.get(source);
            Upstream upstream = new Upstream(channel, client, source,
                    sameSource != null ? sameSource : new RecencyList<>());
            channel.register(selector, SelectionKey.OP_READ, upstream);
            bySource.putIfAbsent(source, upstream.sameSource);
            upstreams.put(client, upstream);
            clients = upstreams.size();
            return upstream;
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /** Applies the impairment to one datagram and sends it on, now or later. */
    private void pass(ByteBuffer datagram, DatagramChannel out, InetSocketAddress to, Direction direction) {
        Impairment imp = impairment;
        SplittableRandom random = direction.random;
        boolean lostInBurst = direction.bursts.loseNext(); // the chain steps once per datagram, whatever else happens
        if (blackhole || (imp.loss() > 0 && random.nextDouble() < imp.loss()) || lostInBurst) {
            dropped(datagram, direction);
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
            } else if (delayed.size() >= MAX_DELAYED_DATAGRAMS || delayedBytes + datagram.remaining() > delayMaxBytes) {
                delayDropped.increment();
                dropped(datagram, direction);
            } else {
                byte[] copy = new byte[datagram.remaining()];
                datagram.get(datagram.position(), copy);
                delayedBytes += copy.length;
                delayed.add(new Delayed(System.nanoTime() + delay, delayedSequence++, copy, out, to));
            }
        }
    }

    private void dropped(ByteBuffer datagram, Direction direction) {
        dropped.increment();
        DropLog log = dropLog;
        if (log != null) {
            log.record(datagram, direction == toTarget);
        }
    }

    private void releaseDue(long now) {
        while (!delayed.isEmpty() && delayed.peek().due - now <= 0) {
            Delayed d = delayed.poll();
            delayedBytes -= d.data.length;
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

    /** Closes the sockets of clients idle too long: the least recently active first, so O(closed). */
    private void sweepIdleClients(long now) {
        for (Upstream oldest = byActivity.leastRecent(); oldest != null && now - oldest.lastActive > idleNanos;
                oldest = byActivity.leastRecent()) {
            forget(oldest);
        }
    }

    private void forget(Upstream upstream) {
        upstreams.remove(upstream.client);
        byActivity.remove(upstream.inAll);
        upstream.sameSource.remove(upstream.inSource);
        if (upstream.sameSource.size() == 0) {
            bySource.remove(upstream.source);
        }
        clients = upstreams.size();
        try {
            upstream.channel.close(); // the descriptor goes at the next select, which deregisters it
        } catch (IOException e) {
            LOG.debug("closing upstream of {}", upstream.client, e);
        }
    }

    /** A flood of new clients must be visible, but in one line per interval, not one per datagram. */
    private void warnIfShedding(long now) {
        String warning = sheddingWarning.next(now, evicted.get(), refused.get(), lastRefusal);
        if (warning != null) {
            LOG.warn("{}: {}", thread.getName(), warning);
        }
    }

    private Direction toTarget() {
        reseedIfChanged();
        return toTarget;
    }

    private Direction toClient() {
        reseedIfChanged();
        return toClient;
    }

    private void reseedIfChanged() {
        Impairment imp = impairment;
        if (imp != directionsFor) {
            directionsFor = imp;
            toTarget = new Direction(imp, 0);
            toClient = new Direction(imp, TO_CLIENT_SALT);
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
        final SourceBlock source;
        final RecencyList<Upstream> sameSource;
        final RecencyList.Node<Upstream> inAll = new RecencyList.Node<>(this);
        final RecencyList.Node<Upstream> inSource = new RecencyList.Node<>(this);
        long lastActive;

        Upstream(DatagramChannel channel, InetSocketAddress client, SourceBlock source,
                RecencyList<Upstream> sameSource) {
            this.channel = channel;
            this.client = client;
            this.source = source;
            this.sameSource = sameSource;
        }
    }

    /** The draws of one direction: the impairment's generator and the burst chain. */
    private static final class Direction {
        final SplittableRandom random;
        final GilbertElliott.Chain bursts;

        Direction(Impairment imp, long salt) {
            this.random = new SplittableRandom(imp.seed() ^ salt);
            this.bursts = imp.burstLoss().start(imp.seed() ^ salt ^ BURST_SALT);
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
