package org.mptunnel;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * The immutable, validated configuration of a {@link MultipathDatagramSocket}.
 *
 * <p>A <em>client</em> talks to one virtual peer over one or more paths; a <em>server</em> binds a
 * port and serves many client sessions. Build one with {@link #client()} or {@link #server(int)}:
 *
 * <pre>{@code
 * TunnelConfig client = TunnelConfig.client()
 *         .path(new InetSocketAddress("bridge-a.example", 4000))
 *         .path(new InetSocketAddress("bridge-b.example", 4000))
 *         .path(new InetSocketAddress("server.example", 2000))
 *         .keepaliveInterval(Duration.ofMillis(500))
 *         .build();
 *
 * TunnelConfig server = TunnelConfig.server(2000).maxSessions(256).build();
 * }</pre>
 *
 * <p>Builders check every value as it is set and throw {@link IllegalArgumentException} with the
 * option's name; {@code build()} checks the combination.
 *
 * <p>With a {@linkplain Builder#preSharedKey pre-shared key} (the same 32 random bytes at both
 * ends) a socket speaks protocol version 2: every datagram is authenticated and encrypted, and each
 * session has its own keys from a handshake (docs/PROTOCOL.md, SECURITY.md). Without one it speaks
 * version 1, in plaintext: anyone on a path can read, forge or replay datagrams.
 *
 * <p>Both roles can instead speak the original C mptunnel's wire format, to replace one end of an
 * existing C deployment at a time: see {@link WireFormat#LEGACY} and its limits.
 */
public final class TunnelConfig {

    /** Which side of the tunnel a socket is. */
    public enum Role {
        /** One session towards one virtual peer over several paths. */
        CLIENT,
        /** Many sessions on one bound port. */
        SERVER
    }

    /**
     * What a socket's datagrams look like on the wire.
     *
     * <p>{@link #MPTUNNEL_V1} is this library's own protocol (docs/PROTOCOL.md). The two legacy
     * formats are those of the original C {@code mpclient} and {@code mpserver}, so that one end of an
     * existing C tunnel can be replaced at a time; choose the same format at both ends. The legacy
     * format has no session id, keepalive or authentication, which limits what a legacy socket does:
     * <ul>
     *   <li>a legacy <b>server serves one peer</b>: every valid datagram, from any source address,
     *       belongs to its single session, whose address (as {@code receive} reports it) never
     *       changes; {@code maxSessions} and {@code sessionIdleTimeout} do not apply, and two peers
     *       at once would corrupt each other's numbering;</li>
     *   <li><b>no keepalive, liveness or RTT</b>: every path is always up (a client sends on all of
     *       them; a server on every source address it has heard, up to {@code maxPathsPerSession});
     *       {@code keepaliveInterval} does not apply;</li>
     *   <li><b>numbering restarts</b>: each side numbers its datagrams 1, 2, 3, … (32 bits) and a
     *       restarted peer starts again at 1, which the receiver recognises by a heuristic: a low
     *       number that the duplicate window would refuse as too old, or a repeated low number after
     *       the peer was silent for {@code deadTimeout}; see docs/PROTOCOL.md for its limits;</li>
     *   <li><b>no authentication</b>, and the obfuscation of {@link #LEGACY} is not encryption:
     *       anyone on a path can read, forge or replay datagrams;</li>
     *   <li>the largest payload is {@value #LEGACY_MAX_PAYLOAD_LIMIT} bytes (the header is 16).</li>
     * </ul>
     */
    public enum WireFormat {
        /** This library's protocol, version 1: sessions, keepalives, 64-bit numbering. The default. */
        MPTUNNEL_V1,
        /**
         * The C mptunnel's format with its LFSR obfuscation, which the C tools use unless the
         * environment variable {@code MPTUNNEL_ENCRYPT} is set to 0.
         */
        LEGACY,
        /** The C mptunnel's format without obfuscation: the C tools run with {@code MPTUNNEL_ENCRYPT=0}. */
        LEGACY_PLAIN;

        /** @return whether this is one of the C mptunnel's formats */
        public boolean isLegacy() {
            return this != MPTUNNEL_V1;
        }

        /** @return the largest payload a datagram of this format can carry */
        public int maxPayloadLimit() {
            return isLegacy() ? LEGACY_MAX_PAYLOAD_LIMIT : MAX_PAYLOAD_LIMIT;
        }

        /**
         * The legacy format the C tools would use given the value of their {@code MPTUNNEL_ENCRYPT}
         * environment variable. The library never reads the environment itself; a tool passes
         * {@code System.getenv("MPTUNNEL_ENCRYPT")}. The rule is the C tools' own: unset means
         * obfuscated; otherwise the value is read as C's {@code atoi} reads it (leading blanks, a
         * sign, digits; anything else counts as 0) and 0 means plain. So "0", "00", "" and "no"
         * turn obfuscation off, "1" and "2" leave it on.
         *
         * @param mptunnelEncrypt the variable's value, or {@code null} if it is not set
         * @return {@link #LEGACY} or {@link #LEGACY_PLAIN}
         */
        public static WireFormat legacyFor(String mptunnelEncrypt) {
            return mptunnelEncrypt == null || atoiIsNonZero(mptunnelEncrypt) ? LEGACY : LEGACY_PLAIN;
        }

        private static boolean atoiIsNonZero(String value) {
            int i = 0;
            int n = value.length();
            while (i < n && " \t\n\013\f\r".indexOf(value.charAt(i)) >= 0) {
                i++;
            }
            if (i < n && (value.charAt(i) == '+' || value.charAt(i) == '-')) {
                i++;
            }
            for (; i < n && value.charAt(i) >= '0' && value.charAt(i) <= '9'; i++) {
                if (value.charAt(i) != '0') {
                    return true;
                }
            }
            return false;
        }
    }

    /**
     * The authenticated encryption that protects datagrams when a pre-shared key is set; both ends
     * must choose the same one.
     */
    public enum AeadSuite {
        /** AES-256 in Galois/Counter Mode: hardware-accelerated by JDK 17 on current CPUs. The default. */
        AES_256_GCM,
        /** ChaCha20-Poly1305: constant-time in software on any CPU, but slower on JDK 17. */
        CHACHA20_POLY1305
    }

    /** The length of a pre-shared key in bytes. */
    public static final int PRE_SHARED_KEY_LENGTH = 32;

    /** What encryption adds to every datagram: the 16-byte authentication tag. */
    public static final int ENCRYPTION_OVERHEAD = 16;

    /**
     * The largest payload a tunnel datagram can carry: 65,507 bytes (the largest UDP payload over
     * IPv4) less the 24-byte tunnel header.
     */
    public static final int MAX_PAYLOAD_LIMIT = 65_507 - 24;

    /**
     * The largest payload an encrypted (version 2) datagram can carry: {@link #MAX_PAYLOAD_LIMIT}
     * less the {@value #ENCRYPTION_OVERHEAD}-byte tag.
     */
    public static final int ENCRYPTED_MAX_PAYLOAD_LIMIT = MAX_PAYLOAD_LIMIT - ENCRYPTION_OVERHEAD;

    /**
     * The largest payload a {@linkplain WireFormat#LEGACY legacy} datagram can carry: 65,507 bytes
     * less the 16-byte legacy header.
     */
    public static final int LEGACY_MAX_PAYLOAD_LIMIT = 65_507 - 16;

    /** Smallest duplicate window: one 64-bit bitmap word. */
    public static final int MIN_DUPLICATE_WINDOW = 64;

    /** Largest duplicate window, which bounds the bitmap at 128 KiB per session and direction. */
    public static final int MAX_DUPLICATE_WINDOW = 1 << 20;

    /** The most paths a client has at once, configured or added while it runs: one socket each. */
    public static final int MAX_PATHS = 64;

    private final Role role;
    private final List<TunnelPath> paths;
    private final InetSocketAddress peerAddress;
    private final InetSocketAddress bindAddress;
    private final Duration keepaliveInterval;
    private final Duration deadTimeout;
    private final int duplicateWindow;
    private final int receiveQueueCapacity;
    private final int maxPayloadSize;
    private final boolean jmx;
    private final int maxSessions;
    private final int maxSessionsPerSource;
    private final int maxPathsPerSession;
    private final Duration sessionIdleTimeout;
    private final WireFormat wireFormat;
    private final DatagramHandler receiveHandler;
    private final Consumer<Throwable> failureHandler;
    private final Redundancy redundancy;
    /** Null: protocol version 1, in plaintext. Never handed out: {@link #preSharedKey()} copies it. */
    private final byte[] preSharedKey;
    private final AeadSuite aeadSuite;
    private final Duration rekeyAfter;
    private final long rekeyAfterDatagrams;
    private final OrderedDelivery orderedDelivery;

    private TunnelConfig(Builder<?> b, Role role, List<TunnelPath> paths, InetSocketAddress peer,
                         InetSocketAddress bind, int maxSessions, int maxSessionsPerSource, int maxPathsPerSession,
                         Duration sessionIdleTimeout, Redundancy redundancy) {
        this.role = role;
        this.paths = List.copyOf(paths);
        this.peerAddress = peer;
        this.bindAddress = bind;
        this.keepaliveInterval = b.keepaliveInterval;
        this.deadTimeout = b.deadTimeout != null ? b.deadTimeout : b.keepaliveInterval.multipliedBy(3);
        this.duplicateWindow = b.duplicateWindow;
        this.receiveQueueCapacity = b.receiveQueueCapacity;
        this.wireFormat = b.wireFormat;
        this.preSharedKey = b.preSharedKey != null ? b.preSharedKey.clone() : null;
        this.aeadSuite = b.aeadSuite;
        this.rekeyAfter = b.rekeyAfter;
        this.rekeyAfterDatagrams = b.rekeyAfterDatagrams;
        int payloadLimit = preSharedKey != null ? ENCRYPTED_MAX_PAYLOAD_LIMIT : wireFormat.maxPayloadLimit();
        this.maxPayloadSize = b.maxPayloadSize != 0 ? b.maxPayloadSize : payloadLimit;
        this.jmx = b.jmx;
        this.receiveHandler = b.receiveHandler;
        this.failureHandler = b.failureHandler;
        this.orderedDelivery = b.orderedDelivery;
        this.maxSessions = maxSessions;
        this.maxSessionsPerSource = maxSessionsPerSource;
        this.maxPathsPerSession = maxPathsPerSession;
        this.sessionIdleTimeout = sessionIdleTimeout;
        this.redundancy = redundancy;
        if (redundancy.isFec() && wireFormat.isLegacy()) {
            throw new IllegalArgumentException("FEC redundancy needs repair datagrams, which the "
                    + wireFormat + " wire format cannot carry");
        }
        if (redundancy.isAdaptive() && wireFormat.isLegacy()) {
            throw new IllegalArgumentException("adaptive redundancy needs keepalives, which the "
                    + wireFormat + " wire format does not have");
        }
        if (deadTimeout.compareTo(keepaliveInterval) <= 0) {
            throw new IllegalArgumentException("deadTimeout (" + deadTimeout
                    + ") must be longer than keepaliveInterval (" + keepaliveInterval + ")");
        }
        if (preSharedKey != null && wireFormat.isLegacy()) {
            throw new IllegalArgumentException("a pre-shared key needs the MPTUNNEL_V1 wire format; the "
                    + wireFormat + " format has no authentication");
        }
        if (maxPayloadSize > payloadLimit) {
            throw new IllegalArgumentException("maxPayloadSize (" + maxPayloadSize + ") exceeds the "
                    + wireFormat + (preSharedKey != null ? " limit with a pre-shared key" : " limit")
                    + " of " + payloadLimit + " bytes");
        }
        if (role == Role.SERVER && sessionIdleTimeout.compareTo(deadTimeout) < 0) {
            throw new IllegalArgumentException("sessionIdleTimeout (" + sessionIdleTimeout
                    + ") must not be shorter than deadTimeout (" + deadTimeout + ")");
        }
    }

    /** A copy of {@code base} with another handler: the values were validated when it was built. */
    private TunnelConfig(TunnelConfig base, DatagramHandler receiveHandler) {
        this.role = base.role;
        this.paths = base.paths;
        this.peerAddress = base.peerAddress;
        this.bindAddress = base.bindAddress;
        this.keepaliveInterval = base.keepaliveInterval;
        this.deadTimeout = base.deadTimeout;
        this.duplicateWindow = base.duplicateWindow;
        this.receiveQueueCapacity = base.receiveQueueCapacity;
        this.maxPayloadSize = base.maxPayloadSize;
        this.jmx = base.jmx;
        this.maxSessions = base.maxSessions;
        this.maxSessionsPerSource = base.maxSessionsPerSource;
        this.maxPathsPerSession = base.maxPathsPerSession;
        this.sessionIdleTimeout = base.sessionIdleTimeout;
        this.wireFormat = base.wireFormat;
        this.redundancy = base.redundancy;
        this.preSharedKey = base.preSharedKey;
        this.aeadSuite = base.aeadSuite;
        this.rekeyAfter = base.rekeyAfter;
        this.rekeyAfterDatagrams = base.rekeyAfterDatagrams;
        this.orderedDelivery = base.orderedDelivery;
        this.receiveHandler = receiveHandler;
        this.failureHandler = base.failureHandler;
    }

    /** @return a builder for a client socket; add at least one path */
    public static ClientBuilder client() {
        return new ClientBuilder();
    }

    /**
     * @param port the UDP port to listen on, on all interfaces (0 picks a free one)
     * @return a builder for a server socket
     */
    public static ServerBuilder server(int port) {
        return new ServerBuilder(new InetSocketAddress(checkPort("port", port)));
    }

    /**
     * @param bindAddress the local address and port to listen on
     * @return a builder for a server socket
     */
    public static ServerBuilder server(InetSocketAddress bindAddress) {
        return new ServerBuilder(Objects.requireNonNull(bindAddress, "bindAddress"));
    }

    /** @return the socket's role */
    public Role role() {
        return role;
    }

    /**
     * @return where the client's paths go, in the order given (an address appears once per path
     *         to it); empty on a server
     */
    public List<InetSocketAddress> paths() {
        return paths.stream().map(TunnelPath::remote).collect(Collectors.toUnmodifiableList());
    }

    /**
     * @return the client's paths in the order given, each with its own local address or interface
     *         if it has one (the others bind to {@link #bindAddress()}); empty on a server. A
     *         socket's paths may change while it runs: {@link MultipathDatagramSocket#paths()}.
     */
    public List<TunnelPath> tunnelPaths() {
        return paths;
    }

    /**
     * @return on a client, the address the application knows its peer by: the socket is connected
     *         to it, and received datagrams carry it; {@code null} on a server
     */
    public InetSocketAddress peerAddress() {
        return peerAddress;
    }

    /**
     * @return the local address to bind: the listening address on a server; on a client, the local
     *         address of every path socket whose path names none of its own (port 0 there: each
     *         path gets its own port)
     */
    public InetSocketAddress bindAddress() {
        return bindAddress;
    }

    /** @return how often a client probes each path, and the unit of the server's liveness checks */
    public Duration keepaliveInterval() {
        return keepaliveInterval;
    }

    /** @return how long a path may stay silent before it is marked down */
    public Duration deadTimeout() {
        return deadTimeout;
    }

    /** @return how many sequence numbers behind the newest one are still accepted (reordering) */
    public int duplicateWindow() {
        return duplicateWindow;
    }

    /** @return how many received datagrams may wait for {@code receive} before new ones are dropped */
    public int receiveQueueCapacity() {
        return receiveQueueCapacity;
    }

    /** @return the wire format, {@link WireFormat#MPTUNNEL_V1} unless a legacy one was chosen */
    public WireFormat wireFormat() {
        return wireFormat;
    }

    /** @return the largest payload {@code send} accepts, in bytes */
    public int maxPayloadSize() {
        return maxPayloadSize;
    }

    /**
     * @return whether the socket registers a JMX MBean with its statistics, named
     *         {@code org.mptunnel:type=MultipathDatagramSocket,role=client|server,port=LOCAL_PORT}
     */
    public boolean jmx() {
        return jmx;
    }

    /** @return on a server, the most sessions held at once; 1 on a client */
    public int maxSessions() {
        return maxSessions;
    }

    /**
     * @return on a server, the most sessions one source holds at once: one IPv4 address or one
     *         IPv6 /64, whatever its ports; 1 on a client
     */
    public int maxSessionsPerSource() {
        return maxSessionsPerSource;
    }

    /** @return on a server, the most paths remembered per session */
    public int maxPathsPerSession() {
        return maxPathsPerSession;
    }

    /** @return on a server, how long a silent session is kept */
    public Duration sessionIdleTimeout() {
        return sessionIdleTimeout;
    }

    /**
     * @return the handler that takes received datagrams on the socket's I/O thread, or
     *         {@code null} if they wait for {@code receive} (the default)
     */
    public DatagramHandler receiveHandler() {
        return receiveHandler;
    }

    /** @return what is told if the socket fails, or {@code null}; see {@link Builder#failureHandler} */
    public Consumer<Throwable> failureHandler() {
        return failureHandler;
    }

    /**
     * Returns this configuration with another receive handler, for code that is given a
     * configuration and opens sockets of its own with it (a relay with one handler per socket).
     *
     * @param handler see {@link Builder#receiveHandler}; {@code null} for none
     * @return a copy of this configuration that differs only in its handler
     */
    public TunnelConfig withReceiveHandler(DatagramHandler handler) {
        return new TunnelConfig(this, handler);
    }

    /**
     * @return how many paths each datagram goes on: {@link Redundancy#ALL_PATHS} unless a client
     *         chose {@linkplain Redundancy#adaptive(double) adaptive} redundancy
     */
    public Redundancy redundancy() {
        return redundancy;
    }

    /**
     * @return whether received datagrams are delivered in sequence order, and how long a gap is
     *         waited for: {@link OrderedDelivery#OFF} unless chosen
     */
    public OrderedDelivery orderedDelivery() {
        return orderedDelivery;
    }

    /**
     * @return a copy of the pre-shared key, or {@code null} if none was set (protocol version 1,
     *         plaintext)
     */
    public byte[] preSharedKey() {
        return preSharedKey != null ? preSharedKey.clone() : null;
    }

    /** @return whether a pre-shared key is set, so that the socket authenticates and encrypts */
    public boolean encrypted() {
        return preSharedKey != null;
    }

    /** @return the authenticated encryption used with a pre-shared key (default AES-256-GCM) */
    public AeadSuite aeadSuite() {
        return aeadSuite;
    }

    /** @return how long a session's keys are used before a client negotiates new ones (default 2 min) */
    public Duration rekeyAfter() {
        return rekeyAfter;
    }

    /** @return after how many datagrams sealed under one key a client negotiates new ones (default 2^32) */
    public long rekeyAfterDatagrams() {
        return rekeyAfterDatagrams;
    }

    /** Prints every option but the pre-shared key, of which only whether it is set. */
    @Override
    public String toString() {
        return "TunnelConfig{role=" + role + ", paths=" + paths + ", peer=" + peerAddress
                + ", bind=" + bindAddress + ", keepalive=" + keepaliveInterval + ", dead=" + deadTimeout
                + ", window=" + duplicateWindow + ", queue=" + receiveQueueCapacity
                + ", maxPayload=" + maxPayloadSize + ", maxSessions=" + maxSessions
                + ", maxSessionsPerSource=" + maxSessionsPerSource
                + ", maxPathsPerSession=" + maxPathsPerSession + ", sessionIdle=" + sessionIdleTimeout
                + ", wireFormat=" + wireFormat + ", redundancy=" + redundancy
                + (orderedDelivery.isEnabled() ? ", orderedDelivery=" + orderedDelivery : "") + ", jmx=" + jmx
                + (preSharedKey != null ? ", preSharedKey=<set>, aead=" + aeadSuite + ", rekeyAfter=" + rekeyAfter
                        + ", rekeyAfterDatagrams=" + rekeyAfterDatagrams : "")
                + (receiveHandler != null ? ", receiveHandler=" + receiveHandler : "") + '}';
    }

    /**
     * Options common to both roles.
     *
     * @param <B> the concrete builder, so that chained calls keep their type
     */
    public abstract static class Builder<B extends Builder<B>> {
        private Duration keepaliveInterval = Duration.ofSeconds(1);
        private Duration deadTimeout;
        private int duplicateWindow = 4096;
        private int receiveQueueCapacity = 1024;
        /** 0: the wire format's limit, whichever format is chosen. */
        private int maxPayloadSize;
        private WireFormat wireFormat = WireFormat.MPTUNNEL_V1;
        private boolean jmx;
        private DatagramHandler receiveHandler;
        private Consumer<Throwable> failureHandler;
        private byte[] preSharedKey;
        private AeadSuite aeadSuite = AeadSuite.AES_256_GCM;
        private Duration rekeyAfter = Duration.ofMinutes(2);
        private long rekeyAfterDatagrams = 1L << 32;
        private OrderedDelivery orderedDelivery = OrderedDelivery.OFF;

        Builder() {
        }

        @SuppressWarnings("unchecked")
        private B self() {
            return (B) this;
        }

        /**
         * @param interval keepalive period, at least 10 ms (default 1 s)
         * @return this builder
         */
        public B keepaliveInterval(Duration interval) {
            this.keepaliveInterval = checkAtLeast("keepaliveInterval", interval, Duration.ofMillis(10));
            return self();
        }

        /**
         * @param timeout silence after which a path is down; longer than the keepalive interval
         *                (default 3 keepalive intervals)
         * @return this builder
         */
        public B deadTimeout(Duration timeout) {
            this.deadTimeout = checkAtLeast("deadTimeout", timeout, Duration.ofMillis(20));
            return self();
        }

        /**
         * @param sequences reordering tolerance in sequence numbers, from {@value #MIN_DUPLICATE_WINDOW}
         *                  to {@value #MAX_DUPLICATE_WINDOW} (default 4096)
         * @return this builder
         */
        public B duplicateWindow(int sequences) {
            this.duplicateWindow = checkRange("duplicateWindow", sequences, MIN_DUPLICATE_WINDOW, MAX_DUPLICATE_WINDOW);
            return self();
        }

        /**
         * @param datagrams how many received datagrams may wait for {@code receive}, 1 to 65,536
         *                  (default 1024)
         * @return this builder
         */
        public B receiveQueueCapacity(int datagrams) {
            this.receiveQueueCapacity = checkRange("receiveQueueCapacity", datagrams, 1, 1 << 16);
            return self();
        }

        /**
         * @param bytes largest payload {@code send} accepts, 1 to the wire format's limit (the
         *              default): {@value #MAX_PAYLOAD_LIMIT}, or {@value #LEGACY_MAX_PAYLOAD_LIMIT} for a
         *              legacy format; {@code build()} checks it against the format chosen
         * @return this builder
         */
        public B maxPayloadSize(int bytes) {
            this.maxPayloadSize = checkRange("maxPayloadSize", bytes, 1,
                    Math.max(MAX_PAYLOAD_LIMIT, LEGACY_MAX_PAYLOAD_LIMIT));
            return self();
        }

        /**
         * Chooses the wire format. Both ends of a tunnel must use the same one; a legacy format
         * talks to the original C mptunnel and has the limits listed at {@link WireFormat}.
         *
         * @param format the format (default {@link WireFormat#MPTUNNEL_V1})
         * @return this builder
         */
        public B wireFormat(WireFormat format) {
            this.wireFormat = Objects.requireNonNull(format, "wireFormat");
            return self();
        }

        /**
         * @param enabled whether the socket registers a JMX MBean with its statistics while it is
         *                open, for JConsole, VisualVM or a Prometheus JMX exporter (default off)
         * @return this builder
         */
        public B jmx(boolean enabled) {
            this.jmx = enabled;
            return self();
        }

        /**
         * Delivers received datagrams to {@code handler} on the socket's I/O thread instead of
         * queueing them for {@code receive}: no hand-off between threads and no copy. The handler
         * gets the engine's receive buffer, valid only during the call; it must not keep the
         * buffer and must not block (the rules are at {@link DatagramHandler}). With a handler,
         * {@code receiveQueueCapacity} does not apply and {@code receive} throws
         * {@link java.net.SocketException}; sending is unchanged.
         *
         * @param handler where datagrams go, or {@code null} for {@code receive} (the default)
         * @return this builder
         */
        public B receiveHandler(DatagramHandler handler) {
            this.receiveHandler = handler;
            return self();
        }

        /**
         * Tells {@code handler} if the socket fails: if its I/O thread meets an error it cannot go
         * on from (an {@link Error} such as {@link OutOfMemoryError}, or a bug), rather than a bad
         * datagram (those are dropped and counted). The error is logged at ERROR; by the time the
         * handler runs (once, on the failing I/O thread) the socket counts as closed: {@code
         * isClosed()} is true, and {@code send} and {@code receive} throw
         * {@link java.net.SocketException} with the error as its cause. The channels are closed
         * just after; call {@code close()} as usual to release the rest. A socket with a receive
         * handler learns of a failure only this way or by {@code isClosed()}: a relay or a tool
         * would typically stop, or open a new socket. It must not block.
         *
         * @param handler takes the error that ended the socket, or {@code null} for none (the default)
         * @return this builder
         */
        public B failureHandler(Consumer<Throwable> handler) {
            this.failureHandler = handler;
            return self();
        }

        /**
         * Turns on authentication and encryption (protocol version 2): every datagram is sealed
         * with keys that a handshake derives from this key and ephemeral X25519 keys, so each
         * session has its own keys and forward secrecy. Both ends need the same key: 32 bytes from a
         * cryptographically strong random source (never a password). The array is copied; clear
         * yours afterwards if you like. Needs the {@link WireFormat#MPTUNNEL_V1} wire format.
         *
         * @param key {@value #PRE_SHARED_KEY_LENGTH} bytes, or {@code null} for none (plaintext,
         *            protocol version 1: the default)
         * @return this builder
         * @throws IllegalArgumentException if the key is not exactly {@value #PRE_SHARED_KEY_LENGTH} bytes
         */
        public B preSharedKey(byte[] key) {
            if (key != null && key.length != PRE_SHARED_KEY_LENGTH) {
                throw new IllegalArgumentException("preSharedKey must be exactly " + PRE_SHARED_KEY_LENGTH
                        + " bytes, got " + key.length);
            }
            if (preSharedKey != null) {
                Arrays.fill(preSharedKey, (byte) 0);
            }
            this.preSharedKey = key != null ? key.clone() : null;
            return self();
        }

        /**
         * @param suite the authenticated encryption used with a pre-shared key, the same at both
         *              ends (default {@link AeadSuite#AES_256_GCM})
         * @return this builder
         */
        public B aeadSuite(AeadSuite suite) {
            this.aeadSuite = Objects.requireNonNull(suite, "aeadSuite");
            return self();
        }

        /**
         * With a pre-shared key, a client negotiates new session keys after this long under the
         * current ones, without a gap in traffic. A server follows the client's lead; the option
         * matters there only as the same setting for both roles.
         *
         * @param interval at least 1 s (default 2 min)
         * @return this builder
         */
        public B rekeyAfter(Duration interval) {
            this.rekeyAfter = checkAtLeast("rekeyAfter", interval, Duration.ofSeconds(1));
            return self();
        }

        /**
         * With a pre-shared key, a client negotiates new session keys after sealing this many
         * datagrams under the current ones (or after {@link #rekeyAfter}, whichever comes first).
         *
         * @param datagrams 1,000 to 2^62 (default 2^32)
         * @return this builder
         */
        public B rekeyAfterDatagrams(long datagrams) {
            if (datagrams < 1_000 || datagrams > 1L << 62) {
                throw new IllegalArgumentException("rekeyAfterDatagrams must be between 1000 and 2^62, got " + datagrams);
            }
            this.rekeyAfterDatagrams = datagrams;
            return self();
        }

        /**
         * Chooses whether received datagrams reach the application (through {@code receive} or the
         * receive handler) in the order they were sent; see {@link OrderedDelivery}. On a server
         * each session is ordered on its own.
         *
         * @param ordering {@link OrderedDelivery#OFF} (the default), {@link OrderedDelivery#auto()}
         *                 or {@link OrderedDelivery#fixed(Duration)}
         * @return this builder
         */
        public B orderedDelivery(OrderedDelivery ordering) {
            this.orderedDelivery = Objects.requireNonNull(ordering, "orderedDelivery");
            return self();
        }
    }

    /** Builds a client configuration. */
    public static final class ClientBuilder extends Builder<ClientBuilder> {
        private final List<TunnelPath> paths = new ArrayList<>();
        private InetSocketAddress peerAddress;
        private InetAddress localAddress;
        private Redundancy redundancy = Redundancy.ALL_PATHS;

        ClientBuilder() {
        }

        /**
         * Chooses how many paths each datagram goes on; see {@link Redundancy}. Adaptive and FEC
         * redundancy need the {@link WireFormat#MPTUNNEL_V1} wire format (with or without a key).
         *
         * @param redundancy {@link Redundancy#ALL_PATHS} (the default),
         *                   {@link Redundancy#adaptive(double)} or {@link Redundancy#fec(int, int)}
         * @return this builder
         */
        public ClientBuilder redundancy(Redundancy redundancy) {
            this.redundancy = Objects.requireNonNull(redundancy, "redundancy");
            return this;
        }

        /**
         * Adds a path: a bridge or the server itself. Each path gets its own local UDP port.
         *
         * @param address where this path's copies go; resolved when the socket opens
         * @return this builder
         */
        public ClientBuilder path(InetSocketAddress address) {
            Objects.requireNonNull(address, "path");
            return path(TunnelPath.to(address));
        }

        /**
         * Adds a path with, if it names one, its own local address or interface (one per uplink).
         * Several paths may go to the same address from different local addresses.
         *
         * @param path where this path's copies go, and where they leave from
         * @return this builder
         * @throws IllegalArgumentException if the path is given twice, or there would be more than
         *                                  {@value TunnelConfig#MAX_PATHS}
         */
        public ClientBuilder path(TunnelPath path) {
            Objects.requireNonNull(path, "path");
            if (paths.contains(path)) {
                throw new IllegalArgumentException("path " + path + " is given twice");
            }
            if (paths.size() == MAX_PATHS) {
                throw new IllegalArgumentException("a client has at most " + MAX_PATHS + " paths");
            }
            paths.add(path);
            return this;
        }

        /**
         * Adds every address as a path, in order.
         *
         * @param addresses where the paths' copies go
         * @return this builder
         */
        public ClientBuilder paths(List<InetSocketAddress> addresses) {
            addresses.forEach(this::path);
            return this;
        }

        /**
         * Names the peer as the application knows it. The socket is connected to this address and
         * received datagrams carry it, so code written for a plain socket talking to this address
         * works unchanged. Default: the first path.
         *
         * @param address the peer's address
         * @return this builder
         */
        public ClientBuilder peerAddress(InetSocketAddress address) {
            this.peerAddress = Objects.requireNonNull(address, "peerAddress");
            return this;
        }

        /**
         * @param address the local address every path socket binds to unless its path names its own
         *                (default: the wildcard address)
         * @return this builder
         */
        public ClientBuilder localAddress(InetAddress address) {
            this.localAddress = Objects.requireNonNull(address, "localAddress");
            return this;
        }

        /**
         * @return the configuration
         * @throws IllegalArgumentException if no path was added or the timing options conflict
         */
        public TunnelConfig build() {
            if (paths.isEmpty()) {
                throw new IllegalArgumentException("a client needs at least one path");
            }
            InetSocketAddress peer = peerAddress != null ? peerAddress : paths.get(0).remote();
            InetSocketAddress bind = localAddress != null ? new InetSocketAddress(localAddress, 0) : new InetSocketAddress(0);
            return new TunnelConfig(this, Role.CLIENT, paths, peer, bind, 1, 1, paths.size(), Duration.ZERO, redundancy);
        }
    }

    /** Builds a server configuration. */
    public static final class ServerBuilder extends Builder<ServerBuilder> {
        private final InetSocketAddress bindAddress;
        private int maxSessions = 1024;
        private int maxSessionsPerSource = 256;
        private int maxPathsPerSession = 8;
        private Duration sessionIdleTimeout = Duration.ofSeconds(60);

        ServerBuilder(InetSocketAddress bindAddress) {
            this.bindAddress = bindAddress;
        }

        /**
         * @param sessions the most sessions held at once, 1 to 1,048,576 (default 1024); a new
         *                 session beyond it is refused and counted
         * @return this builder
         */
        public ServerBuilder maxSessions(int sessions) {
            this.maxSessions = checkRange("maxSessions", sessions, 1, 1 << 20);
            return this;
        }

        /**
         * @param sessions the most sessions one source may hold at once, 1 to 1,048,576 (default
         *                 256, mpclient's default {@code --max-sessions}): a source is one IPv4
         *                 address or one IPv6 /64, whatever its ports, so that one host cannot fill
         *                 the table and lock out clients from elsewhere; a new session beyond it is
         *                 refused, counted and logged. Clients behind one NAT share it.
         * @return this builder
         */
        public ServerBuilder maxSessionsPerSource(int sessions) {
            this.maxSessionsPerSource = checkRange("maxSessionsPerSource", sessions, 1, 1 << 20);
            return this;
        }

        /**
         * @param paths the most paths remembered per session, 1 to 64 (default 8); a new path
         *              beyond it replaces the one silent for longest
         * @return this builder
         */
        public ServerBuilder maxPathsPerSession(int paths) {
            this.maxPathsPerSession = checkRange("maxPathsPerSession", paths, 1, 64);
            return this;
        }

        /**
         * @param timeout how long a silent session is kept, not shorter than the dead timeout
         *                (default 60 s)
         * @return this builder
         */
        public ServerBuilder sessionIdleTimeout(Duration timeout) {
            this.sessionIdleTimeout = checkAtLeast("sessionIdleTimeout", timeout, Duration.ofMillis(20));
            return this;
        }

        /**
         * @return the configuration
         * @throws IllegalArgumentException if the timing options conflict
         */
        public TunnelConfig build() {
            return new TunnelConfig(this, Role.SERVER, List.of(), null, bindAddress,
                    maxSessions, maxSessionsPerSource, maxPathsPerSession, sessionIdleTimeout, Redundancy.ALL_PATHS);
        }
    }

    private static int checkPort(String name, int port) {
        return checkRange(name, port, 0, 65_535);
    }

    private static int checkRange(String name, int value, int min, int max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(name + " must be between " + min + " and " + max + ", got " + value);
        }
        return value;
    }

    private static Duration checkAtLeast(String name, Duration value, Duration min) {
        Objects.requireNonNull(value, name);
        if (value.compareTo(min) < 0) {
            throw new IllegalArgumentException(name + " must be at least " + min.toMillis() + " ms, got " + value);
        }
        return value;
    }
}
