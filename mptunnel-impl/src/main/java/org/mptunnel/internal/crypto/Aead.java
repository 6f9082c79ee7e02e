package org.mptunnel.internal.crypto;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.NoSuchPaddingException;
import javax.crypto.ShortBufferException;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import org.mptunnel.internal.wire.Sealed;
import javax.crypto.spec.SecretKeySpec;

/**
 * An AEAD with a 32-byte key, 12-byte nonce and 16-byte tag, over the JDK's {@code Cipher}: one of
 * the {@link Suite}s, ChaCha20-Poly1305 (RFC 8439) or AES-256-GCM (NIST SP 800-38D). The 12-byte
 * nonce is built from a 4-byte prefix and a 64-bit counter, both big-endian (docs/PROTOCOL.md: the
 * prefix is the datagram type, the counter its sequence number); the caller must never seal twice
 * with the same pair. Sealing appends a 16-byte tag; opening checks it (in constant time, inside the
 * JDK) before any plaintext is written out.
 *
 * <p><b>Allocation: not allocation-free.</b> The JDK's {@code Cipher.init} takes the nonce as an
 * {@link IvParameterSpec} or {@link GCMParameterSpec}, which copies its array, so every seal and
 * open allocates that spec and its 12-byte copy; both JDK 17 implementations also allocate inside
 * {@code init}, copy direct buffers through temporary arrays, and, when decrypting, buffer the
 * whole ciphertext until the tag has been checked: in all a few kilobytes per 1,200-byte datagram.
 * {@code AeadAllocationTest} measures it; docs/PROTOCOL.md ("Cost") has the figures. The engines
 * use {@link #sealInPlace} and {@link #openInPlace}, which pass the datagram through a heap array
 * of this instance and so avoid the temporary copies (about 1 KB per AES-GCM seal or open instead
 * of 3.4 KB at 1,400 bytes). Not thread-safe: one instance per thread and direction.
 *
 * <p>The key is copied into a {@link SecretKeySpec}, which the JDK cannot erase ({@code destroy}
 * is not implemented); {@link #destroy} drops the reference so that it is no longer reachable from
 * here. The caller's array is not kept.
 */
public final class Aead {

    public static final int KEY_LENGTH = 32;
    public static final int TAG_LENGTH = Sealed.TAG_LENGTH;
    public static final int NONCE_LENGTH = 12;

    /** The AEAD algorithms protocol v2 offers; {@link #id} is the number on the wire. */
    public enum Suite {
        /** Constant-time in software; not intrinsified by JDK 17 (it is from JDK 20). */
        CHACHA20_POLY1305(1, "ChaCha20-Poly1305", "ChaCha20"),
        /** Intrinsified by JDK 17 on CPUs with AES and carry-less multiply instructions. */
        AES_256_GCM(2, "AES/GCM/NoPadding", "AES");

        public final int id;
        final String transformation;
        final String keyAlgorithm;

        Suite(int id, String transformation, String keyAlgorithm) {
            this.id = id;
            this.transformation = transformation;
            this.keyAlgorithm = keyAlgorithm;
        }

        /** The suite of wire number {@code id}, or null. */
        public static Suite ofId(int id) {
            for (Suite s : values()) {
                if (s.id == id) {
                    return s;
                }
            }
            return null;
        }
    }

    private final Suite suite;
    private final Cipher cipher;
    private final byte[] nonce = new byte[NONCE_LENGTH];
    /** Plaintext passes through it: overwritten by the next datagram, cleared by {@link #destroy}. */
    private byte[] scratch = new byte[0];
    private SecretKeySpec key;
    private boolean initialised;
    private int lastPrefix;
    private long lastCounter;

    /** ChaCha20-Poly1305 under {@code key} (32 bytes; copied). */
    public Aead(byte[] key) {
        this(Suite.CHACHA20_POLY1305, key);
    }

    /** @param key 32 bytes; copied */
    public Aead(Suite suite, byte[] key) {
        if (key.length != KEY_LENGTH) {
            throw new IllegalArgumentException("an AEAD key is " + KEY_LENGTH + " bytes");
        }
        this.suite = suite;
        try {
            this.cipher = Cipher.getInstance(suite.transformation);
        } catch (NoSuchAlgorithmException | NoSuchPaddingException e) {
            throw new IllegalStateException("the JDK has no " + suite, e);
        }
        this.key = new SecretKeySpec(key, suite.keyAlgorithm);
    }

    private Aead(Suite suite, SecretKeySpec key) {
        this.suite = suite;
        try {
            this.cipher = Cipher.getInstance(suite.transformation);
        } catch (NoSuchAlgorithmException | NoSuchPaddingException e) {
            throw new IllegalStateException("the JDK has no " + suite, e);
        }
        this.key = key;
    }

    /**
     * Another instance under the same key, with its own {@code Cipher}: for another thread, since
     * a {@code Cipher} is not thread-safe. The two share the JDK's (immutable) key object.
     */
    public Aead copy() {
        Aead copy = copyUnlessDestroyed();
        if (copy == null) {
            throw new IllegalStateException("destroyed");
        }
        return copy;
    }

    /** {@link #copy}, or null if this instance was destroyed (read once: a destroy may race it). */
    Aead copyUnlessDestroyed() {
        SecretKeySpec k = key;
        return k == null ? null : new Aead(suite, k);
    }

    public Suite suite() {
        return suite;
    }

    /**
     * Seals the remaining bytes of {@code plaintext} into {@code out} (ciphertext, then the tag),
     * authenticating the remaining bytes of {@code aad} too. All three buffers' positions advance.
     *
     * @return bytes written: the plaintext's length + {@link #TAG_LENGTH}
     */
    public int seal(int noncePrefix, long counter, ByteBuffer aad, ByteBuffer plaintext, ByteBuffer out) {
        init(Cipher.ENCRYPT_MODE, noncePrefix, counter);
        try {
            cipher.updateAAD(aad);
            return cipher.doFinal(plaintext, out);
        } catch (ShortBufferException e) {
            throw new IllegalArgumentException("output buffer too small", e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AEAD failed to seal", e);
        }
    }

    /**
     * Opens the remaining bytes of {@code ciphertext} (ciphertext, then the tag) into {@code out}.
     * On failure nothing is written to {@code out} and its position is unchanged.
     *
     * @return the plaintext's length, or -1 if the datagram is too short or does not authenticate
     */
    public int open(int noncePrefix, long counter, ByteBuffer aad, ByteBuffer ciphertext, ByteBuffer out) {
        if (ciphertext.remaining() < TAG_LENGTH) {
            return -1;
        }
        init(Cipher.DECRYPT_MODE, noncePrefix, counter);
        int start = out.position();
        try {
            cipher.updateAAD(aad);
            return cipher.doFinal(ciphertext, out);
        } catch (AEADBadTagException e) {
            out.position(start);
            return -1;
        } catch (ShortBufferException e) {
            throw new IllegalArgumentException("output buffer too small", e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AEAD failed to open", e);
        }
    }

    /**
     * Seals a datagram in place: its first {@code aadLength} bytes are the associated data, the
     * {@code plaintextLength} bytes after them are encrypted where they are, and the tag is written
     * after them. Through this instance's heap scratch array, not the buffer itself: given a direct
     * buffer, the JDK's ciphers copy through temporary arrays they allocate on every call (3.4 KB
     * for a 1,400-byte AES-GCM seal against 1.05 KB this way, measured on JDK 17). Positions and
     * limits of {@code datagram} are neither used nor changed.
     *
     * @return the bytes written after the associated data: {@code plaintextLength} + {@link #TAG_LENGTH}
     */
    public int sealInPlace(int noncePrefix, long counter, ByteBuffer datagram, int aadLength, int plaintextLength) {
        byte[] s = scratch(aadLength + plaintextLength + TAG_LENGTH);
        datagram.get(0, s, 0, aadLength + plaintextLength);
        init(Cipher.ENCRYPT_MODE, noncePrefix, counter);
        try {
            cipher.updateAAD(s, 0, aadLength);
            int n = cipher.doFinal(s, aadLength, plaintextLength, s, aadLength);
            datagram.put(aadLength, s, aadLength, n);
            return n;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AEAD failed to seal", e);
        }
    }

    /**
     * Opens a datagram in place, the counterpart of {@link #sealInPlace}: {@code ciphertextLength}
     * bytes (tag included) after {@code aadLength} bytes of associated data. On success the
     * plaintext replaces the ciphertext; on failure the buffer is unchanged.
     *
     * @return the plaintext's length, or -1 if it is too short or does not authenticate
     */
    public int openInPlace(int noncePrefix, long counter, ByteBuffer datagram, int aadLength, int ciphertextLength) {
        if (ciphertextLength < TAG_LENGTH) {
            return -1;
        }
        byte[] s = scratch(aadLength + ciphertextLength);
        datagram.get(0, s, 0, aadLength + ciphertextLength);
        init(Cipher.DECRYPT_MODE, noncePrefix, counter);
        try {
            cipher.updateAAD(s, 0, aadLength);
            int n = cipher.doFinal(s, aadLength, ciphertextLength, s, aadLength);
            datagram.put(aadLength, s, aadLength, n);
            return n;
        } catch (AEADBadTagException e) {
            return -1;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AEAD failed to open", e);
        }
    }

    /** The scratch array, grown (once per size class, never per datagram in steady state) to hold {@code length}. */
    private byte[] scratch(int length) {
        if (scratch.length < length) {
            Arrays.fill(scratch, (byte) 0);
            scratch = new byte[Math.max(length, Math.min(2 * scratch.length, 65_536))];
        }
        return scratch;
    }

    /** Drops the key; this instance is unusable afterwards. */
    public void destroy() {
        key = null;
        Arrays.fill(nonce, (byte) 0);
        Arrays.fill(scratch, (byte) 0);
    }

    private java.security.spec.AlgorithmParameterSpec spec() {
        return suite == Suite.AES_256_GCM
                ? new GCMParameterSpec(8 * TAG_LENGTH, nonce)
                : new IvParameterSpec(nonce);
    }

    private void init(int mode, int noncePrefix, long counter) {
        if (key == null) {
            throw new IllegalStateException("destroyed");
        }
        nonce[0] = (byte) (noncePrefix >>> 24);
        nonce[1] = (byte) (noncePrefix >>> 16);
        nonce[2] = (byte) (noncePrefix >>> 8);
        nonce[3] = (byte) noncePrefix;
        for (int i = 0; i < 8; i++) {
            nonce[4 + i] = (byte) (counter >>> (56 - 8 * i));
        }
        try {
            if (suite == Suite.CHACHA20_POLY1305 && mode == Cipher.DECRYPT_MODE && initialised
                    && noncePrefix == lastPrefix && counter == lastCounter) {
                // JDK 17 refuses to initialise twice in a row with one key and nonce, even to
                // decrypt; but a receiver may well open the same nonce twice (a forged copy of a
                // datagram that failed, a copy from another path). Decrypting under another nonce
                // first is harmless: nothing is processed under it.
                nonce[NONCE_LENGTH - 1] ^= 1;
                cipher.init(mode, key, spec());
                nonce[NONCE_LENGTH - 1] ^= 1;
            }
            initialised = true;
            lastPrefix = noncePrefix;
            lastCounter = counter;
            cipher.init(mode, key, spec());
        } catch (InvalidKeyException | InvalidAlgorithmParameterException e) {
            // Sealing twice in a row with one nonce: a caller's bug, which the JDK catches.
            // (AES-GCM catches it for the last nonce only, ChaCha20-Poly1305 likewise.)
            throw new IllegalStateException("the AEAD refused the key or nonce", e);
        }
    }
}
