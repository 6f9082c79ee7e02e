package org.mptunnel.examples;

import java.io.PrintStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.Security;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.mptunnel.TunnelConfig;
import org.mptunnel.examples.cli.DurationConverter;
import org.mptunnel.examples.cli.Endpoints;
import org.mptunnel.examples.cli.StatsReport;
import org.mptunnel.examples.cli.ToolOptions;
import org.mptunnel.examples.cli.TunnelOptions;
import org.mptunnel.examples.cli.UntilStopped;
import org.mptunnel.examples.cli.UserError;
import org.mptunnel.examples.cli.Warmup;
import org.mptunnel.examples.flow.FlowTimeouts;
import org.mptunnel.examples.server.FlowBudget;
import org.mptunnel.examples.server.SocketBudget;
import org.mptunnel.examples.server.TargetForwarder;
import org.mptunnel.examples.socks.AllowList;
import org.mptunnel.examples.socks.AllowRule;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code mpserver LISTEN_PORT TARGET_HOST TARGET_PORT}: the tunnel's far end, in front of a UDP service. */
@Command(name = "mpserver", mixinStandardHelpOptions = true, sortOptions = false,
        versionProvider = Main.Version.class,
        description = {"Receives the tunnel on LISTEN_PORT (from mpclients, directly or through mpbridges) and "
                + "forwards each session to TARGET_HOST:TARGET_PORT from its own UDP socket, so the target "
                + "sees one distinct client per session.",
                "An mpclient carries each of its applications as a flow of its session: each flow gets its own "
                        + "socket towards the target, closed when the flow falls silent (--flow-idle-timeout).",
                "Sessions of an mpclient in SOCKS mode (--socks) name their own destinations instead: "
                        + "each may reach only what --allow permits, or TARGET_HOST:TARGET_PORT alone if no --allow is given.",
                "Example, in front of an OpenVPN server:  mpserver 2000 127.0.0.1 1194"})
final class ServerCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "LISTEN_PORT", converter = Endpoints.ListenPort.class,
            description = "UDP port the tunnel listens on (0 picks a free one).")
    int listenPort;

    @Parameters(index = "1", paramLabel = "TARGET_HOST", description = "Host of the UDP service.")
    String targetHost;

    @Parameters(index = "2", paramLabel = "TARGET_PORT", converter = Endpoints.RemotePort.class,
            description = "Port of the UDP service.")
    int targetPort;

    @Option(names = "--bind", paramLabel = "ADDR", converter = Endpoints.Address.class,
            description = "Listen on this local address only (default: all interfaces).")
    InetAddress bind;

    @Option(names = "--max-sessions", paramLabel = "N",
            description = "Most tunnel sessions at once; more are refused (default: 1024).")
    Integer maxSessions;

    @Option(names = "--max-sessions-per-source", paramLabel = "N",
            description = "Most tunnel sessions one source holds at once: one IPv4 address or IPv6 /64, whatever its "
                    + "ports; more are refused, so that one host cannot fill the table (default: 256).")
    Integer maxSessionsPerSource;

    @Option(names = "--session-idle-timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "A session that hears nothing this long expires, and its target socket is closed; "
                    + "a target socket is also closed after this long without data (default: 60s).")
    Duration sessionIdleTimeout;

    @Option(names = "--allow", paramLabel = "CIDR[:PORTS]", converter = AllowRuleConverter.class,
            description = "A destination SOCKS sessions may reach, e.g. 10.0.0.0/8:53, 192.0.2.7:1000-2000, "
                    + "[2001:db8::]/32:443 (IP literals only; repeatable). Default: only TARGET_HOST:TARGET_PORT.")
    List<AllowRule> allow = new ArrayList<>();

    @Option(names = "--dns-cache-ttl", paramLabel = "DURATION", converter = DurationConverter.class,
            defaultValue = "60s",
            description = "How long a SOCKS destination's domain name, resolved here, is used: 1s to 60s "
                    + "(default: ${DEFAULT-VALUE}).")
    Duration dnsCacheTtl;

    @Option(names = "--max-socks-sockets", paramLabel = "N",
            description = "Most sockets towards SOCKS destinations over all sessions; a datagram that would need "
                    + "another is dropped and counted (default: " + SocketBudget.DEFAULT_TOTAL + ").")
    int maxSocksSockets = SocketBudget.DEFAULT_TOTAL;

    @Option(names = "--max-socks-sockets-per-session", paramLabel = "N",
            description = "Most sockets towards SOCKS destinations for one session (default: " + SocketBudget.DEFAULT_PER_SESSION + ").")
    int maxSocksSocketsPerSession = SocketBudget.DEFAULT_PER_SESSION;

    @Option(names = "--max-socks-sockets-per-source", paramLabel = "N",
            description = "Most sockets towards SOCKS destinations for all sessions from one client IP address "
                    + "(one /64 for IPv6) (default: " + SocketBudget.DEFAULT_PER_SOURCE + ").")
    int maxSocksSocketsPerSource = SocketBudget.DEFAULT_PER_SOURCE;

    @Option(names = "--max-flows", paramLabel = "N",
            description = "Most flows (applications behind mpclients) at once over all sessions; a datagram that "
                    + "would need another is dropped and counted (flows-refused) (default: " + FlowBudget.DEFAULT_TOTAL + ").")
    int maxFlows = FlowBudget.DEFAULT_TOTAL;

    @Option(names = "--max-flows-per-session", paramLabel = "N",
            description = "Most flows of one session, that is of one mpclient (default: " + FlowBudget.DEFAULT_PER_SESSION + ").")
    int maxFlowsPerSession = FlowBudget.DEFAULT_PER_SESSION;

    @Option(names = "--max-flows-per-source", paramLabel = "N",
            description = "Most flows of all sessions from one client IP address (one /64 for IPv6) (default: "
                    + FlowBudget.DEFAULT_PER_SOURCE + ").")
    int maxFlowsPerSource = FlowBudget.DEFAULT_PER_SOURCE;

    @Option(names = "--flow-idle-timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            defaultValue = "120s",
            description = "Close a flow's socket after this long without traffic, once the application sent again "
                    + "after a reply (default: ${DEFAULT-VALUE}).")
    Duration flowIdleTimeout;

    @Option(names = "--flow-single-exchange-timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            defaultValue = "10s",
            description = "Close the socket of a flow that saw a single exchange (a request and at most its reply, "
                    + "as a DNS query) after this long without traffic (default: ${DEFAULT-VALUE}).")
    Duration flowSingleExchangeTimeout;

    @Mixin
    TunnelOptions tunnelOptions;

    @Mixin
    ToolOptions toolOptions;

    @Override
    public Integer call() throws Exception {
        Duration statsInterval = toolOptions.statsInterval();
        if (dnsCacheTtl.compareTo(Duration.ofSeconds(1)) < 0 || dnsCacheTtl.compareTo(MAX_DNS_TTL) > 0) {
            throw new UserError("--dns-cache-ttl must be between 1s and 60s, got " + DurationConverter.format(dnsCacheTtl));
        }
        // Our cache bounds how long an answer is used; the JVM's own (30 s by default) would add to it.
        Security.setProperty("networkaddress.cache.ttl", "0");
        Security.setProperty("networkaddress.cache.negative.ttl", "0");
        InetSocketAddress target = new InetSocketAddress(Endpoints.resolve(targetHost), targetPort);
        InetSocketAddress listen = bind == null ? new InetSocketAddress(listenPort) : new InetSocketAddress(bind, listenPort);
        UntilStopped until = new UntilStopped();
        TunnelConfig.ServerBuilder builder = tunnelOptions.applyTo(TunnelConfig.server(listen)).failureHandler(until::failed);
        try {
            if (maxSessions != null) {
                builder.maxSessions(maxSessions);
            }
            if (maxSessionsPerSource != null) {
                builder.maxSessionsPerSource(maxSessionsPerSource);
            }
            if (sessionIdleTimeout != null) {
                builder.sessionIdleTimeout(sessionIdleTimeout);
            }
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
        TunnelConfig config = TunnelOptions.build(builder::build);
        boolean legacy = config.wireFormat().isLegacy();
        if (legacy && !allow.isEmpty()) {
            throw new UserError("--allow cannot be used with --legacy: the C mpclient knows no SOCKS");
        }

        atLeastOne("--max-socks-sockets", maxSocksSockets);
        atLeastOne("--max-socks-sockets-per-session", maxSocksSocketsPerSession);
        atLeastOne("--max-socks-sockets-per-source", maxSocksSocketsPerSource);
        SocketBudget budget = new SocketBudget(maxSocksSockets, maxSocksSocketsPerSession, maxSocksSocketsPerSource);
        atLeastOne("--max-flows", maxFlows);
        atLeastOne("--max-flows-per-session", maxFlowsPerSession);
        atLeastOne("--max-flows-per-source", maxFlowsPerSource);
        if (flowIdleTimeout.isZero() || flowSingleExchangeTimeout.isZero()) {
            throw new UserError("--flow-idle-timeout and --flow-single-exchange-timeout must be longer than 0");
        }
        TargetForwarder.FlowSettings flows = new TargetForwarder.FlowSettings(
                new FlowBudget(maxFlows, maxFlowsPerSession, maxFlowsPerSource),
                new FlowTimeouts(flowSingleExchangeTimeout, flowIdleTimeout));
        Warmup.run(config); // before the tunnel's port opens: no stall at the first session
        TargetForwarder forwarder;
        try {
            forwarder = TargetForwarder.start(config, target,
                    new TargetForwarder.SocksSettings(AllowList.of(allow, target), dnsCacheTtl, budget), flows);
        } catch (BindException e) {
            throw Endpoints.bindFailed(listen, e);
        }
        PrintStream out = System.out;
        until.begin(); // a signal from now on stops the tool cleanly
        out.println("mpserver: listening on " + Endpoints.format(forwarder.localAddress())
                + ", forwarding each session to " + Endpoints.format(target) + tunnelOptions.wireFormatNote(config));
        if (!legacy) {
            out.println("mpserver: SOCKS sessions may reach " + AllowList.of(allow, target));
        }
        out.flush();
        tunnelOptions.warnIfPlaintext("mpserver");

        long started = System.nanoTime();
        try {
            until.await(statsInterval, () -> {
                out.println("mpserver stats: " + report(forwarder).serverLine()
                        + " target-sockets " + forwarder.targetSockets() + " empty-sent " + forwarder.emptySent()
                        + " empty-refused " + forwarder.emptyRefused() + " " + forwarder.flowsLine() + " "
                        + forwarder.socksCounters().line());
                out.flush();
            });
            StatsReport last = report(forwarder);
            forwarder.close();
            out.printf("mpserver summary after %.1f s: %d datagrams to the target, %d from it, %d not taken by it%n",
                    (System.nanoTime() - started) / 1e9, forwarder.toTarget(), forwarder.fromTarget(),
                    forwarder.targetDropped());
            out.println(last.summary());
            out.println("  " + forwarder.flowsLine());
            out.println("  " + forwarder.socksCounters().line());
            out.flush();
        } catch (RuntimeException | Error e) {
            e.printStackTrace(); // the JVM is halting: this is the only chance to say why
            throw e;
        } finally {
            until.finished();
        }
        return until.exitStatus("mpserver");
    }

    private static final Duration MAX_DNS_TTL = Duration.ofSeconds(60);


    /** Converts one {@code --allow} value. */
    static final class AllowRuleConverter implements ITypeConverter<AllowRule> {
        @Override
        public AllowRule convert(String value) {
            try {
                return AllowRule.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    private static void atLeastOne(String option, int value) {
        if (value < 1) {
            throw new UserError(option + " must be at least 1, got " + value);
        }
    }

    private static StatsReport report(TargetForwarder forwarder) {
        return new StatsReport().add(forwarder.tunnelStats(), true);
    }
}
