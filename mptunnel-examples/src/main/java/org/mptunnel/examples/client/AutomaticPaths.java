package org.mptunnel.examples.client;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.mptunnel.TunnelPath;
import org.mptunnel.examples.cli.Endpoints;
import org.mptunnel.examples.cli.UserError;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * mpclient's automatic paths: one path per usable interface and configured remote (a server or
 * bridge of the configuration file), following the interfaces as they come, go and change
 * address. Each path leaves from its interface's address (the first of the remote's family the
 * system lists, kept while the interface keeps it). Lines of the file that name their own local
 * address or interface are kept as they are.
 *
 * <p>An interface is usable when it is up, has an address of a remote's family, is not loopback
 * (unless {@link Filter#loopback}), and passes the include and exclude lists; link-local addresses
 * are not used (unless {@link Filter#linkLocal}). Every change is logged in one line per
 * interface; an interface that goes away costs nothing more (its paths are removed, quietly).
 */
public final class AutomaticPaths implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AutomaticPaths.class);

    /**
     * Which interfaces may carry paths.
     *
     * @param include   names to use, {@code *} matching any run of characters; empty: all
     * @param exclude   names never to use, likewise
     * @param loopback  whether loopback interfaces are used
     * @param linkLocal whether link-local addresses (169.254/16, fe80::/10) are used
     */
    public record Filter(List<String> include, List<String> exclude, boolean loopback, boolean linkLocal) {
        public Filter {
            include = List.copyOf(include);
            exclude = List.copyOf(exclude);
        }

        boolean admits(InterfaceSource.NetInterface nif) {
            return nif.up() && (loopback || !nif.loopback()) && (include.isEmpty() || matchesAny(include, nif.name()))
                    && !matchesAny(exclude, nif.name());
        }

        private static boolean matchesAny(List<String> globs, String name) {
            for (String glob : globs) {
                if (Pattern.matches(Pattern.quote(glob).replace("*", "\\E.*\\Q"), name)) {
                    return true;
                }
            }
            return false;
        }
    }

    private final InterfaceSource source;
    private final Filter filter;
    /** Set once, before polling starts. */
    private PathUpdater updater;
    private final ScheduledExecutorService poller;
    /** Under this object's lock: the remotes each interface gets a path to, and the paths kept as written. */
    private List<InetSocketAddress> remotes;
    private List<TunnelPath> fixed;
    /** Under this object's lock: the address each interface's paths leave from, per family. */
    private final Map<String, InetAddress[]> chosen = new LinkedHashMap<>();
    /** Under this object's lock: paths that could not be added, said once until they can. */
    private final Set<TunnelPath> failing = new LinkedHashSet<>();
    /** Under this object's lock: the last warning said, not said again while it repeats. */
    private String lastWarning;

    /**
     * @param configured the configuration file's paths: those without a local column give the
     *                   remotes, the others are kept as they are
     */
    public AutomaticPaths(InterfaceSource source, Filter filter, List<TunnelPath> configured) {
        this.source = source;
        this.filter = filter;
        this.poller = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "mpclient-interfaces");
            thread.setDaemon(true);
            return thread;
        });
        configure(configured);
    }

    /** A new configuration file (a reload): takes effect at the next {@link #poll()}. */
    public synchronized void configure(List<TunnelPath> configured) {
        List<InetSocketAddress> nextRemotes = new ArrayList<>();
        List<TunnelPath> nextFixed = new ArrayList<>();
        for (TunnelPath path : configured) {
            if (path.localAddress() == null && path.interfaceName() == null) {
                nextRemotes.add(path.remote());
            } else {
                nextFixed.add(path);
            }
        }
        remotes = List.copyOf(nextRemotes);
        fixed = List.copyOf(nextFixed);
    }

    /**
     * The paths the interfaces give now, for mpclient's first configuration: these are then the
     * running paths, the starting point of {@link #poll()}. An interface's path that cannot be
     * connected now is left out (said once) while another can: it would fail the whole session.
     *
     * @throws UserError if there are none, or the interfaces cannot be listed
     */
    public synchronized List<TunnelPath> initialPaths() {
        List<TunnelPath> paths = selected();
        Map<TunnelPath, String> unreachable = new LinkedHashMap<>();
        for (TunnelPath path : paths) {
            String why = fixed.contains(path) || path.remote().isUnresolved() ? null : unreachable(path);
            if (why != null) {
                unreachable.put(path, why);
            }
        }
        if (unreachable.size() == paths.size()) {
            return paths; // the session's opening says why
        }
        unreachable.forEach((path, why) -> {
            failing.add(path); // tried again at every poll
            LOG.warn("automatic paths: {} (said once, tried again at every poll)", why);
        });
        List<TunnelPath> reachable = new ArrayList<>(paths);
        reachable.removeAll(unreachable.keySet());
        return reachable;
    }

    /** The paths the interfaces give now, whether they can be connected or not. */
    synchronized List<TunnelPath> selected() {
        List<TunnelPath> paths;
        try {
            paths = compute(source.interfaces(), chosen);
        } catch (SocketException e) {
            throw new UserError("--auto-paths: cannot list the network interfaces: " + e.getMessage());
        }
        if (paths.isEmpty()) {
            throw new UserError("--auto-paths: no usable interface for " + remotesText()
                    + " (loopback needs --auto-loopback; see --auto-include, --auto-exclude)");
        }
        return paths;
    }

    /**
     * @return why the path's socket could not be bound and connected now (no route to its remote
     *         from its interface's address, as before the interface has its routes), or null
     */
    private static String unreachable(TunnelPath path) {
        try (DatagramSocket probe = new DatagramSocket(path.localAddress())) {
            probe.connect(path.remote());
            return null;
        } catch (IOException | UncheckedIOException e) {
            return "path " + ClientConfigFile.describe(path) + ": " + e.getMessage();
        }
    }

    /** Before {@link #start} or {@link #poll()}: where changes go, starting from {@link #initialPaths()}. */
    public synchronized void updateThrough(PathUpdater paths) {
        this.updater = paths;
    }

    /** Polls every {@code interval} on a thread of its own, from one interval on. */
    public void start(Duration interval) {
        long millis = interval.toMillis();
        poller.scheduleWithFixedDelay(this::pollQuietly, millis, millis, TimeUnit.MILLISECONDS);
    }

    private void pollQuietly() {
        try {
            poll();
        } catch (RuntimeException e) {
            warnOnce(e.toString()); // the next poll tries again
        }
    }

    /** A warning that would repeat at every poll is said once, until another one is due. */
    private synchronized void warnOnce(String warning) {
        if (!warning.equals(lastWarning)) {
            lastWarning = warning;
            LOG.warn("automatic paths: {}", warning);
        }
    }

    /**
     * One look at the interfaces: paths are added for those that came up or changed address, and
     * removed for those gone, through the {@link PathUpdater}.
     */
    public synchronized void poll() {
        List<InterfaceSource.NetInterface> interfaces;
        try {
            interfaces = source.interfaces();
        } catch (SocketException e) {
            warnOnce("cannot list the network interfaces: " + e.getMessage());
            return;
        }
        Map<String, InetAddress[]> next = new LinkedHashMap<>();
        List<TunnelPath> wanted = compute(interfaces, next);
        if (wanted.equals(updater.current())) {
            chosen.clear();
            chosen.putAll(next);
            return;
        }
        PathUpdater.Outcome outcome;
        try {
            outcome = updater.apply(wanted);
        } catch (IllegalArgumentException e) {
            warnOnce(e.getMessage()); // more paths than a client may have, say
            return;
        }
        lastWarning = null;
        log(next, outcome);
        chosen.clear();
        chosen.putAll(next);
    }

    /** The fixed paths, then per usable interface (in the system's order) one path per remote of its family. */
    private List<TunnelPath> compute(List<InterfaceSource.NetInterface> interfaces, Map<String, InetAddress[]> picks) {
        List<TunnelPath> wanted = new ArrayList<>(fixed);
        for (InterfaceSource.NetInterface nif : interfaces) {
            if (!filter.admits(nif)) {
                continue;
            }
            InetAddress[] previous = chosen.getOrDefault(nif.name(), new InetAddress[2]);
            InetAddress[] pick = {pick(nif, false, previous[0]), pick(nif, true, previous[1])};
            if (pick[0] == null && pick[1] == null) {
                continue;
            }
            picks.put(nif.name(), pick);
            for (InetSocketAddress remote : remotes) {
                InetAddress local = pick[remote.getAddress() instanceof Inet6Address ? 1 : 0];
                if (local != null) {
                    TunnelPath path = TunnelPath.to(remote).from(new InetSocketAddress(local, 0));
                    if (!wanted.contains(path)) {
                        wanted.add(path);
                    }
                }
            }
        }
        return wanted;
    }

    /** The interface's address of the family: the one used so far if it still has it, else its first usable one. */
    private InetAddress pick(InterfaceSource.NetInterface nif, boolean ipv6, InetAddress previous) {
        InetAddress first = null;
        for (InetAddress address : nif.addresses()) {
            boolean family = ipv6 ? address instanceof Inet6Address : address instanceof Inet4Address;
            if (!family || address.isLinkLocalAddress() && !filter.linkLocal()) {
                continue;
            }
            if (address.equals(previous)) {
                return address;
            }
            if (first == null) {
                first = address;
            }
        }
        return first;
    }

    /**
     * One line per interface that changed; a path that cannot be added is said once, and once more
     * when it is.
     */
    private void log(Map<String, InetAddress[]> next, PathUpdater.Outcome outcome) {
        Set<String> names = new LinkedHashSet<>(chosen.keySet());
        names.addAll(next.keySet());
        for (String name : names) {
            InetAddress[] before = chosen.get(name);
            InetAddress[] after = next.get(name);
            if (after == null) {
                LOG.info("automatic paths: interface {} gone or down: its paths removed", name);
            } else if (before == null) {
                LOG.info("automatic paths: interface {} up ({}): {} path(s) added", name, addresses(after),
                        count(outcome.added(), after));
            } else if (!java.util.Arrays.equals(before, after)) {
                LOG.info("automatic paths: interface {} now {} (was {}): its paths moved", name, addresses(after),
                        addresses(before));
            }
        }
        for (TunnelPath path : outcome.added()) {
            if (failing.contains(path)) {
                LOG.info("automatic paths: path {} added, at last", ClientConfigFile.describe(path));
            }
        }
        outcome.failed().forEach((path, why) -> {
            if (failing.add(path)) {
                LOG.warn("automatic paths: {} (said once, tried again at every poll)", why);
            }
        });
        failing.retainAll(outcome.failed().keySet());
    }

    private static long count(Set<TunnelPath> paths, InetAddress[] from) {
        return paths.stream().filter(p -> p.localAddress() != null
                && (p.localAddress().getAddress().equals(from[0]) || p.localAddress().getAddress().equals(from[1])))
                .count();
    }

    private static String addresses(InetAddress[] pick) {
        StringBuilder text = new StringBuilder();
        for (InetAddress address : pick) {
            if (address != null) {
                text.append(text.length() == 0 ? "" : ", ").append(address.getHostAddress());
            }
        }
        return text.toString();
    }

    @Override
    public void close() {
        poller.shutdownNow();
    }

    /** For messages: the remotes as {@code HOST:PORT}. */
    public synchronized String remotesText() {
        return remotes.stream().map(Endpoints::format).reduce((a, b) -> a + ", " + b).orElse("none");
    }
}
