package org.mptunnel.internal.crypto;

import java.nio.ByteBuffer;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.LongUnaryOperator;
import org.mptunnel.internal.wire.HandshakeMessage;
import org.mptunnel.internal.wire.Header;

/**
 * Protocol v2's handshake (docs/PROTOCOL.md, "Protocol v2"): one round trip after Noise
 * {@code NNpsk0}, as pure code over {@link ByteBuffer}s, with no socket, no clock and no logging.
 * The client is the {@link Initiator}, the server the {@link Responder}; both end with
 * {@link Keys}, a send and a receive {@link Aead}.
 *
 * <p>Every read validates the datagram completely and never throws on any input: it returns a
 * {@link Failure} (or null) instead, having changed nothing. The handshake allocates freely: it runs
 * once per session and rekey, not per datagram. The JDK cannot erase its X25519 private keys
 * ({@code destroy} is not implemented); they are dropped as soon as the handshake ends, and every
 * byte array of key material of our own is overwritten with zeros.
 */
public final class Handshake {

    public static final byte TYPE_INITIATION = Header.TYPE_INITIATION;
    public static final byte TYPE_RESPONSE = Header.TYPE_RESPONSE;
    public static final int INITIATION_LENGTH = HandshakeMessage.INITIATION_LENGTH;
    public static final int RESPONSE_LENGTH = HandshakeMessage.RESPONSE_LENGTH;

    private static final int HEADER = Header.LENGTH;
    private static final int INITIATION_PLAINTEXT = HandshakeMessage.INITIATION_PLAINTEXT;

    public static final int PSK_LENGTH = 32;

    private static final byte[] PROTOCOL_NAME =
            "mptunnel v2 NNpsk0 25519 AEAD SHA256".getBytes(StandardCharsets.US_ASCII);

    /** Why a handshake message was refused. */
    public enum Failure {
        /** Not a well-formed message of the expected type and length. */
        MALFORMED,
        /** Well formed, but for another AEAD suite than this end's. */
        WRONG_SUITE,
        /** Does not authenticate: another pre-shared key, or altered on the way. */
        AUTHENTICATION,
        /** Authenticates, but its timestamp is not newer than one already accepted. */
        REPLAY,
        /** Authenticates, but its timestamp is further from this end's clock than the skew allows. */
        CLOCK_SKEW,
        /** The peer's ephemeral key is a low-order point (only a key holder can send one). */
        BAD_KEY
    }

    private Handshake() {
    }

    /** The next initiation timestamp: strictly after {@code last}, and the clock if later. */
    public static long nextTimestamp(long last, long nowMicros) {
        return Math.max(nowMicros, last + 1);
    }

    /**
     * The transport keys a handshake ends with; the caller owns them. Opening is for one thread
     * ({@link #receive}); sealing may happen on any number of threads, each with its own
     * {@link #sealer()}.
     */
    public static final class Keys {
        public final Aead send;
        public final Aead receive;
        public final int generation;

        /** One copy of {@link #send} per sealing thread, made on its first seal under these keys. */
        private final ThreadLocal<Aead> sealers;

        Keys(Aead send, Aead receive, int generation) {
            this.send = send;
            this.receive = receive;
            this.generation = generation;
            this.sealers = ThreadLocal.withInitial(send::copyUnlessDestroyed);
        }

        /**
         * The calling thread's sealing instance under these keys: made on its first call (a
         * {@code Cipher}, once per thread and key generation), the same one afterwards. A copy
         * shares the JDK key object with {@link #send}; it is dropped with the thread's reference
         * to these keys' generation (the JDK cannot erase a key object in any case).
         *
         * @return the sealer, or null if these keys were destroyed before this thread's first seal
         */
        public Aead sealer() {
            return sealers.get();
        }

        public void destroy() {
            send.destroy();
            receive.destroy();
        }
    }

    /** Noise's symmetric state: the handshake hash {@code h} and the chaining key {@code ck}. */
    private static final class Symmetric {
        final byte[] h;
        final byte[] ck;
        private final MessageDigest sha;
        private final Hkdf hkdf;

        Symmetric(Hkdf hkdf) {
            this.hkdf = hkdf;
            this.sha = sha256();
            this.h = sha.digest(PROTOCOL_NAME);
            this.ck = h.clone();
        }

        Symmetric(Symmetric from) {
            this.hkdf = from.hkdf;
            this.sha = sha256();
            this.h = from.h.clone();
            this.ck = from.ck.clone();
        }

        void mixHash(byte[] data) {
            sha.update(h);
            sha.update(data);
            byte[] next = sha.digest();
            System.arraycopy(next, 0, h, 0, h.length);
        }

        /** MixKey: returns the new 32-byte key. */
        byte[] mixKey(byte[] ikm) {
            byte[] k = new byte[32];
            hkdf.hkdf2(ck, ikm, ck, k);
            return k;
        }

        /** MixKeyAndHash (for the PSK). */
        void mixKeyAndHash(byte[] ikm) {
            byte[] t = mixKey(ikm);
            mixHash(t);
            erase(t);
        }

        byte[][] split() {
            byte[] k1 = new byte[32];
            byte[] k2 = new byte[32];
            hkdf.hkdf2(ck, new byte[0], k1, k2);
            return new byte[][] {k1, k2};
        }

        void destroy() {
            erase(h);
            erase(ck);
        }

        private static MessageDigest sha256() {
            try {
                return MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("the JDK has no SHA-256", e);
            }
        }
    }

    private abstract static class Party {
        final byte[] psk;
        final Aead.Suite suite;
        final X25519 x25519;
        final Hkdf hkdf = new Hkdf();

        Party(byte[] psk, Aead.Suite suite, X25519 x25519) {
            if (psk.length != PSK_LENGTH) {
                throw new IllegalArgumentException("the pre-shared key is " + PSK_LENGTH + " bytes");
            }
            this.psk = psk.clone();
            this.suite = suite;
            this.x25519 = x25519;
        }

        /** Overwrites this party's copy of the pre-shared key. */
        public void destroy() {
            erase(psk);
        }

        void writeHeader(ByteBuffer out, byte type, long sessionId, int length) {
            HandshakeMessage.writeHeader(out, type, suite.id, sessionId, length);
        }

        /** Validates the header of a handshake message; null if it is fine. */
        Failure checkHeader(ByteBuffer in, int length, byte type, int expectedLength) {
            switch (HandshakeMessage.check(in, length, type, expectedLength, suite.id)) {
                case HandshakeMessage.OK:
                    return null;
                case HandshakeMessage.WRONG_SUITE:
                    return Failure.WRONG_SUITE;
                default:
                    return Failure.MALFORMED;
            }
        }
    }

    private static byte[] bytes(ByteBuffer in, int offset, int length) {
        byte[] b = new byte[length];
        in.get(offset, b);
        return b;
    }

    static void erase(byte[] b) {
        Arrays.fill(b, (byte) 0);
    }

    /**
     * The client's side of one handshake: {@link #writeInitiation} once, then {@link #readResponse}
     * until a response authenticates. Not thread-safe.
     */
    public static final class Initiator extends Party {
        private Symmetric state;
        private KeyPair ephemeral;
        private long sessionId;
        private int generation;

        public Initiator(byte[] psk, Aead.Suite suite, X25519 x25519) {
            super(psk, suite, x25519);
        }

        /**
         * Writes an INITIATION at offset 0 of {@code out}, starting a new handshake (any handshake
         * in progress is abandoned).
         *
         * @param timestampMicros strictly greater than any this session sent before
         *                        ({@link #nextTimestamp})
         * @param generation      the key generation the new keys will have
         * @return its length, {@link #INITIATION_LENGTH}
         */
        public int writeInitiation(ByteBuffer out, long sessionId, long timestampMicros, int generation) {
            abandon();
            this.sessionId = sessionId;
            this.generation = generation;
            state = new Symmetric(hkdf);
            ephemeral = x25519.generate();
            byte[] e = X25519.encode(ephemeral.getPublic());

            writeHeader(out, TYPE_INITIATION, sessionId, INITIATION_LENGTH);
            state.mixHash(bytes(out, 0, HEADER));
            state.mixKeyAndHash(psk);
            state.mixHash(e);
            byte[] k = state.mixKey(e);
            out.put(HandshakeMessage.EPHEMERAL_OFFSET, e);

            ByteBuffer plain = ByteBuffer.allocate(INITIATION_PLAINTEXT).putLong(timestampMicros).putInt(generation).flip();
            ByteBuffer sealed = out.duplicate().position(HandshakeMessage.SEALED_OFFSET).limit(INITIATION_LENGTH);
            new Aead(suite, k).seal(0, 0, ByteBuffer.wrap(state.h.clone()), plain, sealed);
            erase(k);
            erase(plain.array());
            state.mixHash(bytes(out, HandshakeMessage.SEALED_OFFSET, INITIATION_PLAINTEXT + Aead.TAG_LENGTH));
            return INITIATION_LENGTH;
        }

        /** True while an initiation awaits its response. */
        public boolean pending() {
            return state != null;
        }

        /**
         * Reads a RESPONSE of {@code length} bytes at offset 0 of {@code in}. A response that does
         * not answer the pending initiation changes nothing: the initiator still waits.
         *
         * @return the keys (send: client to server), ending the handshake; or null
         */
        public Keys readResponse(ByteBuffer in, int length) {
            if (state == null
                    || checkHeader(in, length, TYPE_RESPONSE, RESPONSE_LENGTH) != null
                    || Header.sessionId(in) != sessionId) {
                return null;
            }
            Symmetric s = new Symmetric(state);
            byte[] e = bytes(in, HandshakeMessage.EPHEMERAL_OFFSET, HandshakeMessage.EPHEMERAL_LENGTH);
            s.mixHash(bytes(in, 0, HEADER));
            s.mixHash(e);
            erase(s.mixKey(e));
            byte[] dh = new byte[32];
            if (!x25519.agree(ephemeral.getPrivate(), e, dh)) {
                s.destroy();
                return null;
            }
            byte[] k = s.mixKey(dh);
            erase(dh);
            ByteBuffer tag = in.duplicate().position(HandshakeMessage.SEALED_OFFSET).limit(RESPONSE_LENGTH);
            int opened = new Aead(suite, k).open(0, 0, ByteBuffer.wrap(s.h.clone()), tag, ByteBuffer.allocate(0));
            erase(k);
            if (opened != 0) {
                s.destroy();
                return null;
            }
            byte[][] split = s.split();
            s.destroy();
            abandon();
            Keys keys = new Keys(new Aead(suite, split[0]), new Aead(suite, split[1]), generation);
            erase(split[0]);
            erase(split[1]);
            return keys;
        }

        /** Forgets the handshake in progress, if any. */
        public void abandon() {
            if (state != null) {
                state.destroy();
            }
            state = null;
            ephemeral = null;
        }

        @Override
        public void destroy() {
            abandon();
            super.destroy();
        }
    }

    /** An INITIATION that authenticated: what the server learns from it. */
    public static final class Initiation {
        public final Failure failure;
        public final long sessionId;
        public final long timestampMicros;
        public final int generation;
        final Symmetric state;
        final byte[] peerEphemeral;

        Initiation(Failure failure) {
            this(failure, 0, 0, 0, null, null);
        }

        Initiation(Failure failure, long sessionId, long timestampMicros, int generation, Symmetric state,
                byte[] peerEphemeral) {
            this.failure = failure;
            this.sessionId = sessionId;
            this.timestampMicros = timestampMicros;
            this.generation = generation;
            this.state = state;
            this.peerEphemeral = peerEphemeral;
        }

        public boolean ok() {
            return failure == null;
        }

        /** Erases the handshake state of an accepted initiation the caller will not answer. */
        public void discard() {
            if (state != null) {
                state.destroy();
            }
        }
    }

    private static final Initiation MALFORMED = new Initiation(Failure.MALFORMED);
    private static final Initiation WRONG_SUITE = new Initiation(Failure.WRONG_SUITE);
    private static final Initiation AUTHENTICATION = new Initiation(Failure.AUTHENTICATION);

    /**
     * The server's side: stateless itself (the caller keeps, per session, the greatest timestamp it
     * accepted); one instance serves every session. Not thread-safe.
     */
    public static final class Responder extends Party {
        private final long skewMicros;

        /** @param skewMicros how far an initiation's timestamp may be from this end's clock */
        public Responder(byte[] psk, Aead.Suite suite, X25519 x25519, long skewMicros) {
            super(psk, suite, x25519);
            this.skewMicros = skewMicros;
        }

        /**
         * Reads and authenticates an INITIATION of {@code length} bytes at offset 0 of {@code in}:
         * HMACs and one AEAD open, no X25519 work. Then refuses a replay: the timestamp must be
         * greater than {@code lastAccepted.applyAsLong(sessionId)} (the caller's record for that
         * session, {@link Long#MIN_VALUE} if none) and within the skew of {@code nowMicros}. Whether
         * it succeeds or not, nothing is recorded: on success, the caller records the timestamp
         * when it answers.
         */
        public Initiation readInitiation(ByteBuffer in, int length, LongUnaryOperator lastAccepted, long nowMicros) {
            Failure header = checkHeader(in, length, TYPE_INITIATION, INITIATION_LENGTH);
            if (header != null) {
                return header == Failure.MALFORMED ? MALFORMED : WRONG_SUITE;
            }
            Symmetric s = new Symmetric(hkdf);
            byte[] e = bytes(in, HandshakeMessage.EPHEMERAL_OFFSET, HandshakeMessage.EPHEMERAL_LENGTH);
            s.mixHash(bytes(in, 0, HEADER));
            s.mixKeyAndHash(psk);
            s.mixHash(e);
            byte[] k = s.mixKey(e);
            ByteBuffer sealed = in.duplicate().position(HandshakeMessage.SEALED_OFFSET).limit(INITIATION_LENGTH);
            ByteBuffer plain = ByteBuffer.allocate(INITIATION_PLAINTEXT);
            int opened = new Aead(suite, k).open(0, 0, ByteBuffer.wrap(s.h.clone()), sealed, plain);
            erase(k);
            if (opened != INITIATION_PLAINTEXT) {
                s.destroy();
                return AUTHENTICATION;
            }
            s.mixHash(bytes(in, HandshakeMessage.SEALED_OFFSET, INITIATION_PLAINTEXT + Aead.TAG_LENGTH));
            long sessionId = Header.sessionId(in);
            long timestamp = plain.getLong(0);
            int generation = plain.getInt(8);
            if (timestamp <= lastAccepted.applyAsLong(sessionId)) {
                s.destroy();
                return new Initiation(Failure.REPLAY, sessionId, timestamp, generation, null, null);
            }
            if (Math.abs(timestamp - nowMicros) > skewMicros) {
                s.destroy();
                return new Initiation(Failure.CLOCK_SKEW, sessionId, timestamp, generation, null, null);
            }
            return new Initiation(null, sessionId, timestamp, generation, s, e);
        }

        /**
         * Answers an initiation that {@link #readInitiation} accepted: two X25519 operations, then a
         * RESPONSE at offset 0 of {@code out} ({@link #RESPONSE_LENGTH} bytes, fewer than the
         * initiation's).
         *
         * @return the keys (send: server to client); or null ({@link Failure#BAD_KEY}), nothing
         *         written
         */
        public Keys writeResponse(Initiation initiation, ByteBuffer out) {
            if (!initiation.ok()) {
                throw new IllegalArgumentException("not an accepted initiation: " + initiation.failure);
            }
            Symmetric s = initiation.state;
            KeyPair ephemeral = x25519.generate();
            byte[] dh = new byte[32];
            if (!x25519.agree(ephemeral.getPrivate(), initiation.peerEphemeral, dh)) {
                s.destroy();
                return null;
            }
            byte[] e = X25519.encode(ephemeral.getPublic());
            writeHeader(out, TYPE_RESPONSE, initiation.sessionId, RESPONSE_LENGTH);
            s.mixHash(bytes(out, 0, HEADER));
            s.mixHash(e);
            erase(s.mixKey(e));
            byte[] k = s.mixKey(dh);
            erase(dh);
            out.put(HandshakeMessage.EPHEMERAL_OFFSET, e);
            ByteBuffer tag = out.duplicate().position(HandshakeMessage.SEALED_OFFSET).limit(RESPONSE_LENGTH);
            new Aead(suite, k).seal(0, 0, ByteBuffer.wrap(s.h.clone()), ByteBuffer.allocate(0), tag);
            erase(k);
            byte[][] split = s.split();
            s.destroy();
            Keys keys = new Keys(new Aead(suite, split[1]), new Aead(suite, split[0]), initiation.generation);
            erase(split[0]);
            erase(split[1]);
            return keys;
        }
    }
}
