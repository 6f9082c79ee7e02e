package org.mptunnel.examples.client;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.StandardProtocolFamily;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.mptunnel.TunnelPath;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The configured paths a running mpclient could not open because the system has no route to their
 * remote yet (an uplink still coming up at boot, a modem not dialled in): the tunnel starts with
 * the others, and every {@link #RETRY} these are given again to the {@link PathUpdater}, which adds
 * each to the running session once the system can route it; so is a path a reload wants and the
 * session could not add. One daemon thread, which wakes every {@link #RETRY} and does nothing while
 * every wanted path is in.
 */
public final class WaitingPaths implements AutoCloseable {

    /** How often paths without a route are tried again. */
    public static final Duration RETRY = Duration.ofSeconds(2);

    private static final Logger LOG = LoggerFactory.getLogger(WaitingPaths.class);

    private final PathUpdater updater;
    private final ScheduledExecutorService retries = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "mpclient-waiting-paths");
        thread.setDaemon(true);
        return thread;
    });
    private volatile List<TunnelPath> wanted;
    /** Retry thread only: a failed retry was logged, and no retry has succeeded since. */
    private boolean warned;

    /**
     * @param updater gives the running session its paths
     * @param wanted  every configured path, those opened and those waiting
     */
    public WaitingPaths(PathUpdater updater, List<TunnelPath> wanted) {
        this.updater = updater;
        this.wanted = List.copyOf(wanted);
        retries.scheduleWithFixedDelay(this::retry, RETRY.toMillis(), RETRY.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Which of {@code paths} the system cannot route now: connecting a UDP socket to the remote from
     * where the path's socket will be bound (its local address, its interface's address, or
     * {@code bind} unless that is the wildcard) asks the kernel for a route and sends nothing. A
     * path whose remote is a name not resolved yet is left to the session.
     *
     * @return each such path and why, in order
     */
    public static Map<TunnelPath, String> unroutable(List<TunnelPath> paths, InetAddress bind) {
        Map<TunnelPath, String> none = new LinkedHashMap<>();
        for (TunnelPath path : paths) {
            InetAddress remote = path.remote().getAddress();
            if (remote == null) {
                continue;
            }
            boolean ipv6 = remote instanceof Inet6Address;
            try (DatagramChannel probe = DatagramChannel.open(ipv6 ? StandardProtocolFamily.INET6
                    : StandardProtocolFamily.INET)) {
                InetAddress local = localOf(path, bind, ipv6);
                if (local != null) {
                    probe.bind(new InetSocketAddress(local, 0));
                }
                probe.connect(path.remote());
            } catch (IOException | RuntimeException e) {
                none.put(path, "path " + ClientConfigFile.describe(path) + ": "
                        + (e.getMessage() != null ? e.getMessage() : e.toString()));
            }
        }
        return none;
    }

    /** @return the address the path's socket binds, as the session binds it; null for the wildcard */
    private static InetAddress localOf(TunnelPath path, InetAddress bind, boolean ipv6) throws IOException {
        InetAddress local = null;
        if (path.localAddress() != null) {
            local = path.localAddress().getAddress();
        } else if (path.interfaceName() != null) {
            NetworkInterface nif = NetworkInterface.getByName(path.interfaceName());
            local = nif == null ? null : nif.inetAddresses().filter(a -> a instanceof Inet6Address == ipv6)
                    .findFirst().orElse(null);
        } else {
            local = bind;
        }
        return local == null || local.isAnyLocalAddress() ? null : local;
    }

    /**
     * A reload: brings the session to {@code paths} ({@link PathUpdater#apply}), and those it could
     * not add are tried from then on. Under the updater's lock, so that a retry cannot apply the
     * list from before the reload after it.
     */
    public PathUpdater.Outcome apply(List<TunnelPath> paths) {
        synchronized (updater) {
            PathUpdater.Outcome outcome = updater.apply(paths);
            wanted = List.copyOf(paths);
            return outcome;
        }
    }

    private void retry() {
        try {
            synchronized (updater) {
                List<TunnelPath> want = wanted;
                if (updater.current().containsAll(want)) {
                    return;
                }
                PathUpdater.Outcome outcome = updater.apply(want);
                for (TunnelPath path : outcome.added()) {
                    LOG.info("path {} is routable now: added", ClientConfigFile.describe(path));
                }
            }
            warned = false;
        } catch (Throwable e) { // the thread must go on: the next retry may succeed
            if (!warned) { // once until a retry succeeds: the same failure every RETRY says nothing new
                warned = true;
                LOG.warn("trying the waiting paths again failed (tried every {} s): {}", RETRY.toSeconds(), e.toString());
            }
        }
    }

    /** Stops the retries, waiting (briefly) for one under way, so that none runs after the tunnel closes. */
    @Override
    public void close() {
        retries.shutdown();
        try {
            if (!retries.awaitTermination(2, TimeUnit.SECONDS)) {
                retries.shutdownNow();
            }
        } catch (InterruptedException e) {
            retries.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
