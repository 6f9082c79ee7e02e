package org.mptunnel.examples.client;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.mptunnel.MultipathDatagramSocket;
import org.mptunnel.PathStats;
import org.mptunnel.TunnelPath;
import org.mptunnel.examples.cli.UserError;

/**
 * Gives a running mpclient a new list of paths: sessions opened from then on get it, and every
 * tunnel socket open now is brought to it ({@link MultipathDatagramSocket#addPath},
 * {@link MultipathDatagramSocket#removePath}), so the paths they keep carry on undisturbed. The
 * seam between what decides the paths (a reload, automatic paths) and what holds the sockets
 * ({@link Tunnels}). One change at a time.
 */
public final class PathUpdater {

    /** What holds mpclient's tunnel sockets. */
    public interface Tunnels {

        /**
         * Tunnel sockets opened from now on have these paths.
         *
         * @throws IllegalArgumentException if no configuration can have them (none, too many)
         */
        void pathsForNewTunnels(List<TunnelPath> paths);

        /** @return every tunnel socket open now */
        List<MultipathDatagramSocket> openTunnels();
    }

    /**
     * What a change did, counted over the distinct paths: added and removed, and the paths that
     * could not be added (to some socket, or at all), each with why.
     */
    public record Outcome(Set<TunnelPath> added, Set<TunnelPath> removed, Map<TunnelPath, String> failed) {

        /** @return whether anything changed or failed */
        public boolean any() {
            return !added.isEmpty() || !removed.isEmpty() || !failed.isEmpty();
        }
    }

    /** The longest a change waits for new paths to be answered before it removes old ones. */
    private static final long MAKE_BEFORE_BREAK_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final Tunnels tunnels;
    private List<TunnelPath> current;

    /** @param initial the paths the tunnels have now */
    public PathUpdater(Tunnels tunnels, List<TunnelPath> initial) {
        this.tunnels = tunnels;
        this.current = List.copyOf(initial);
    }

    /** @return the paths last applied */
    public synchronized List<TunnelPath> current() {
        return current;
    }

    /**
     * Brings new sessions and every open tunnel to {@code wanted}: on each socket the new paths are
     * added first (so that it never has fewer than it needs), then, once they are answered
     * ({@link #awaitHeard}), the old ones removed, then an
     * add that failed retried once (its fixed port may have been held by a path just removed). A
     * new path that cannot be used at all ({@link #unusable}: an address this machine does not
     * have, or not yet, as a new IPv6 address while the kernel checks it is unique) is left out,
     * reported as failed, and not {@link #current()}, so that the next change tries it again; so is
     * one that an open socket could not add (no route to its remote yet, say: an interface up before
     * its routes), which new sockets still get.
     *
     * @throws IllegalArgumentException if no configuration can have these paths; nothing changed
     */
    public synchronized Outcome apply(List<TunnelPath> requested) {
        Map<TunnelPath, String> failed = new LinkedHashMap<>();
        List<TunnelPath> wanted = new ArrayList<>();
        for (TunnelPath path : requested) {
            String why = current.contains(path) ? null : unusable(path);
            if (why == null) {
                wanted.add(path);
            } else {
                failed.put(path, why);
            }
        }
        if (!wanted.isEmpty()) {
            tunnels.pathsForNewTunnels(wanted);
        }
        Set<TunnelPath> added = new LinkedHashSet<>(wanted);
        added.removeAll(current);
        Set<TunnelPath> removed = new LinkedHashSet<>(current);
        removed.removeAll(wanted);
        for (MultipathDatagramSocket tunnel : tunnels.openTunnels()) {
            List<TunnelPath> has = tunnel.paths();
            List<TunnelPath> retry = new ArrayList<>();
            List<TunnelPath> joined = new ArrayList<>();
            for (TunnelPath path : wanted) {
                if (!has.contains(path)) {
                    (tryAdd(tunnel, path) ? joined : retry).add(path);
                }
            }
            if (!joined.isEmpty() && !wanted.containsAll(has)) {
                awaitHeard(tunnel, joined);
            }
            for (TunnelPath path : has) {
                if (!wanted.contains(path)) {
                    tunnel.removePath(path);
                }
            }
            for (TunnelPath path : retry) {
                try {
                    tunnel.addPath(path);
                } catch (IOException | IllegalArgumentException e) {
                    if (tunnel.isClosed()) {
                        break; // the session ended meanwhile: nothing failed
                    }
                    failed.putIfAbsent(path, "path " + ClientConfigFile.describe(path) + ": " + e.getMessage());
                }
            }
        }
        added.removeAll(failed.keySet());
        List<TunnelPath> applied = new ArrayList<>(wanted);
        applied.removeAll(failed.keySet());
        current = List.copyOf(applied);
        return new Outcome(added, removed, failed);
    }

    /**
     * Make before break: before paths are removed, waits (at most {@link #MAKE_BEFORE_BREAK_NANOS})
     * until the server has answered on each path just added, so that it knows them, and is
     * validating them, before the old ones fall silent: replies it still sends on a removed path
     * are lost until it marks that path down. Reads the socket's paths and its statistics in the
     * same order (both list the paths in the order they were added; only this class changes them).
     */
    private static void awaitHeard(MultipathDatagramSocket tunnel, List<TunnelPath> joined) {
        long deadline = System.nanoTime() + MAKE_BEFORE_BREAK_NANOS;
        while (System.nanoTime() - deadline < 0 && !tunnel.isClosed()) {
            List<TunnelPath> paths = tunnel.paths();
            var sessions = tunnel.stats().sessions();
            if (sessions.isEmpty()) {
                return;
            }
            List<PathStats> stats = sessions.get(0).paths();
            boolean allHeard = stats.size() == paths.size();
            for (int i = 0; i < paths.size() && allHeard; i++) {
                allHeard = !joined.contains(paths.get(i)) || stats.get(i).datagramsReceived() > 0;
            }
            if (allHeard) {
                return;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
    }

    private static boolean tryAdd(MultipathDatagramSocket tunnel, TunnelPath path) {
        try {
            tunnel.addPath(path);
            return true;
        } catch (IOException | IllegalArgumentException e) {
            return false;
        }
    }

    /**
     * Checks what can be checked of a path before it is used: that its local address is this
     * machine's (bound with any port: a fixed one may be held by the path it replaces), or that
     * its interface exists.
     *
     * @throws UserError if not
     */
    public static void checkUsable(TunnelPath path) {
        String why = unusable(path);
        if (why != null) {
            throw new UserError(why);
        }
    }

    /** @return why the path cannot be used, or null if it can as far as can be told */
    static String unusable(TunnelPath path) {
        String name = "path " + ClientConfigFile.describe(path) + ": ";
        if (path.interfaceName() != null) {
            try {
                NetworkInterface nif = NetworkInterface.getByName(path.interfaceName());
                if (nif == null) {
                    return name + "no network interface " + path.interfaceName();
                }
                boolean ipv6 = path.remote().getAddress() instanceof Inet6Address;
                return nif.inetAddresses().anyMatch(a -> a instanceof Inet6Address == ipv6) ? null
                        : name + "network interface " + path.interfaceName() + " has no " + (ipv6 ? "IPv6" : "IPv4")
                        + " address";
            } catch (SocketException e) {
                return name + e.getMessage();
            }
        }
        if (path.localAddress() != null) {
            InetSocketAddress any = new InetSocketAddress(path.localAddress().getAddress(), 0);
            try (DatagramSocket probe = new DatagramSocket(any)) {
                probe.getLocalPort();
            } catch (SocketException e) {
                return name + "cannot bind " + path.localAddress().getAddress().getHostAddress() + ": " + e.getMessage();
            }
        }
        return null;
    }
}
