package org.mptunnel.internal.crypto;

import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.ShortBufferException;
import javax.crypto.spec.SecretKeySpec;

/**
 * HMAC-SHA256 and HKDF (RFC 5869) over the JDK's {@code Mac}, plus Noise's two-output form
 * ({@link #hkdf2}). Not thread-safe. Used by the handshake only, not per datagram.
 */
public final class Hkdf {

    public static final int HASH_LENGTH = 32;

    private final Mac mac;

    public Hkdf() {
        try {
            this.mac = Mac.getInstance("HmacSHA256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no HmacSHA256", e);
        }
    }

    /** HMAC-SHA256 of the concatenation of {@code data} under {@code key}. */
    public byte[] hmac(byte[] key, byte[]... data) {
        byte[] out = new byte[HASH_LENGTH];
        hmacInto(key, out, data);
        return out;
    }

    private void hmacInto(byte[] key, byte[] out, byte[]... data) {
        try {
            // SecretKeySpec refuses an empty key; HMAC pads any key to the block size with zeros,
            // so an empty key and a key of zeros are the same key.
            mac.init(new SecretKeySpec(key.length == 0 ? new byte[HASH_LENGTH] : key, "HmacSHA256"));
            for (byte[] d : data) {
                mac.update(d);
            }
            mac.doFinal(out, 0);
        } catch (InvalidKeyException | ShortBufferException e) {
            throw new IllegalStateException(e);
        }
    }

    /** HKDF-Extract: the pseudorandom key; an empty salt stands for 32 zero bytes. */
    public byte[] extract(byte[] salt, byte[] ikm) {
        return hmac(salt, ikm);
    }

    /** HKDF-Expand: {@code length} bytes (at most 255 × 32) from {@code prk} and {@code info}. */
    public byte[] expand(byte[] prk, byte[] info, int length) {
        if (length < 0 || length > 255 * HASH_LENGTH) {
            throw new IllegalArgumentException("length " + length);
        }
        byte[] out = new byte[length];
        byte[] t = new byte[0];
        byte[] counter = new byte[1];
        for (int done = 0, i = 1; done < length; i++) {
            counter[0] = (byte) i;
            byte[] next = hmac(prk, t, info, counter);
            Arrays.fill(t, (byte) 0);
            t = next;
            int n = Math.min(HASH_LENGTH, length - done);
            System.arraycopy(t, 0, out, done, n);
            done += n;
        }
        Arrays.fill(t, (byte) 0);
        return out;
    }

    /**
     * Noise's {@code HKDF(ck, ikm)} with two outputs: extract with salt {@code ck}, expand to 64
     * bytes with empty info; the first 32 go to {@code out1}, the rest to {@code out2}. {@code ck}
     * may be {@code out1}.
     */
    public void hkdf2(byte[] ck, byte[] ikm, byte[] out1, byte[] out2) {
        byte[] prk = extract(ck, ikm);
        byte[] okm = expand(prk, new byte[0], 2 * HASH_LENGTH);
        System.arraycopy(okm, 0, out1, 0, HASH_LENGTH);
        System.arraycopy(okm, HASH_LENGTH, out2, 0, HASH_LENGTH);
        Arrays.fill(prk, (byte) 0);
        Arrays.fill(okm, (byte) 0);
    }
}
