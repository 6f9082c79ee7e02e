package org.mptunnel.internal.engine;

import java.util.concurrent.TimeUnit;
import org.mptunnel.TunnelConfig;
import org.mptunnel.internal.crypto.Aead;

/** Protocol v2's settings both roles derive from the configuration. */
final class KeySettings {

    private KeySettings() {
    }

    /**
     * How long a previous key generation still opens: a dead timeout, but at least 2 s, so that a
     * datagram sealed just before a switch by a thread that was then descheduled (a loaded
     * machine) still opens. Replays in the meantime are the duplicate window's to refuse.
     */
    static long graceNanos(long deadTimeoutNanos) {
        return Math.max(deadTimeoutNanos, TimeUnit.SECONDS.toNanos(2));
    }

    static Aead.Suite suiteOf(TunnelConfig config) {
        return config.aeadSuite() == TunnelConfig.AeadSuite.AES_256_GCM
                ? Aead.Suite.AES_256_GCM : Aead.Suite.CHACHA20_POLY1305;
    }
}
