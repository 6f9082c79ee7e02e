package org.mptunnel.internal.engine;

import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import org.mptunnel.TunnelConfig;
import org.mptunnel.TunnelPath;
import org.mptunnel.internal.io.DatagramIo;
import org.mptunnel.internal.io.IoLoop;
import org.mptunnel.internal.io.NioDatagramIo;
import org.mptunnel.internal.path.Counter;
import org.mptunnel.internal.path.Path;
import org.mptunnel.internal.session.Session;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every client role shares, whatever its wire format: one connected channel per path, each
 * registered with its {@link Path}, which the I/O backend hands back with every datagram read from
 * it. Connected channels let the kernel filter out anything not from the path's
 * address, report ICMP errors per path, and always have the same sender, so the JDK's one-entry
 * sender-address cache always hits and receiving allocates nothing.
 *
 * <p>Paths added or removed while the socket runs ({@link #addPath}, {@link #removePath}) change
 * the session's path array on the I/O thread only: the caller opens (or is told the fate of) the
 * channel, the I/O thread registers it and publishes a new array, which senders read once per
 * datagram as before. Nothing on the per-datagram path takes a lock or looks at the change.
 *
 * <p><b>Reopening</b> (roaming, docs/PROTOCOL.md): a connected channel's source address is fixed
 * when it connects, so once that address leaves its interface (a new address on the uplink) every
 * send on the path fails, for good. A sender that sees a send fail marks its path; the I/O thread,
 * at most once per path per keepalive interval, looks whether the channel's local address can still
 * be bound and if not opens the path's channel again as the path says (the wildcard, so
 * that the system picks the new source; the interface's address now) under the same {@link Path},
 * whose index the keepalives carry: the server moves the path to the new address once it is
 * validated, and the session goes on without a handshake.
 */
public abstract class ConnectedEngine extends Engine {

    private static final Logger LOG = LoggerFactory.getLogger(ConnectedEngine.class);

    /** How often a caller waiting for the I/O thread looks whether it has stopped. */
    private static final long WAIT_SLICE_MILLIS = 100;

    protected final InetSocketAddress peer;
    /** The first path's local address when the socket opened: {@code getLocalPort()} keeps it. */
    private final InetSocketAddress firstLocal;
    /** Each path as configured and its engine path; replaced (I/O thread, after start), never changed. */
    private volatile List<Binding> bindings;
    /** I/O thread: when each path (by index) last had its local address looked at, after a failed send. */
    private final long[] lastAddressCheck = new long[TunnelConfig.MAX_PATHS];
    /** I/O thread: whether {@link #lastAddressCheck} holds a time for the path. */
    private final boolean[] addressChecked = new boolean[TunnelConfig.MAX_PATHS];
    /** I/O thread: whether a failed reopening of the path was logged (once per outage). */
    private final boolean[] reopenFailureLogged = new boolean[TunnelConfig.MAX_PATHS];
    /** Whether an address can still be bound here (a send's source); a test may pretend one is not. */
    private volatile Predicate<InetAddress> addressPresent = PathChannels::isLocal;
    private final Counter reopenAttempts = new Counter();
    private final Counter reopened = new Counter();

    private record Binding(TunnelPath path, Path engine) {
    }

    /** Builds the role's engine once its channels are open. */
    @FunctionalInterface
    protected interface Factory<E extends ConnectedEngine> {
        E create(TunnelConfig config, Path[] paths, InetSocketAddress peer, long nowNanos);
    }

    protected ConnectedEngine(TunnelConfig config, Path[] paths, InetSocketAddress peer) {
        super(config);
        this.peer = peer;
        List<Binding> initial = new ArrayList<>(paths.length);
        List<TunnelPath> configured = config.tunnelPaths();
        for (int i = 0; i < paths.length; i++) {
            // An engine built over paths opened elsewhere (benchmarks) has no configured bindings for them.
            initial.add(new Binding(i < configured.size() ? configured.get(i) : TunnelPath.to(paths[i].remote()),
                    paths[i]));
        }
        this.bindings = List.copyOf(initial);
        this.firstLocal = paths.length == 0 || paths[0].channel() == null ? null
                : (InetSocketAddress) paths[0].channel().socket().getLocalSocketAddress();
    }

    /** Opens one channel per path, bound and connected, builds the engine and starts its I/O thread. */
    protected static <E extends ConnectedEngine> E open(TunnelConfig config, Factory<E> factory) throws IOException {
        return open(config, factory, NioDatagramIo.INSTANCE);
    }

    /** As {@link #open(TunnelConfig, Factory)}, the paths writing through {@code io}. */
    static <E extends ConnectedEngine> E open(TunnelConfig config, Factory<E> factory, DatagramIo io)
            throws IOException {
        InetSocketAddress peer = PathChannels.resolve(config.peerAddress(), "peer");
        Selector selector = Selector.open();
        try {
            long now = System.nanoTime();
            List<TunnelPath> configured = config.tunnelPaths();
            Path[] paths = new Path[configured.size()];
            for (int i = 0; i < paths.length; i++) {
                PathChannels.Opened opened = PathChannels.open(configured.get(i), config.bindAddress().getAddress());
                try {
                    paths[i] = new Path(i, opened.remote(), opened.channel(), true, io, now);
                    opened.channel().register(selector, SelectionKey.OP_READ, paths[i]);
                } catch (IOException | RuntimeException e) {
                    opened.channel().close();
                    throw e;
                }
            }
            E engine = factory.create(config, paths, peer, now);
            engine.start("mptunnel-client-" + paths[0].channel().socket().getLocalPort(), selector);
            return engine;
        } catch (IOException | RuntimeException e) {
            for (SelectionKey key : selector.keys()) {
                key.channel().close();
            }
            selector.close();
            throw e;
        }
    }

    /** @return the role's one session, whose paths these are */
    protected abstract Session session();

    /** I/O thread: a path joined the session (its index may be one a removed path had). */
    protected void pathAdded(Path path, long nowNanos) {
    }

    /** @return the resolved peer address, which received datagrams carry */
    public final InetSocketAddress peer() {
        return peer;
    }

    /** Any thread: the paths now, as configured or added. */
    public final List<TunnelPath> paths() {
        List<Binding> current = bindings;
        List<TunnelPath> paths = new ArrayList<>(current.size());
        for (Binding binding : current) {
            paths.add(binding.path());
        }
        return paths;
    }

    /**
     * Any thread: opens the path's channel here (so that a bad address or a busy port is the
     * caller's error), then has the I/O thread register it and add it to the session, and waits
     * for that.
     */
    public final void addPath(TunnelPath path) throws IOException {
        PathChannels.Opened opened = PathChannels.open(path, config.bindAddress().getAddress());
        CompletableFuture<Void> done = new CompletableFuture<>();
        try {
            onLoop(() -> {
                try {
                    attach(path, opened);
                    done.complete(null);
                } catch (IOException | RuntimeException e) {
                    done.completeExceptionally(e);
                }
            }, done);
        } catch (IOException | RuntimeException e) {
            opened.channel().close(); // refused, or the socket closed first: the path never joined
            throw e;
        }
    }

    /** I/O thread: the new path's channel joins the loop and its path the session. */
    private void attach(TunnelPath path, PathChannels.Opened opened) throws IOException {
        List<Binding> current = bindings;
        boolean[] used = new boolean[TunnelConfig.MAX_PATHS];
        for (Binding binding : current) {
            if (binding.path().equals(path)) {
                throw new IllegalArgumentException("path " + path + " is there already");
            }
            used[binding.engine().index()] = true;
        }
        if (current.size() >= TunnelConfig.MAX_PATHS) {
            throw new IllegalArgumentException("a client has at most " + TunnelConfig.MAX_PATHS + " paths");
        }
        int index = 0;
        while (used[index]) {
            index++;
        }
        long now = System.nanoTime();
        Path engine = new Path(index, opened.remote(), opened.channel(), true, now);
        loop().register(opened.channel(), engine);
        pathAdded(engine, now);
        session().addPath(engine);
        List<Binding> next = new ArrayList<>(current);
        next.add(new Binding(path, engine));
        bindings = List.copyOf(next);
    }

    /**
     * Any thread: has the I/O thread take the path out of the session and close its channel, and
     * waits for that.
     *
     * @return whether the socket had the path (false too if the socket is closed)
     */
    public final boolean removePath(TunnelPath path) {
        CompletableFuture<Boolean> done = new CompletableFuture<>();
        try {
            onLoop(() -> done.complete(detach(path)), done);
            return done.getNow(false);
        } catch (IOException e) {
            return false; // closed: every path is gone
        }
    }

    /** I/O thread: the path leaves; a sender still on it sees its channel closed and moves on. */
    private boolean detach(TunnelPath path) {
        List<Binding> current = bindings;
        for (Binding binding : current) {
            if (binding.path().equals(path)) {
                Path engine = binding.engine();
                engine.retire();
                session().removePath(engine);
                List<Binding> next = new ArrayList<>(current);
                next.remove(binding);
                bindings = List.copyOf(next);
                try {
                    engine.channel().close(); // cancels its key; the descriptor goes at the next select
                } catch (IOException e) {
                    // nothing is left to do with it
                }
                return true;
            }
        }
        return false;
    }

    /**
     * I/O thread, from the timer: reopens each path whose sends failed because its local address
     * went away, each looked at no more than once per keepalive interval.
     */
    protected final void reopenPathsIfNeeded(long nowNanos) {
        if (loop() == null) {
            return; // an engine over paths opened elsewhere (benchmarks) does not own them
        }
        for (Binding binding : bindings) {
            Path path = binding.engine();
            int i = path.index();
            if (addressChecked[i] && nowNanos - lastAddressCheck[i] < keepaliveNanos || !path.takeSendFailure()) {
                continue;
            }
            lastAddressCheck[i] = nowNanos;
            addressChecked[i] = true;
            DatagramChannel channel = path.channel();
            InetSocketAddress local;
            try {
                local = channel.isOpen() ? (InetSocketAddress) channel.getLocalAddress() : null;
            } catch (IOException e) {
                local = null;
            }
            if (local == null || !addressPresent.test(local.getAddress())) {
                reopen(binding.path(), path, channel, local);
            }
        }
    }

    /** I/O thread: opens the path's channel again, as its {@link TunnelPath} says, under the same path. */
    private void reopen(TunnelPath configured, Path path, DatagramChannel old, InetSocketAddress oldLocal) {
        reopenAttempts.increment();
        int i = path.index();
        PathChannels.Opened opened;
        try {
            try {
                opened = PathChannels.open(configured, config.bindAddress().getAddress());
            } catch (BindException e) {
                if (!old.isOpen() || configured.localAddress() == null || configured.localAddress().getPort() == 0) {
                    throw e;
                }
                path.strand(); // its fixed port is still the old channel's: let it go first
                old.close();
                opened = PathChannels.open(configured, config.bindAddress().getAddress());
            }
        } catch (IOException | RuntimeException e) {
            if (!reopenFailureLogged[i]) {
                reopenFailureLogged[i] = true;
                // DEBUG: an address that went with its interface is said once by whoever removed it (the
                // path goes down in the statistics meanwhile); a reopening that succeeds is said at INFO.
                LOG.debug("path {}: its local address {} is gone and it cannot be reopened yet ({}); trying again"
                        + " every keepalive interval", configured, oldLocal, e.getMessage());
            }
            return;
        }
        try {
            loop().register(opened.channel(), path);
        } catch (IOException e) {
            closeQuietly(opened.channel()); // the loop is closing
            return;
        }
        path.reopened(opened.channel());
        closeQuietly(old);
        reopened.increment();
        reopenFailureLogged[i] = false;
        LOG.info("path {}: its local address {} is gone; reopened from {}", configured, oldLocal,
                opened.channel().socket().getLocalSocketAddress());
    }

    private static void closeQuietly(DatagramChannel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            // nothing is left to do with it
        }
    }

    /** @return how many times a path's channel was opened again (or tried) because its local address went away */
    public final long reopenAttempts() {
        return reopenAttempts.get();
    }

    /** @return how many of those attempts gave the path a new channel */
    public final long pathsReopened() {
        return reopened.get();
    }

    /** For tests: pretends addresses failing {@code present} left this host's interfaces. */
    final void addressPresent(Predicate<InetAddress> present) {
        addressPresent = present;
    }

    /**
     * Runs {@code task} on the I/O thread (at once if this is it) and waits until it has run,
     * uninterruptibly: the change is short. If the loop stops first, the socket is closed.
     */
    private void onLoop(Runnable task, CompletableFuture<?> done) throws IOException {
        IoLoop loop = loop();
        if (loop.inLoop()) {
            task.run();
        } else {
            if (!loop.isRunning()) {
                throw new SocketException("Socket is closed");
            }
            loop.execute(task);
            boolean interrupted = false;
            try {
                while (!done.isDone()) {
                    try {
                        done.get(WAIT_SLICE_MILLIS, TimeUnit.MILLISECONDS);
                    } catch (InterruptedException e) {
                        interrupted = true;
                    } catch (TimeoutException e) {
                        if (!loop.isRunning() && !done.isDone()) {
                            throw new SocketException("Socket is closed");
                        }
                    } catch (ExecutionException e) {
                        break;
                    }
                }
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        if (done.isCompletedExceptionally()) {
            try {
                done.join();
            } catch (CompletionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof IOException) {
                    throw (IOException) cause;
                }
                throw (RuntimeException) cause;
            }
        }
    }

    @Override
    protected final void received(Object endpoint, InetSocketAddress source, ByteBuffer datagram, int length,
                                  long nowNanos) {
        onDatagram((Path) endpoint, datagram, length, nowNanos);
    }

    /**
     * I/O thread: one datagram of {@code length} bytes, in the inbox's current frame, arrived on
     * {@code path}; {@code now} is the clock read once for the read batch.
     */
    protected abstract void onDatagram(Path path, ByteBuffer datagram, int length, long now);

    @Override
    public final InetSocketAddress localAddress() {
        return firstLocal;
    }

    @Override
    public final List<DatagramChannel> channels() {
        List<Binding> current = bindings;
        List<DatagramChannel> channels = new ArrayList<>(current.size());
        for (Binding binding : current) {
            channels.add(binding.engine().channel());
        }
        return channels;
    }
}
