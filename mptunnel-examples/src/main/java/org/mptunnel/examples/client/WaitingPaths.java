package org.mptunnel.examples.client;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.ArrayList;
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
     * Which of {@code paths} the system cannot route now: connecting a UDP socket to the remote (from
     * the path's local address, or {@code bind}) asks the kernel for a route and sends nothing. A
     * path that leaves from an interface is left to the session (its socket is bound to the device).
     *
     * @return each such path and why, in order
     */
    public static Map<TunnelPath, String> unroutable(List<TunnelPath> paths, InetAddress bind) {
        Map<TunnelPath, String> none = new LinkedHashMap<>();
        for (TunnelPath path : paths) {
            if (path.interfaceName() != null) {
                continue;
            }
            InetAddress remote = path.remote().getAddress();
            InetAddress local = path.localAddress() != null ? path.localAddress().getAddress() : bind;
            try (DatagramChannel probe = DatagramChannel.open(remote instanceof Inet6Address
                    ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET)) {
                if (local != null) {
                    probe.bind(new InetSocketAddress(local, 0));
                }
                probe.connect(path.remote());
            } catch (IOException | RuntimeException e) {
                none.put(path, "path " + ClientConfigFile.describe(path) + ": " + e.getMessage());
            }
        }
        return none;
    }

    /** A reload's paths: those not in the session are tried until they are. */
    public void want(List<TunnelPath> paths) {
        wanted = List.copyOf(paths);
    }

    private void retry() {
        try {
            List<TunnelPath> want = wanted;
            if (updater.current().containsAll(want)) {
                return;
            }
            PathUpdater.Outcome outcome = updater.apply(want);
            for (TunnelPath path : outcome.added()) {
                LOG.info("path {} is routable now: added", ClientConfigFile.describe(path));
            }
            warned = false;
        } catch (RuntimeException e) {
            if (!warned) { // once until a retry succeeds: the same failure every RETRY says nothing new
                warned = true;
                LOG.warn("trying the waiting paths again failed (tried every {} s): {}", RETRY.toSeconds(), e.toString());
            }
        }
    }

    /** @return the wanted paths not in the session now */
    public List<TunnelPath> waiting() {
        List<TunnelPath> left = new ArrayList<>(wanted);
        left.removeAll(updater.current());
        return left;
    }

    @Override
    public void close() {
        retries.shutdownNow();
    }
}
