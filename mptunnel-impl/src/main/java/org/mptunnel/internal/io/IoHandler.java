package org.mptunnel.internal.io;

import java.nio.channels.SelectionKey;

/** What an {@link IoLoop} drives: the role-specific engine. Both methods run on the I/O thread. */
public interface IoHandler {

    /**
     * Reads what the key's channel has, up to a batch, and acts on it. Must not throw for anything
     * a peer sent.
     */
    void onReadable(SelectionKey key);

    /**
     * Periodic work: keepalives, liveness, expiry.
     *
     * @param nowNanos the loop's clock
     * @return when to be called next, on the same clock
     */
    long onTimer(long nowNanos);
}
