package org.mptunnel.examples;

import java.io.IOException;
import java.io.PrintStream;
import java.io.Writer;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.locks.LockSupport;
import org.mptunnel.examples.cli.DurationConverter;
import org.mptunnel.examples.cli.Endpoints;
import org.mptunnel.examples.cli.ToolOptions;
import org.mptunnel.examples.cli.UntilStopped;
import org.mptunnel.examples.cli.UserError;
import org.mptunnel.examples.cli.TunnelOptions;
import org.mptunnel.internal.bridge.ClientLimits;
import org.mptunnel.internal.bridge.DropLog;
import org.mptunnel.internal.bridge.GilbertElliott;
import org.mptunnel.internal.bridge.Impairment;
import org.mptunnel.internal.bridge.UdpBridge;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.TypeConversionException;

/** {@code mpbridge LISTEN_PORT TARGET_HOST TARGET_PORT}: a plain UDP relay for one tunnel path. */
@Command(name = "mpbridge", mixinStandardHelpOptions = true, sortOptions = false,
        versionProvider = Main.Version.class,
        description = {"Relays UDP from LISTEN_PORT to TARGET_HOST:TARGET_PORT and back, with one upstream "
                + "socket per client address, so many clients can share it: what "
                + "'socat udp-listen:4000 udp4:SERVER:2000' is to the C mptunnel. It knows nothing of the "
                + "tunnel. Optional impairment, in both directions, for tests and demos.",
                "Each client costs one socket (a file descriptor): past --max-clients, or --max-clients-per-ip "
                + "for one IPv4 address or IPv6 /64, a new client takes the socket of the least recently active "
                + "one, so a flood of new source ports cannot lock out the next client."})
final class BridgeCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "LISTEN_PORT", converter = Endpoints.ListenPort.class,
            description = "UDP port to listen on (0 picks a free one).")
    int listenPort;

    @Parameters(index = "1", paramLabel = "TARGET_HOST", description = "Where to relay to: usually the mpserver.")
    String targetHost;

    @Parameters(index = "2", paramLabel = "TARGET_PORT", converter = Endpoints.RemotePort.class,
            description = "Port to relay to.")
    int targetPort;

    @Option(names = "--bind", paramLabel = "ADDR", converter = Endpoints.Address.class,
            description = "Listen on this local address only (default: all interfaces).")
    InetAddress bind;

    @Option(names = "--loss", paramLabel = "P", description = "Drop each datagram with probability P, 0 to 1 (default: 0).")
    double loss;

    @Option(names = "--loss-burst", paramLabel = "LOSS:BURST", converter = LossBurstConverter.class,
            description = "Drop datagrams in bursts (a Gilbert-Elliott chain): LOSS of them in the long run, a fraction "
                    + "or a percentage, in runs of BURST consecutive datagrams on average, e.g. 5%%:10. Each datagram is "
                    + "lost in the bad state and kept in the good one; from good to bad with probability "
                    + "LOSS/(BURST(1-LOSS)), back with 1/BURST. On top of --loss (default: none).")
    GilbertElliott lossBurst;

    @Option(names = "--delay", paramLabel = "MS", description = "Delay every datagram by MS milliseconds (default: 0).")
    double delayMillis;

    @Option(names = "--delay-max-bytes", paramLabel = "BYTES", converter = TunnelOptions.ByteSizeConverter.class,
            description = "The most payload bytes held for --delay, --jitter and --reorder at once (and at most "
                    + UdpBridge.MAX_DELAYED_DATAGRAMS + " datagrams); past it a datagram is dropped and counted as "
                    + "delay-dropped (128k to 1g; default: 32m).")
    Long delayMaxBytes;

    @Option(names = "--jitter", paramLabel = "MS", description = "Add a uniform random delay of up to MS milliseconds (default: 0).")
    double jitterMillis;

    @Option(names = "--duplicate", paramLabel = "P", description = "Send a datagram twice with probability P (default: 0).")
    double duplicate;

    @Option(names = "--reorder", paramLabel = "P", description = "Hold a datagram back so later ones overtake it, with probability P (default: 0).")
    double reorder;

    @Option(names = "--loss-after", paramLabel = "DURATION:P", converter = LossAfterConverter.class,
            description = "After DURATION from the start, drop each datagram with probability P instead, e.g. "
                    + "2s:0.5: a path that turns lossy mid-run (default: the loss never changes).")
    LossAfter lossAfter;

    @Option(names = "--drop-log", paramLabel = "FILE",
            description = "When the bridge stops, write each datagram it dropped to FILE, one line each: to-target or "
                    + "to-client, its length, its first " + DropLog.PREFIX + " bytes in hex; at most "
                    + DropLog.DEFAULT_MAX_RECORDS + " (later drops are counted, not kept). For benchmarks that tell "
                    + "which datagrams arrived although the bridge dropped them (default: none).")
    Path dropLogFile;

    @Option(names = "--seed", paramLabel = "N", description = "Seed of the impairment's random draws, to repeat a run (default: random).")
    Long seed;

    @Option(names = "--max-clients", paramLabel = "N", defaultValue = "" + ClientLimits.DEFAULT_MAX_CLIENTS,
            description = "Most clients (source address and port) with an upstream socket at once; a new one past "
                    + "this takes the least recently active one's (default: ${DEFAULT-VALUE}).")
    int maxClients;

    @Option(names = "--max-clients-per-ip", paramLabel = "N",
            defaultValue = "" + ClientLimits.DEFAULT_MAX_CLIENTS_PER_SOURCE,
            description = "Most of those from one IPv4 address or IPv6 /64 (default: ${DEFAULT-VALUE}).")
    int maxClientsPerIp;

    @Option(names = "--idle-timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            defaultValue = "120s",
            description = "Close a client's upstream socket after this long without a datagram from it "
                    + "(default: ${DEFAULT-VALUE}).")
    Duration idleTimeout;

    @Mixin
    ToolOptions toolOptions;

    @Override
    public Integer call() throws Exception {
        Duration statsInterval = toolOptions.statsInterval();
        ClientLimits limits = limits();
        Impairment impairment = new Impairment(probability("--loss", loss),
                lossBurst == null ? GilbertElliott.NONE : lossBurst, millis("--delay", delayMillis),
                millis("--jitter", jitterMillis), probability("--duplicate", duplicate),
                probability("--reorder", reorder), seed != null ? seed : System.nanoTime());
        InetSocketAddress target = new InetSocketAddress(Endpoints.resolve(targetHost), targetPort);
        InetSocketAddress listen = bind == null ? new InetSocketAddress(listenPort) : new InetSocketAddress(bind, listenPort);

        DropLog dropLog = dropLogFile == null ? null : startDropLog();
        UdpBridge bridge;
        try {
            bridge = UdpBridge.start(listen, target, impairment, limits, delayBound());
        } catch (BindException e) {
            throw Endpoints.bindFailed(listen, e);
        }
        bridge.dropLog(dropLog);
        PrintStream out = System.out;
        UntilStopped until = new UntilStopped();
        until.begin();
        out.println("mpbridge: listening on " + Endpoints.format(bridge.localAddress()) + ", relaying to "
                + Endpoints.format(target) + (impairment.isNone() ? "" : ", impairment " + describe(impairment))
                + (lossAfter == null ? "" : String.format(Locale.ROOT, ", loss %.3g after %s", lossAfter.loss(),
                        DurationConverter.format(lossAfter.after()))));
        out.flush();
        if (lossAfter != null) {
            Impairment later = new Impairment(lossAfter.loss(), impairment.burstLoss(), impairment.delay(),
                    impairment.jitter(), impairment.duplicate(), impairment.reorder(), impairment.seed() + 1);
            Thread change = new Thread(() -> {
                LockSupport.parkNanos(lossAfter.after().toNanos()); // a timer, not synchronisation
                bridge.impairment(later);
                out.println("mpbridge: loss now " + String.format(Locale.ROOT, "%.3g", later.loss()));
                out.flush();
            }, "mpbridge-loss-after");
            change.setDaemon(true);
            change.start();
        }

        long started = System.nanoTime();
        bridge.failure().thenAccept(until::failed);
        try {
            until.await(statsInterval, () -> {
                out.println("mpbridge stats: " + counts(bridge));
                out.flush();
            });
            bridge.close();
            out.printf("mpbridge summary after %.1f s: %s%n", (System.nanoTime() - started) / 1e9, counts(bridge));
            if (dropLog != null) {
                writeDropLog(dropLog, out);
            }
            out.flush();
        } catch (RuntimeException | Error e) {
            e.printStackTrace(); // the JVM is halting: this is the only chance to say why
            throw e;
        } finally {
            until.finished();
        }
        return until.exitStatus("mpbridge");
    }

    private static String counts(UdpBridge bridge) {
        long forwarded = bridge.forwarded();
        long dropped = bridge.dropped();
        long total = forwarded + dropped;
        return String.format(Locale.ROOT, "forwarded %d dropped %d (%s) delay-dropped %d clients %d evicted %d refused %d",
                forwarded, dropped, total == 0 ? "-" : String.format(Locale.ROOT, "%.1f%%", 100.0 * dropped / total),
                bridge.delayDropped(), bridge.clients(), bridge.evicted(), bridge.refused());
    }

    private static String describe(Impairment i) {
        GilbertElliott b = i.burstLoss();
        String bursts = b.isNone() ? "" : String.format(Locale.ROOT,
                "loss-burst %.3g%%:%.3g (good to bad %.3g, bad to good %.3g), ",
                100 * b.meanLoss(), 1 / b.leaveBad(), b.enterBad(), b.leaveBad());
        return String.format(Locale.ROOT, "loss %.3g, %sdelay %d ms, jitter %d ms, duplicate %.3g, reorder %.3g, seed %d",
                i.loss(), bursts, i.delay().toMillis(), i.jitter().toMillis(), i.duplicate(), i.reorder(), i.seed());
    }

    /** An empty drop log, its file created now so that a path that cannot be written is a usage error. */
    private DropLog startDropLog() {
        try {
            Files.writeString(dropLogFile, "", StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UserError("--drop-log: cannot create " + dropLogFile
                    + (e instanceof java.nio.file.NoSuchFileException ? ": no such directory" : ": " + e.getMessage()));
        }
        return new DropLog();
    }

    private void writeDropLog(DropLog dropLog, PrintStream out) {
        try (Writer w = Files.newBufferedWriter(dropLogFile, StandardCharsets.UTF_8)) {
            dropLog.writeTo(w);
            out.printf("mpbridge: %d dropped datagrams written to %s%s%n", dropLog.recorded(), dropLogFile,
                    dropLog.unrecorded() == 0 ? "" : ", " + dropLog.unrecorded() + " more past the bound not kept");
        } catch (IOException e) {
            out.println("mpbridge: cannot write the drop log to " + dropLogFile + ": " + e.getMessage());
        }
    }

    private long delayBound() {
        if (delayMaxBytes == null) {
            return UdpBridge.DEFAULT_DELAY_MAX_BYTES;
        }
        if (delayMaxBytes < 128 << 10 || delayMaxBytes > 1L << 30) {
            throw new UserError("--delay-max-bytes must be between 128k and 1g, got " + delayMaxBytes);
        }
        return delayMaxBytes;
    }

    private ClientLimits limits() {
        if (maxClients < 1 || maxClientsPerIp < 1) {
            throw new UserError("--max-clients and --max-clients-per-ip must be at least 1, got " + maxClients
                    + " and " + maxClientsPerIp);
        }
        if (idleTimeout.isZero()) {
            throw new UserError("--idle-timeout must be longer than 0");
        }
        return new ClientLimits(maxClients, maxClientsPerIp, idleTimeout);
    }

    /** The loss that {@code --loss-after} switches to, and when. */
    record LossAfter(Duration after, double loss) {
    }

    /** Converts {@code DURATION:P}, e.g. {@code 2s:0.5}. */
    static final class LossAfterConverter implements ITypeConverter<LossAfter> {
        @Override
        public LossAfter convert(String value) {
            int colon = value.lastIndexOf(':');
            if (colon < 0) {
                throw new TypeConversionException("'" + value + "' is not DURATION:P, e.g. 2s:0.5");
            }
            Duration after = new DurationConverter().convert(value.substring(0, colon));
            double loss;
            try {
                loss = Double.parseDouble(value.substring(colon + 1));
            } catch (NumberFormatException e) {
                loss = Double.NaN;
            }
            if (!(loss >= 0 && loss <= 1)) {
                throw new TypeConversionException("'" + value + "': the loss after " + value.substring(0, colon)
                        + " must be a probability between 0 and 1");
            }
            return new LossAfter(after, loss);
        }
    }

    /**
     * Converts {@code LOSS:BURST}, e.g. {@code 5%:10} or {@code 0.05:10}: the mean loss as a fraction or a
     * percentage, the mean burst length in datagrams.
     */
    static final class LossBurstConverter implements ITypeConverter<GilbertElliott> {
        @Override
        public GilbertElliott convert(String value) {
            int colon = value.indexOf(':');
            if (colon < 0) {
                throw new TypeConversionException("'" + value + "' is not LOSS:BURST, e.g. 5%:10");
            }
            String lossText = value.substring(0, colon).trim();
            boolean percent = lossText.endsWith("%");
            double loss = percent ? number(lossText.substring(0, lossText.length() - 1)) / 100 : number(lossText);
            double burst = number(value.substring(colon + 1));
            try {
                return GilbertElliott.bursts(loss, burst);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException("'" + value + "': " + e.getMessage());
            }
        }

        private static double number(String text) {
            try {
                return Double.parseDouble(text.trim());
            } catch (NumberFormatException e) {
                return Double.NaN;
            }
        }
    }

    private static double probability(String option, double p) {
        if (!(p >= 0 && p <= 1)) {
            throw new UserError(option + " must be a probability between 0 and 1, got " + p);
        }
        return p;
    }

    private static Duration millis(String option, double ms) {
        if (!(ms >= 0 && ms <= 3_600_000)) {
            throw new UserError(option + " must be between 0 and 3600000 milliseconds, got " + ms);
        }
        return Duration.ofNanos(Math.round(ms * 1_000_000));
    }
}
