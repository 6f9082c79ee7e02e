package org.mptunnel.internal.crypto;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.interfaces.XECPublicKey;
import java.security.spec.NamedParameterSpec;
import java.security.spec.XECPrivateKeySpec;
import java.security.spec.XECPublicKeySpec;
import javax.crypto.KeyAgreement;

/**
 * X25519 (RFC 7748) over the JDK's {@code KeyPairGenerator}, {@code KeyFactory} and
 * {@code KeyAgreement}, with public keys as the RFC's 32-byte little-endian strings. Not
 * thread-safe. Handshake only: allocates freely.
 */
public final class X25519 {

    public static final int KEY_LENGTH = 32;

    private final KeyPairGenerator generator;
    private final KeyFactory factory;
    private final KeyAgreement agreement;

    public X25519(SecureRandom random) {
        try {
            generator = KeyPairGenerator.getInstance("X25519");
            generator.initialize(NamedParameterSpec.X25519, random);
            factory = KeyFactory.getInstance("X25519");
            agreement = KeyAgreement.getInstance("X25519");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK has no X25519", e);
        }
    }

    /** A new ephemeral key pair. */
    public KeyPair generate() {
        return generator.generateKeyPair();
    }

    /** The private key of the 32-byte scalar {@code k} (clamped by the JDK as RFC 7748 says). */
    public PrivateKey privateKey(byte[] k) {
        try {
            return factory.generatePrivate(new XECPrivateKeySpec(NamedParameterSpec.X25519, k.clone()));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("not an X25519 private key", e);
        }
    }

    /** The RFC 7748 encoding of a public key: its u-coordinate, 32 bytes little-endian. */
    public static byte[] encode(PublicKey key) {
        BigInteger u = ((XECPublicKey) key).getU();
        byte[] be = u.toByteArray();
        byte[] le = new byte[KEY_LENGTH];
        for (int i = 0; i < KEY_LENGTH && i < be.length; i++) {
            le[i] = be[be.length - 1 - i];
        }
        return le;
    }

    /**
     * X25519(private, peer): the shared secret into {@code out} (32 bytes).
     *
     * @param peer the peer's public key, 32 bytes little-endian (the top bit is ignored, as RFC 7748
     *             says)
     * @return false if the result is all zeros (the peer sent a low-order point) or the JDK refused
     *         the key; {@code out} then holds zeros
     */
    public boolean agree(PrivateKey own, byte[] peer, byte[] out) {
        if (peer.length != KEY_LENGTH || out.length != KEY_LENGTH) {
            throw new IllegalArgumentException("X25519 keys are " + KEY_LENGTH + " bytes");
        }
        byte[] be = new byte[KEY_LENGTH];
        for (int i = 0; i < KEY_LENGTH; i++) {
            be[i] = peer[KEY_LENGTH - 1 - i];
        }
        be[0] &= 0x7F;
        try {
            PublicKey peerKey = factory.generatePublic(
                    new XECPublicKeySpec(NamedParameterSpec.X25519, new BigInteger(1, be)));
            agreement.init(own);
            agreement.doPhase(peerKey, true);
            agreement.generateSecret(out, 0);
        } catch (GeneralSecurityException | RuntimeException e) {
            // The JDK throws on an all-zero result ("point has small order").
            java.util.Arrays.fill(out, (byte) 0);
            return false;
        }
        int acc = 0;
        for (byte b : out) {
            acc |= b;
        }
        return acc != 0;
    }
}
