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
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.mptunnel.Redundancy;
import org.mptunnel.TunnelConfig;
import org.mptunnel.examples.cli.DurationConverter;
import org.mptunnel.examples.cli.Endpoints;
import org.mptunnel.examples.cli.RedundancyConverter;
import org.mptunnel.examples.cli.StatsReport;
import org.mptunnel.examples.cli.ToolOptions;
import org.mptunnel.examples.cli.TunnelOptions;
import org.mptunnel.examples.cli.UntilStopped;
import org.mptunnel.examples.cli.UserError;
import org.mptunnel.examples.cli.Warmup;
import org.mptunnel.examples.client.ClientConfigFile;
import org.mptunnel.examples.client.LocalForwarder;
import org.mptunnel.examples.client.SocksServer;
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
                + "Every local application (source address) gets its own session, and its own replies.",
                "With --socks it is also a SOCKS5 proxy for UDP (UDP ASSOCIATE): each association is its own "
                        + "session, and its datagrams name their destinations, which the mpserver's --allow must permit.",
                "CONFIG_FILE: one path per line as 'HOST PORT'; blank lines and # comments are ignored."})
final class ClientCommand implements Callable<Integer> {

    private static final String PASSWORD_VARIABLE = "MPTUNNEL_SOCKS_PASSWORD";

    @Parameters(index = "0", paramLabel = "CONFIG_FILE", description = "The paths, one 'HOST PORT' per line.")
    Path configFile;

    @Option(names = "--listen", paramLabel = "HOST:PORT", converter = Endpoints.HostPort.class,
            defaultValue = "127.0.0.1:3000",
            description = "Where local applications send (default: ${DEFAULT-VALUE}; port 0 picks a free one).")
    InetSocketAddress listen;

    @Option(names = "--bind", paramLabel = "ADDR", converter = Endpoints.Address.class,
            description = "Local address of the path sockets (default: chosen by the system).")
    InetAddress bind;

    @Option(names = "--idle-timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            defaultValue = "60s",
            description = "Close an application's session after this long without traffic (default: ${DEFAULT-VALUE}).")
    Duration idleTimeout;

    @Option(names = "--max-sessions", paramLabel = "N", defaultValue = "256",
            description = "Most local applications served at once (default: ${DEFAULT-VALUE}).")
    int maxSessions;

    @Option(names = "--new-sessions-per-second", paramLabel = "N",
            defaultValue = "" + LocalForwarder.DEFAULT_NEW_SESSIONS_PER_SECOND,
            description = "New local applications given a session per second, and at most at once; datagrams from "
                    + "more are dropped and counted (local-paced) until one may open, so that the handshakes of a "
                    + "burst of new applications do not delay those already served (default: ${DEFAULT-VALUE}).")
    int newSessionsPerSecond;

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

    @Option(names = "--redundancy", paramLabel = "all|adaptive[:TARGET]|fec:K:M[:DEADLINE]",
            converter = RedundancyConverter.class,
            defaultValue = "all",
            description = "all: every datagram on every path (default). adaptive: each on the fewest paths whose "
                    + "estimated joint loss is at most TARGET (a fraction, or a percentage: adaptive:0.001 or "
                    + "adaptive:0.1%%; default 0.1%%), every path at once when the mpserver reports a burst of loss. "
                    + "Pair it with a short --keepalive (e.g. 10ms): the estimates come from the keepalives. "
                    + "fec:K:M: each datagram on one path, the paths in turn, and M repair datagrams for every K "
                    + "(K 1 to 32, M 1 to 16), or fewer datagrams after DEADLINE (default 5ms); the mpserver "
                    + "rebuilds lost datagrams and codes its replies the same way. Not with --legacy.")
    Redundancy redundancy;

    @Mixin
    TunnelOptions tunnelOptions;

    @Mixin
    ToolOptions toolOptions;

    @Override
    public Integer call() throws Exception {
        Duration statsInterval = toolOptions.statsInterval();
        if (maxSessions < 1) {
            throw new UserError("--max-sessions must be at least 1, got " + maxSessions);
        }
        if (newSessionsPerSecond < 1) {
            throw new UserError("--new-sessions-per-second must be at least 1, got " + newSessionsPerSecond);
        }
        if (idleTimeout.isZero()) {
            throw new UserError("--idle-timeout must be longer than 0");
        }
        if (socksMaxConnections < 1 || socksMaxConnectionsPerIp < 1) {
            throw new UserError("--socks-max-connections and --socks-max-connections-per-ip must be at least 1, got "
                    + socksMaxConnections + " and " + socksMaxConnectionsPerIp);
        }
        if (socksHandshakeTimeout.isZero()) {
            throw new UserError("--socks-handshake-timeout must be longer than 0");
        }
        List<InetSocketAddress> paths = ClientConfigFile.load(configFile);
        UntilStopped until = new UntilStopped();
        TunnelConfig.ClientBuilder builder = tunnelOptions.applyTo(TunnelConfig.client().paths(paths))
                .redundancy(redundancy).failureHandler(until::failed);
        if (bind != null) {
            checkBindable(bind);
            builder.localAddress(bind);
        }
        TunnelConfig config = TunnelOptions.build(builder::build);
        SocksServer.Credentials credentials = socksCredentials(config);

        Warmup.run(config); // before the local port opens: no stall at the first datagram
        LocalForwarder forwarder;
        try {
            forwarder = LocalForwarder.start(listen, config, idleTimeout, maxSessions, newSessionsPerSecond);
        } catch (BindException e) {
            throw Endpoints.bindFailed(listen, e);
        }
        SocksServer socksServer = null;
        if (socks != null) {
            try {
                socksServer = SocksServer.start(socks, config, credentials, new SocksServer.Limits(maxSessions,
                        socksMaxConnections, socksMaxConnectionsPerIp, socksHandshakeTimeout, idleTimeout));
            } catch (BindException e) {
                forwarder.close();
                throw Endpoints.bindFailed(socks, e);
            }
        }
        PrintStream out = System.out;
        out.println("mpclient: listening on " + Endpoints.format(forwarder.localAddress()) + ", " + paths.size()
                + " path(s): " + paths.stream().map(Endpoints::format).collect(Collectors.joining(", "))
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
        out.flush();
        tunnelOptions.warnIfPlaintext("mpclient");
        SocksServer socksSide = socksServer;

        long started = System.nanoTime();
        try {
            until.await(statsInterval, () -> {
                out.println("mpclient stats: " + report(forwarder, socksSide).line() + " " + forwarder.line()
                        + socksLine(socksSide));
                out.flush();
            });
            StatsReport last = report(forwarder, socksSide); // before closing: paths still up or down
            String lastLocal = forwarder.line();
            String lastSocks = socksLine(socksSide);
            if (socksSide != null) {
                socksSide.close();
            }
            forwarder.close();
            out.printf("mpclient summary after %.1f s (replies received, over every session):%n",
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

    private static StatsReport report(LocalForwarder forwarder, SocksServer socksServer) {
        StatsReport report = forwarder.stats();
        return socksServer == null ? report : socksServer.addTo(report);
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

    /** The path sockets bind lazily, one set per application: find a bad --bind now, not then. */
    private static void checkBindable(InetAddress address) {
        InetSocketAddress probe = new InetSocketAddress(address, 0);
        try (DatagramSocket socket = new DatagramSocket(probe)) {
            socket.getLocalPort();
        } catch (SocketException e) {
            throw Endpoints.bindFailed(probe, e);
        }
    }
}
