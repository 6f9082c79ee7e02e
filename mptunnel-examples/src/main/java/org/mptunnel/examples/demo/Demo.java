package org.mptunnel.examples.demo;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.mptunnel.PathStats;
import org.mptunnel.SessionStats;
import org.mptunnel.TunnelConfig;
import org.mptunnel.examples.cli.KeyFile;
import org.mptunnel.TunnelStats;
import org.mptunnel.examples.cli.Endpoints;
import org.mptunnel.examples.cli.StatsReport;
import org.mptunnel.examples.client.FlowTunnel;
import org.mptunnel.examples.client.LocalForwarder;
import org.mptunnel.examples.flow.FlowTimeouts;
import org.mptunnel.examples.server.TargetForwarder;
import org.mptunnel.internal.bridge.Impairment;
import org.mptunnel.internal.bridge.UdpBridge;

/**
 * The one-command demo: in one JVM, on loopback, an echo target, an mpserver, lossy mpbridges and an
 * mpclient; the same load first straight through one lossy bridge, then through the tunnel; then a
 * table that compares them.
 */
public final class Demo {

    /** Fast keepalives so that the paths are measured within the demo's few seconds. */
    private static final Duration KEEPALIVE = Duration.ofMillis(200);

    /**
     * What to run.
     *
     * @param paths how many lossy bridges the tunnel uses
     * @param loss  each bridge's loss, in each direction
     * @param count datagrams per phase
     * @param rate  datagrams per second
     * @param size  bytes per datagram
     * @param seed  seed of the bridges' loss
     */
    public record Settings(int paths, double loss, int count, int rate, int size, long seed) {
    }

    /** What the tunnel phase measured besides the load generator's result. */
    record TunnelPhase(LoadGenerator.Result result, StatsReport client, TunnelStats server,
                       List<InetSocketAddress> bridges) {
    }

    private final Settings settings;
    private final PrintStream out;
    private final boolean console;

    /** @param out where progress and the table go */
    public Demo(Settings settings, PrintStream out) {
        this.settings = settings;
        this.out = out;
        this.console = System.console() != null;
    }

    /** Runs both phases and prints the table. */
    public void run() throws IOException, InterruptedException {
        long started = System.nanoTime();
        out.printf(Locale.ROOT, "mptunnel demo: %d datagrams of %d bytes at %d/s, each bridge losing %s in both directions%n",
                settings.count, settings.size, settings.rate, percent(settings.loss));
        LoadGenerator.Result direct;
        TunnelPhase tunnel;
        try (EchoTarget echo = EchoTarget.start()) {
            out.println("[1/2] direct: load generator -> 1 lossy mpbridge -> echo");
            direct = direct(echo.address());
            out.printf("[2/2] tunnel: load generator -> mpclient -> %d lossy mpbridges -> mpserver -> echo"
                            + " (authenticated and encrypted, with a fresh random key)%n",
                    settings.paths);
            tunnel = tunnel(echo.address());
        }
        printTable(direct, tunnel);
        out.printf(Locale.ROOT, "%ndone in %.1f s%n", (System.nanoTime() - started) / 1e9);
        out.flush();
    }

    private LoadGenerator.Result direct(InetSocketAddress echo) throws IOException, InterruptedException {
        try (UdpBridge bridge = UdpBridge.start(Loopback.anyPort(), echo, Impairment.lossy(settings.loss, settings.seed))) {
            return load(bridge.localAddress(), "direct");
        }
    }

    private TunnelPhase tunnel(InetSocketAddress echo) throws IOException, InterruptedException {
        byte[] key = KeyFile.generate(); // as mpkey would write it and both ends would read it
        TunnelConfig serverConfig = TunnelConfig.server(Loopback.anyPort()).keepaliveInterval(KEEPALIVE)
                .preSharedKey(key).build();
        List<UdpBridge> bridges = new ArrayList<>();
        try (TargetForwarder server = TargetForwarder.start(serverConfig, echo)) {
            try {
                List<InetSocketAddress> paths = new ArrayList<>();
                for (int i = 0; i < settings.paths; i++) {
                    UdpBridge bridge = UdpBridge.start(Loopback.anyPort(), server.localAddress(),
                            Impairment.lossy(settings.loss, settings.seed + 1 + i));
                    bridges.add(bridge);
                    paths.add(bridge.localAddress());
                }
                TunnelConfig clientConfig = TunnelConfig.client().paths(paths).keepaliveInterval(KEEPALIVE)
                        .preSharedKey(key).build();
                try (FlowTunnel flows = FlowTunnel.open(clientConfig, 16);
                     LocalForwarder client = LocalForwarder.start(Loopback.anyPort(), flows, FlowTimeouts.DEFAULT)) {
                    LoadGenerator.Result result = load(client.localAddress(), "tunnel");
                    return new TunnelPhase(result, new StatsReport().add(flows.stats(), true), server.tunnelStats(),
                            paths);
                }
            } finally {
                bridges.forEach(UdpBridge::close);
            }
        }
    }

    private LoadGenerator.Result load(InetSocketAddress target, String phase) throws IOException, InterruptedException {
        long[] lastLine = {System.nanoTime()};
        LoadGenerator.Result result = LoadGenerator.run(target, settings.count, settings.rate, settings.size,
                (sent, echoed) -> {
                    String line = String.format(Locale.ROOT, "      %-6s sent %5d/%d, echoed %5d", phase, sent,
                            settings.count, echoed);
                    if (console) {
                        out.print("\r" + line);
                        out.flush();
                    } else if (System.nanoTime() - lastLine[0] >= 1_000_000_000L || sent == settings.count) {
                        lastLine[0] = System.nanoTime();
                        out.println(line);
                    }
                });
        if (console) {
            out.println();
        }
        return result;
    }

    private void printTable(LoadGenerator.Result direct, TunnelPhase tunnel) {
        LoadGenerator.Result t = tunnel.result;
        double p = settings.loss;
        double directTheory = 1 - Math.pow(1 - p, 2);
        double tunnelTheory = 1 - Math.pow(1 - Math.pow(p, settings.paths), 2);
        Percentiles directRtt = new Percentiles(direct.rttNanos());
        Percentiles tunnelRtt = new Percentiles(t.rttNanos());

        String row = "  %-30s %16s %16s%n";
        out.println();
        out.printf(Locale.ROOT, row, "", "direct", "tunnel");
        out.printf(Locale.ROOT, row, "", "(1 bridge)", "(" + settings.paths + " bridges)");
        out.printf(Locale.ROOT, row, "round-trip loss", percent(direct.loss()), percent(t.loss()));
        out.printf(Locale.ROOT, row, "  theory, independent loss", percent(directTheory), percent(tunnelTheory));
        out.printf(Locale.ROOT, row, "echoed / sent", direct.echoed() + " / " + direct.sent(), t.echoed() + " / " + t.sent());
        out.printf(Locale.ROOT, row, "duplicates delivered", direct.duplicates(), t.duplicates());
        out.printf(Locale.ROOT, row, "round-trip p50", millis(directRtt.at(0.50)), millis(tunnelRtt.at(0.50)));
        out.printf(Locale.ROOT, row, "round-trip p99", millis(directRtt.at(0.99)), millis(tunnelRtt.at(0.99)));
        out.printf(Locale.ROOT, row, "throughput (echoes/s)", String.format(Locale.ROOT, "%.0f", direct.throughput()),
                String.format(Locale.ROOT, "%.0f", t.throughput()));

        out.println();
        out.println("  first deliveries by path (which bridge's copy arrived first):");
        out.printf(Locale.ROOT, "  %-30s %16s %16s%n", "path", "replies", "rtt");
        long replyFirsts = tunnel.client.paths().stream().mapToLong(StatsReport.PathTotals::firstDeliveries).sum();
        int i = 1;
        for (StatsReport.PathTotals path : tunnel.client.paths()) {
            out.printf(Locale.ROOT, "  %-30s %16s %16s%n", "#" + i++ + " bridge " + Endpoints.format(path.remote()),
                    StatsReport.share(path.firstDeliveries(), replyFirsts), StatsReport.rtt(path.rttNanos()));
        }
        out.println("  requests, as the mpserver saw them (it knows each path by the bridge's upstream port): "
                + requestShares(tunnel.server));
        out.printf(Locale.ROOT, "  tunnel copies dropped as duplicates: %d at the mpserver, %d at the mpclient%n",
                tunnel.server.duplicatesDropped(), tunnel.client.duplicatesDropped());
    }

    private static String requestShares(TunnelStats server) {
        List<String> shares = new ArrayList<>();
        for (SessionStats session : server.sessions()) {
            long firsts = session.paths().stream().mapToLong(PathStats::firstDeliveries).sum();
            for (PathStats path : session.paths()) {
                shares.add(StatsReport.share(path.firstDeliveries(), firsts));
            }
        }
        return shares.isEmpty() ? "-" : String.join(" / ", shares);
    }

    private static String percent(double share) {
        return String.format(Locale.ROOT, "%.2f %%", share * 100);
    }

    private static String millis(long nanos) {
        return nanos < 0 ? "-" : String.format(Locale.ROOT, "%.2f ms", nanos / 1e6);
    }
}
