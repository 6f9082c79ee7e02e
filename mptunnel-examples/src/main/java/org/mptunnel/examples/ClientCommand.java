package org.mptunnel.examples;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.mptunnel.MultipathDatagramSocket;
import org.mptunnel.Redundancy;
import org.mptunnel.TunnelConfig;
import org.mptunnel.TunnelPath;
import org.mptunnel.examples.cli.DurationConverter;
import org.mptunnel.examples.cli.Endpoints;
import org.mptunnel.examples.cli.RedundancyConverter;
import org.mptunnel.examples.cli.StatsReport;
import org.mptunnel.examples.cli.ToolOptions;
import org.mptunnel.examples.cli.TunnelOptions;
import org.mptunnel.examples.cli.UntilStopped;
import org.mptunnel.examples.cli.UserError;
import org.mptunnel.examples.cli.Warmup;
import org.mptunnel.examples.client.AutomaticPaths;
import org.mptunnel.examples.client.ClientConfigFile;
import org.mptunnel.examples.client.FlowTunnel;
import org.mptunnel.examples.client.HangupSignal;
import org.mptunnel.examples.client.InterfaceSource;
import org.mptunnel.examples.client.PathUpdater;
import org.mptunnel.examples.flow.FlowTimeouts;
import org.mptunnel.examples.client.LocalForwarder;
import org.mptunnel.examples.client.SocksServer;
import org.mptunnel.examples.client.WaitingPaths;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code mpclient CONFIG_FILE}: the tunnel's near end, where local applications send. */
@Command(name = "mpclient", mixinStandardHelpOptions = true, sortOptions = false,
        versionProvider = Main.Version.class,
        description = {"Receives local applications' datagrams on --listen and sends each one over every path "
                + "in CONFIG_FILE (mpbridges, or the mpserver itself); the mpserver keeps the first copy. "
                + "It keeps one tunnel session, opened at start; every local application (source address) is a "
                + "flow in it, and gets its own replies.",
                "With --socks it is also a SOCKS5 proxy for UDP (UDP ASSOCIATE): each association is a flow of the "
                        + "same session, and its datagrams name their destinations, which the mpserver's --allow must permit.",
                "CONFIG_FILE: one path per line as 'HOST PORT [LOCAL]'; LOCAL is where the path leaves from: "
                        + "ADDRESS, ADDRESS:PORT, [IPV6]:PORT (an IPv6 address with a port in brackets) or %%INTERFACE. "
                        + "Blank lines and # comments are ignored. SIGHUP re-reads it and changes the paths of the "
                        + "running session; an invalid file is refused and the running paths kept."})
final class ClientCommand implements Callable<Integer> {

    private static final String PASSWORD_VARIABLE = "MPTUNNEL_SOCKS_PASSWORD";

    @Parameters(index = "0", paramLabel = "CONFIG_FILE", description = "The paths, one 'HOST PORT [LOCAL]' per line.")
    Path configFile;

    @Option(names = "--listen", paramLabel = "HOST:PORT", converter = Endpoints.HostPort.class,
            defaultValue = "127.0.0.1:3000",
            description = "Where local applications send (default: ${DEFAULT-VALUE}; port 0 picks a free one).")
    InetSocketAddress listen;

    @Option(names = "--bind", paramLabel = "ADDR", converter = Endpoints.Address.class,
            description = "Local address of the path sockets (default: chosen by the system).")
    InetAddress bind;

    @Option(names = "--idle-timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            defaultValue = "120s",
            description = "Forget an application's flow (and release a SOCKS association) after this long without "
                    + "traffic, once it has sent again after a reply (default: ${DEFAULT-VALUE}).")
    Duration idleTimeout;

    @Option(names = "--single-exchange-timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            defaultValue = "10s",
            description = "Forget a flow that saw a single exchange (a request and at most its reply, as a DNS "
                    + "query) after this long without traffic (default: ${DEFAULT-VALUE}).")
    Duration singleExchangeTimeout;

    @Option(names = {"--max-flows", "--max-sessions"}, paramLabel = "N", defaultValue = "" + FlowTunnel.DEFAULT_MAX_FLOWS,
            description = "Most local applications and SOCKS associations served at once, each a flow of the one "
                    + "session; datagrams from more are dropped and counted (local-refused) (default: ${DEFAULT-VALUE}; "
                    + "--max-sessions is its old name).")
    int maxFlows;

    /** Kept so that old command lines still start; flows need no handshake, so nothing is paced. */
    @Option(names = "--new-sessions-per-second", paramLabel = "N", hidden = true)
    Integer newSessionsPerSecond;

    @Option(names = "--socks", paramLabel = "[HOST:]PORT", converter = SocksListen.class,
            description = "Also accept SOCKS5 clients (UDP ASSOCIATE) on this TCP address; a port alone means "
                    + "127.0.0.1 (default: off).")
    InetSocketAddress socks;

    @Option(names = "--socks-max-connections", paramLabel = "N",
            defaultValue = "" + SocksServer.Limits.DEFAULT_MAX_CONNECTIONS,
            description = "Most SOCKS TCP connections at once, in handshake or carrying an association; when full, "
                    + "a new one replaces the oldest still in handshake (default: ${DEFAULT-VALUE}).")
    int socksMaxConnections;

    @Option(names = "--socks-max-connections-per-ip", paramLabel = "N",
            defaultValue = "" + SocksServer.Limits.DEFAULT_MAX_CONNECTIONS_PER_IP,
            description = "Most SOCKS TCP connections from one IP address (IPv6: one /64) (default: ${DEFAULT-VALUE}).")
    int socksMaxConnectionsPerIp;

    @Option(names = "--socks-handshake-timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            defaultValue = "10s",
            description = "Close a SOCKS connection whose request is not complete this long after it was accepted, "
                    + "however slowly its bytes come (default: ${DEFAULT-VALUE}).")
    Duration socksHandshakeTimeout;

    @Option(names = "--socks-user", paramLabel = "USER",
            description = "Require this user name and a password (RFC 1929) from SOCKS clients; the password "
                    + "comes from --socks-password-file or the environment variable " + PASSWORD_VARIABLE + ".")
    String socksUser;

    @Option(names = "--socks-password-file", paramLabel = "FILE",
            description = "File whose first line is the SOCKS password (not on the command line, where ps shows it).")
    Path socksPasswordFile;

    @Option(names = "--redundancy", paramLabel = "all|adaptive[:TARGET]|fec:K:M[:DEADLINE]|fec-adaptive[:TARGET[:DEADLINE]]",
            converter = RedundancyConverter.class,
            defaultValue = "all",
            description = "all: every datagram on every path (default). adaptive: each on the fewest paths whose "
                    + "estimated joint loss is at most TARGET (a fraction, or a percentage: adaptive:0.001 or "
                    + "adaptive:0.1%%; default 0.1%%), every path at once when the mpserver reports a burst of loss. "
                    + "Pair it with a short --keepalive (e.g. 10ms): the estimates come from the keepalives. "
                    + "fec:K:M: each datagram on one path, the paths in turn, and M repair datagrams for every K "
                    + "(K 1 to 32, M 1 to 16), or fewer datagrams after DEADLINE (default 5ms); the mpserver "
                    + "rebuilds lost datagrams and codes its replies the same way. fec-adaptive: K, M and which path "
                    + "carries what follow each path's loss measured by the mpserver, to meet TARGET (default "
                    + "0.1%%) at the least traffic; a group holds at most what is sent within DEADLINE (default "
                    + "5ms), so a slow sender gains from a longer one (e.g. fec-adaptive:0.1%%:12ms). Not with --legacy.")
    Redundancy redundancy;

    @Option(names = "--auto-paths",
            description = "Automatic paths: one per usable network interface and CONFIG_FILE line without LOCAL, "
                    + "each leaving from its interface's address; interfaces that come up get their paths, those "
                    + "that go away lose them (checked every --auto-poll). Lines with LOCAL are kept as they are. "
                    + "Loopback interfaces and link-local addresses are left out unless asked (default: off).")
    boolean autoPaths;

    @Option(names = "--auto-include", paramLabel = "NAME[,NAME...]", split = ",",
            description = "With --auto-paths, only these interfaces; * matches anything (e.g. 'wl*,eth0').")
    List<String> autoInclude = List.of();

    @Option(names = "--auto-exclude", paramLabel = "NAME[,NAME...]", split = ",",
            description = "With --auto-paths, never these interfaces; * matches anything (e.g. 'docker*,veth*').")
    List<String> autoExclude = List.of();

    @Option(names = "--auto-loopback", description = "With --auto-paths, use loopback interfaces too.")
    boolean autoLoopback;

    @Option(names = "--auto-link-local", description = "With --auto-paths, use link-local addresses "
            + "(169.254.0.0/16, fe80::/10) too.")
    boolean autoLinkLocal;

    @Option(names = "--auto-poll", paramLabel = "DURATION", converter = DurationConverter.class, defaultValue = "1s",
            description = "How often --auto-paths looks at the interfaces, 10ms to 10s (default: ${DEFAULT-VALUE}).")
    Duration autoPoll;

    @Mixin
    TunnelOptions tunnelOptions;

    @Mixin
    ToolOptions toolOptions;

    @Override
    public Integer call() throws Exception {
        Duration statsInterval = toolOptions.statsInterval();
        if (maxFlows < 1 || maxFlows > FlowTunnel.MAX_FLOWS_LIMIT) {
            throw new UserError("--max-flows must be 1 to " + FlowTunnel.MAX_FLOWS_LIMIT + ", got " + maxFlows);
        }
        if (idleTimeout.isZero() || singleExchangeTimeout.isZero()) {
            throw new UserError("--idle-timeout and --single-exchange-timeout must be longer than 0");
        }
        if (socksMaxConnections < 1 || socksMaxConnectionsPerIp < 1) {
            throw new UserError("--socks-max-connections and --socks-max-connections-per-ip must be at least 1, got "
                    + socksMaxConnections + " and " + socksMaxConnectionsPerIp);
        }
        if (socksHandshakeTimeout.isZero()) {
            throw new UserError("--socks-handshake-timeout must be longer than 0");
        }
        List<TunnelPath> configured = ClientConfigFile.load(configFile);
        UntilStopped until = new UntilStopped();
        if (bind != null) {
            checkBindable(bind);
        }
        AtomicReference<FlowTunnel> running = new AtomicReference<>();
        PathUpdater.Tunnels tunnels = new PathUpdater.Tunnels() {
            @Override
            public void pathsForNewTunnels(List<TunnelPath> paths) {
                configFor(paths, until); // no other session is ever opened: only checks the paths make a configuration
            }

            @Override
            public List<MultipathDatagramSocket> openTunnels() {
                FlowTunnel tunnel = running.get();
                return tunnel == null ? List.of() : List.of(tunnel.socket());
            }
        };
        AutomaticPaths automatic = automaticPaths(configured);
        List<TunnelPath> usable = automatic != null ? automatic.initialPaths() : configured;
        usable.forEach(PathUpdater::checkUsable);
        // Automatic paths follow the interfaces themselves; configured ones without a route yet wait.
        Map<TunnelPath, String> unroutable = automatic != null ? Map.of() : WaitingPaths.unroutable(usable, bind);
        if (!unroutable.isEmpty() && unroutable.size() == usable.size()) {
            throw new SocketException("no path has a route to its remote: " + String.join("; ", unroutable.values()));
        }
        List<TunnelPath> paths = usable.stream().filter(p -> !unroutable.containsKey(p)).toList();
        TunnelConfig config = TunnelOptions.build(() -> configFor(paths, until));
        PathUpdater updater = new PathUpdater(tunnels, paths);
        if (automatic != null) {
            automatic.updateThrough(updater);
        }
        SocksServer.Credentials credentials = socksCredentials(config);

        if (newSessionsPerSecond != null) {
            LoggerFactory.getLogger(ClientCommand.class).warn("--new-sessions-per-second has no effect any more: "
                    + "every application is a flow of one session, which needs no handshake of its own");
        }

        Warmup.run(config); // before the local port opens: no stall at the first datagram
        // Open before the local port: its keepalives (and handshake) tell the mpserver every path first.
        FlowTunnel tunnel = FlowTunnel.open(config, maxFlows);
        running.set(tunnel);
        LocalForwarder forwarder;
        try {
            forwarder = LocalForwarder.start(listen, tunnel, new FlowTimeouts(singleExchangeTimeout, idleTimeout));
        } catch (BindException e) {
            tunnel.close();
            throw Endpoints.bindFailed(listen, e);
        }
        SocksServer socksServer = null;
        if (socks != null) {
            try {
                socksServer = SocksServer.start(socks, tunnel, credentials, new SocksServer.Limits(maxFlows,
                        socksMaxConnections, socksMaxConnectionsPerIp, socksHandshakeTimeout, idleTimeout));
            } catch (BindException e) {
                forwarder.close();
                tunnel.close();
                throw Endpoints.bindFailed(socks, e);
            }
        }
        PrintStream out = System.out;
        until.begin(); // a signal from now on stops the tool cleanly
        out.println("mpclient: listening on " + Endpoints.format(forwarder.localAddress()) + ", " + paths.size()
                + " path(s): " + paths.stream().map(ClientConfigFile::describe).collect(Collectors.joining(", "))
                + (unroutable.isEmpty() ? "" : ", waiting for a route: " + unroutable.keySet().stream()
                        .map(ClientConfigFile::describe).collect(Collectors.joining(", ")))
                + (automatic != null ? " (automatic)" : "")
                + tunnelOptions.wireFormatNote(config)
                + (redundancy.isAdaptive() || redundancy.isFec() ? ", redundancy " + RedundancyConverter.format(redundancy) : ""));
        if (socksServer != null) {
            out.println("mpclient: SOCKS5 on " + Endpoints.format(socksServer.localAddress())
                    + (credentials != null ? " (user name and password required)" : " (no authentication)"));
            if (credentials == null && !socksServer.localAddress().getAddress().isLoopbackAddress()) {
                // The logger is made here, not in a static field: slf4j-simple reads -v when the first one is made.
                Logger log = LoggerFactory.getLogger(ClientCommand.class);
                log.warn("SOCKS5 without authentication on a non-loopback address: anyone who reaches {} can use "
                        + "the tunnel (consider --socks-user)", Endpoints.format(socksServer.localAddress()));
            }
        }
        WaitingPaths waiting = automatic != null ? null : new WaitingPaths(updater, usable);
        for (String why : unroutable.values()) {
            LoggerFactory.getLogger(ClientCommand.class).warn("{}; started without it, tried again every {} s", why,
                    WaitingPaths.RETRY.toSeconds());
        }
        if (HangupSignal.onHangup(() -> reload(automatic, waiting))) {
            out.println("mpclient: SIGHUP re-reads " + configFile);
        } else {
            LoggerFactory.getLogger(ClientCommand.class).warn("SIGHUP is ignored by this process (started under "
                    + "nohup?): the configuration is not re-read on SIGHUP");
        }
        if (automatic != null) {
            automatic.start(autoPoll);
        }
        out.flush();
        tunnelOptions.warnIfPlaintext("mpclient");
        SocksServer socksSide = socksServer;

        long started = System.nanoTime();
        try {
            until.await(statsInterval, () -> {
                out.println("mpclient stats: " + report(tunnel).line() + " " + tunnel.line() + " " + forwarder.line()
                        + socksLine(socksSide));
                out.flush();
            });
            StatsReport last = report(tunnel); // before closing: paths still up or down
            String lastLocal = tunnel.line() + " " + forwarder.line();
            String lastSocks = socksLine(socksSide);
            if (automatic != null) {
                automatic.close();
            }
            if (waiting != null) {
                waiting.close();
            }
            if (socksSide != null) {
                socksSide.close();
            }
            forwarder.close();
            tunnel.close();
            out.printf("mpclient summary after %.1f s (replies received):%n",
                    (System.nanoTime() - started) / 1e9);
            out.println(last.summary());
            out.println("  " + lastLocal);
            if (!lastSocks.isEmpty()) {
                out.println(" " + lastSocks);
            }
            out.flush();
        } catch (RuntimeException | Error e) {
            e.printStackTrace(); // the JVM is halting: this is the only chance to say why
            throw e;
        } finally {
            until.finished();
        }
        return until.exitStatus("mpclient");
    }

    /** The tunnel configuration for these paths, with every option of the command line. */
    private TunnelConfig configFor(List<TunnelPath> paths, UntilStopped until) {
        TunnelConfig.ClientBuilder builder = TunnelConfig.client();
        paths.forEach(builder::path);
        tunnelOptions.applyTo(builder).redundancy(redundancy).failureHandler(until::failed);
        if (bind != null) {
            builder.localAddress(bind);
        }
        return builder.build();
    }

    /** @return the automatic paths the options ask for, not yet polling; null without --auto-paths */
    private AutomaticPaths automaticPaths(List<TunnelPath> configured) {
        if (!autoPaths) {
            if (!autoInclude.isEmpty() || !autoExclude.isEmpty() || autoLoopback || autoLinkLocal) {
                throw new UserError("--auto-include, --auto-exclude, --auto-loopback and --auto-link-local need --auto-paths");
            }
            return null;
        }
        if (autoPoll.compareTo(Duration.ofMillis(10)) < 0 || autoPoll.compareTo(Duration.ofSeconds(10)) > 0) {
            throw new UserError("--auto-poll must be between 10ms and 10s, got " + DurationConverter.format(autoPoll));
        }
        return new AutomaticPaths(InterfaceSource.SYSTEM,
                new AutomaticPaths.Filter(autoInclude, autoExclude, autoLoopback, autoLinkLocal), configured);
    }

    /**
     * SIGHUP: reads the configuration file again and applies its paths (through the automatic
     * paths if on). An invalid file changes nothing, said in one line.
     */
    private void reload(AutomaticPaths automatic, WaitingPaths waiting) {
        Logger log = LoggerFactory.getLogger(ClientCommand.class);
        List<TunnelPath> paths;
        try {
            paths = ClientConfigFile.load(configFile);
            for (TunnelPath path : paths) {
                if (automatic == null || path.localAddress() != null || path.interfaceName() != null) {
                    PathUpdater.checkUsable(path);
                }
            }
        } catch (UserError e) {
            log.warn("reload refused, the running paths are kept: {}", e.getMessage());
            return;
        }
        if (automatic != null) {
            automatic.configure(paths);
            automatic.poll();
            log.info("reloaded {}: automatic paths to {}", configFile, automatic.remotesText());
            return;
        }
        try {
            PathUpdater.Outcome outcome = waiting.apply(paths);
            log.info("reloaded {}: {} path(s), {} added, {} removed", configFile, paths.size(), outcome.added().size(),
                    outcome.removed().size());
            if (!outcome.failed().isEmpty()) {
                log.warn("{} path(s) could not be added, tried again every {} s: {}", outcome.failed().size(),
                        WaitingPaths.RETRY.toSeconds(), outcome.failed().values().iterator().next());
            }
        } catch (IllegalArgumentException e) {
            log.warn("reload refused, the running paths are kept: {}", e.getMessage());
        }
    }

    private static StatsReport report(FlowTunnel tunnel) {
        return new StatsReport().add(tunnel.stats(), !tunnel.isClosed());
    }

    private static String socksLine(SocksServer socksServer) {
        return socksServer == null ? "" : " " + socksServer.line();
    }

    /** @return the SOCKS credentials the options name, or null for none */
    private SocksServer.Credentials socksCredentials(TunnelConfig config) {
        if (socks == null) {
            if (socksUser != null || socksPasswordFile != null) {
                throw new UserError("--socks-user and --socks-password-file need --socks");
            }
            return null;
        }
        if (config.wireFormat().isLegacy()) {
            throw new UserError("--socks cannot be used with --legacy: the C mpserver knows no SOCKS");
        }
        if (socksUser == null) {
            if (socksPasswordFile != null) {
                throw new UserError("--socks-password-file needs --socks-user");
            }
            return null;
        }
        String password;
        if (socksPasswordFile != null) {
            try {
                password = Files.readAllLines(socksPasswordFile, StandardCharsets.UTF_8).stream().findFirst().orElse("");
            } catch (IOException | UncheckedIOException e) {
                throw new UserError("cannot read --socks-password-file " + socksPasswordFile + ": "
                        + (e instanceof NoSuchFileException ? "no such file" : String.valueOf(e.getMessage())));
            }
        } else {
            password = System.getenv(PASSWORD_VARIABLE);
            if (password == null) {
                throw new UserError("--socks-user needs a password: --socks-password-file FILE or " + PASSWORD_VARIABLE);
            }
        }
        byte[] user = socksUser.getBytes(StandardCharsets.UTF_8);
        byte[] secret = password.getBytes(StandardCharsets.UTF_8);
        if (user.length < 1 || user.length > 255 || secret.length < 1 || secret.length > 255) {
            throw new UserError("the SOCKS user name and password must each be 1 to 255 bytes (RFC 1929)");
        }
        return new SocksServer.Credentials(user, secret);
    }

    /** Converts {@code --socks}: {@code HOST:PORT}, or a port alone on loopback. */
    static final class SocksListen implements ITypeConverter<InetSocketAddress> {
        @Override
        public InetSocketAddress convert(String value) {
            if (value.chars().allMatch(Character::isDigit) && !value.isEmpty()) {
                try {
                    return new InetSocketAddress(InetAddress.getLoopbackAddress(), Endpoints.parsePort(value, true));
                } catch (IllegalArgumentException e) {
                    throw new TypeConversionException(e.getMessage());
                }
            }
            return new Endpoints.HostPort().convert(value);
        }
    }

    /** Find a bad --bind with a clear error before the session's path sockets try it. */
    private static void checkBindable(InetAddress address) {
        InetSocketAddress probe = new InetSocketAddress(address, 0);
        try (DatagramSocket socket = new DatagramSocket(probe)) {
            socket.getLocalPort();
        } catch (SocketException e) {
            throw Endpoints.bindFailed(probe, e);
        }
    }
}
