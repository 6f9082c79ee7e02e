package org.mptunnel.examples;

import java.io.PrintStream;
import java.net.BindException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.mptunnel.TunnelConfig;
import org.mptunnel.examples.cli.DurationConverter;
import org.mptunnel.examples.cli.Endpoints;
import org.mptunnel.examples.cli.StatsReport;
import org.mptunnel.examples.cli.ToolOptions;
import org.mptunnel.examples.cli.TunnelOptions;
import org.mptunnel.examples.cli.UntilStopped;
import org.mptunnel.examples.cli.UserError;
import org.mptunnel.examples.client.ClientConfigFile;
import org.mptunnel.examples.client.LocalForwarder;
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
                "CONFIG_FILE: one path per line as 'HOST PORT'; blank lines and # comments are ignored."})
final class ClientCommand implements Callable<Integer> {

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
        if (idleTimeout.isZero()) {
            throw new UserError("--idle-timeout must be longer than 0");
        }
        List<InetSocketAddress> paths = ClientConfigFile.load(configFile);
        TunnelConfig.ClientBuilder builder = tunnelOptions.applyTo(TunnelConfig.client().paths(paths));
        if (bind != null) {
            checkBindable(bind);
            builder.localAddress(bind);
        }
        TunnelConfig config = TunnelOptions.build(builder::build);

        LocalForwarder forwarder;
        try {
            forwarder = LocalForwarder.start(listen, config, idleTimeout, maxSessions);
        } catch (BindException e) {
            throw Endpoints.bindFailed(listen, e);
        }
        PrintStream out = System.out;
        out.println("mpclient: listening on " + Endpoints.format(forwarder.localAddress()) + ", " + paths.size()
                + " path(s): " + paths.stream().map(Endpoints::format).collect(Collectors.joining(", "))
                + TunnelOptions.wireFormatNote(config));
        out.flush();

        long started = System.nanoTime();
        UntilStopped until = new UntilStopped();
        try {
            until.await(statsInterval, () -> {
                out.println("mpclient stats: " + forwarder.stats().line());
                out.flush();
            });
            StatsReport last = forwarder.stats(); // before closing: paths still up or down
            forwarder.close();
            out.printf("mpclient summary after %.1f s (replies received, over every session):%n",
                    (System.nanoTime() - started) / 1e9);
            out.println(last.summary());
            out.flush();
        } catch (RuntimeException | Error e) {
            e.printStackTrace(); // the JVM is halting: this is the only chance to say why
            throw e;
        } finally {
            until.finished();
        }
        return 0;
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
