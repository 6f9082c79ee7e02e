package org.mptunnel.examples.cli;

import java.time.Duration;
import java.util.function.Consumer;
import org.mptunnel.OrderedDelivery;
import org.mptunnel.TunnelConfig;
import java.util.Stack;
import picocli.CommandLine.IParameterConsumer;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.TypeConversionException;

/**
 * The library's tuning options, shared by mpclient and mpserver. An option left out is not passed
 * to the builder at all, so the library's own default applies.
 */
public final class TunnelOptions {

    @Option(names = "--keepalive", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Keepalive interval per path, e.g. 200ms (default: 1s).")
    Duration keepalive;

    @Option(names = "--dead-timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Silence after which a path is marked down (default: 3 keepalive intervals).")
    Duration deadTimeout;

    @Option(names = "--window", paramLabel = "N",
            description = "Duplicate window: how far behind the newest sequence number a datagram is still accepted (default: 4096).")
    Integer window;

    @Option(names = "--queue", paramLabel = "N",
            description = "Received datagrams that may wait for the forwarder before new ones are dropped (default: 1024).")
    Integer queue;

    @Option(names = "--max-payload", paramLabel = "BYTES",
            description = "Largest datagram carried; longer ones are refused, never split (default: the library's maximum).")
    Integer maxPayload;

    @Option(names = "--legacy",
            description = "Speak the original C mptunnel's wire format, to run against its mpclient or mpserver: "
                    + "LFSR-obfuscated as the original is, plain if the environment has MPTUNNEL_ENCRYPT=0. "
                    + "One peer per server, no keepalives, no authentication.")
    boolean legacy;

    @Option(names = "--ordered", paramLabel = "WAIT", arity = "0..1", parameterConsumer = OrderedWait.class,
            description = "Deliver datagrams in the order they were sent, holding those behind a missing one for "
                    + "at most WAIT (--ordered=30ms: 1ms to 10s); --ordered alone or --ordered=auto: "
                    + "twice the paths' RTT spread, at most 50ms. A datagram later than that is dropped (default: off).")
    OrderedDelivery ordered;

    /** @return the keepalive interval given, or the library's default */
    public Duration keepaliveOr(Duration fallback) {
        return keepalive != null ? keepalive : fallback;
    }

    /**
     * Applies the options that were given.
     *
     * @throws UserError naming the option if the library refuses a value
     */
    public <B extends TunnelConfig.Builder<B>> B applyTo(B builder) {
        set("--keepalive", keepalive, builder::keepaliveInterval);
        set("--dead-timeout", deadTimeout, builder::deadTimeout);
        set("--window", window, builder::duplicateWindow);
        set("--queue", queue, builder::receiveQueueCapacity);
        set("--max-payload", maxPayload, builder::maxPayloadSize);
        set("--ordered", ordered, builder::orderedDelivery);
        if (legacy) {
            // The original reads the variable at start; so do we, and the library takes the result.
            builder.wireFormat(TunnelConfig.WireFormat.legacyFor(System.getenv("MPTUNNEL_ENCRYPT")));
        }
        return builder.jmx(true); // the tools are watched from outside: JConsole, VisualVM, exporters
    }

    /**
     * {@code --ordered}'s optional WAIT: {@code auto} or a duration (a unit is required). picocli
     * would take whatever follows {@code --ordered} as its value, such as mpserver's LISTEN_PORT,
     * and cannot tell {@code --ordered=X} from {@code --ordered X}; so the next argument is taken
     * only if it is {@code auto} or meant as a duration: a digit first and not all digits. A port or
     * a host stays a positional.
     */
    public static final class OrderedWait implements IParameterConsumer {
        @Override
        public void consumeParameters(Stack<String> args, ArgSpec argSpec, CommandSpec commandSpec) {
            String next = args.isEmpty() ? null : args.peek();
            boolean meantAsWait = next != null && (next.equals("auto")
                    || (!next.isEmpty() && Character.isDigit(next.charAt(0)) && !next.chars().allMatch(Character::isDigit)));
            if (meantAsWait) {
                args.pop();
            }
            try {
                argSpec.setValue(meantAsWait ? convert(next) : OrderedDelivery.auto());
            } catch (TypeConversionException e) {
                throw new ParameterException(commandSpec.commandLine(),
                        "Invalid value for option '--ordered': " + e.getMessage());
            }
        }

        static OrderedDelivery convert(String value) {
            if (value.equals("auto")) {
                return OrderedDelivery.auto();
            }
            Duration wait;
            try {
                wait = new DurationConverter().convert(value);
            } catch (TypeConversionException e) {
                throw new TypeConversionException("'" + value + "' is not a wait: give 'auto' or a duration, e.g. 30ms");
            }
            try {
                return OrderedDelivery.fixed(wait);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    private static <T> void set(String option, T value, Consumer<T> setter) {
        if (value == null) {
            return;
        }
        try {
            setter.accept(value);
        } catch (IllegalArgumentException e) {
            throw new UserError(option + ": " + e.getMessage());
        }
    }

    /** @return what the start line says of the wire format: nothing for the tunnel's own */
    public static String wireFormatNote(TunnelConfig config) {
        switch (config.wireFormat()) {
            case LEGACY:
                return ", speaking the C original's wire format (LFSR-obfuscated)";
            case LEGACY_PLAIN:
                return ", speaking the C original's wire format (plain, MPTUNNEL_ENCRYPT=0)";
            default:
                return "";
        }
    }

    /** Builds with the library's combination checks turned into a user error. */
    public static TunnelConfig build(java.util.function.Supplier<TunnelConfig> build) {
        try {
            return build.get();
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
    }
}
