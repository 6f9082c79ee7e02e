package org.mptunnel.examples.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.function.Consumer;
import org.mptunnel.OrderedDelivery;
import org.mptunnel.TunnelConfig;
import org.slf4j.LoggerFactory;
import java.util.Stack;
import picocli.CommandLine.IParameterConsumer;
import picocli.CommandLine.ITypeConverter;
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

    @Option(names = "--key-file", paramLabel = "FILE",
            description = "The pre-shared key, as mpkey writes it; the same at both ends. With a key every datagram "
                    + "is authenticated and encrypted. Default: the environment variable " + KeyFile.VARIABLE
                    + " if set, else none: plaintext.")
    Path keyFile;

    private boolean keyed;
    @Option(names = "--ordered", paramLabel = "WAIT", arity = "0..1", parameterConsumer = OrderedWait.class,
            description = "Deliver datagrams in the order they were sent, holding those behind a missing one for "
                    + "at most WAIT (--ordered=30ms: 1ms to 10s); --ordered alone or --ordered=auto: "
                    + "twice the paths' RTT spread, at most 50ms. A datagram later than that is dropped (default: off).")
    OrderedDelivery ordered;

    @Option(names = "--ordered-max-bytes", paramLabel = "BYTES",
            description = "With --ordered: the most the tunnel holds back for ordering, every session together; past it "
                    + "the oldest held datagrams go out early (128k to 1g; default: 8m). A held datagram counts about its "
                    + "size plus 112 bytes.", converter = ByteSizeConverter.class)
    Long orderedMaxBytes;

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
        set("--ordered", ordering(), builder::orderedDelivery);
        if (legacy) {
            // The original reads the variable at start; so do we, and the library takes the result.
            builder.wireFormat(TunnelConfig.WireFormat.legacyFor(System.getenv("MPTUNNEL_ENCRYPT")));
        }
        byte[] key = key();
        if (key != null) {
            if (legacy) {
                throw new UserError("--legacy cannot be used with a pre-shared key (--key-file or " + KeyFile.VARIABLE
                        + "): the C original has no authentication");
            }
            set("--key-file", key, builder::preSharedKey);
            Arrays.fill(key, (byte) 0); // the builder keeps its own copy
            keyed = true;
        }
        return builder.jmx(true); // the tools are watched from outside: JConsole, VisualVM, exporters
    }

    /** @return --ordered with --ordered-max-bytes applied, or null if not given */
    private OrderedDelivery ordering() {
        if (orderedMaxBytes == null) {
            return ordered;
        }
        if (ordered == null) {
            throw new UserError("--ordered-max-bytes needs --ordered");
        }
        try {
            return ordered.withMaxHeldBytes(orderedMaxBytes);
        } catch (IllegalArgumentException e) {
            throw new UserError("--ordered-max-bytes: " + e.getMessage());
        }
    }

    /** @return the key from --key-file, else from the environment, else null */
    private byte[] key() {
        if (keyFile != null) {
            KeyFile.Loaded loaded = KeyFile.read(keyFile);
            if (loaded.readableByOthers()) {
                LoggerFactory.getLogger(TunnelOptions.class).warn(
                        "key file {} can be read by other users: chmod 600 it", keyFile);
            }
            return loaded.key();
        }
        String variable = System.getenv(KeyFile.VARIABLE);
        return variable == null || variable.isEmpty() ? null
                : KeyFile.parse(variable, "the environment variable " + KeyFile.VARIABLE);
    }

    /**
     * Says at start, once, that a tunnel without a key protects nothing. Called after {@link #applyTo}.
     *
     * @param tool the tool's name, for the log line
     */
    public void warnIfPlaintext(String tool) {
        if (!keyed) {
            // The logger is made here, not in a static field: slf4j-simple reads -v when the first one is made.
            LoggerFactory.getLogger(TunnelOptions.class).warn("{} runs without a pre-shared key: anyone on a path can "
                    + "read, forge and replay the tunnel's datagrams{}. Write a key with mpkey and give it to both "
                    + "ends with --key-file or {}.", tool,
                    legacy ? " (the C original's LFSR obfuscation is no protection)" : "", KeyFile.VARIABLE);
        }
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

    /** A byte count: digits with an optional k, m or g (binary multiples). */
    public static final class ByteSizeConverter implements ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            String digits = value.toLowerCase(java.util.Locale.ROOT);
            int shift = digits.endsWith("k") ? 10 : digits.endsWith("m") ? 20 : digits.endsWith("g") ? 30 : 0;
            if (shift > 0) {
                digits = digits.substring(0, digits.length() - 1);
            }
            if (digits.isEmpty() || digits.length() > 12 || !digits.chars().allMatch(Character::isDigit)) {
                throw new TypeConversionException("'" + value + "' is not a size: give bytes, e.g. 524288 or 512k");
            }
            return Long.parseLong(digits) << shift;
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

    /** @return what the start line says of the wire format and the key */
    public String wireFormatNote(TunnelConfig config) {
        if (keyed) {
            return ", authenticated and encrypted with the pre-shared key";
        }
        switch (config.wireFormat()) {
            case LEGACY:
                return ", speaking the C original's wire format (LFSR-obfuscated)";
            case LEGACY_PLAIN:
                return ", speaking the C original's wire format (plain, MPTUNNEL_ENCRYPT=0)";
            default:
                return ", in plaintext (no pre-shared key)";
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
