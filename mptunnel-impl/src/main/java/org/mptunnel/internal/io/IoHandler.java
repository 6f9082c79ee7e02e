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

    /**
     * Work with deadlines finer than the timer's, checked on every turn of the loop: due work is
     * done now.
     *
     * @param nowNanos       the loop's clock
     * @param nextTimerNanos when {@link #onTimer} is due next
     * @return when the loop must wake next, at the latest {@code nextTimerNanos}
     */
    default long onDeadlines(long nowNanos, long nextTimerNanos) {
        return nextTimerNanos;
    }

    /** The loop has stopped, on its own thread, before its channels close: release what is held. */
    default void onStopped() {
    }

    /**
     * The loop failed: something escaped it (an {@link Error} such as {@link OutOfMemoryError}, a
     * {@link RuntimeException} that is a bug, an {@link java.io.IOException} from the selector).
     * Called once, on the loop's thread, after {@link #onStopped()} (which frees what is held, so
     * that an {@link OutOfMemoryError} can be reported) and after the error was logged; the loop
     * then closes its channels and ends. Must not throw.
     */
    default void onFailed(Throwable cause) {
    }
}
