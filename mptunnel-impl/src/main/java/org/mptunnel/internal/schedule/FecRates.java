package org.mptunnel.internal.schedule;

import org.mptunnel.internal.session.Session;

/**
 * Where a {@link FecScheduler} takes each group's code rate from: a fixed rate
 * ({@code Redundancy.fec(k, m)}), the rate the peer uses (a server mirrors its client), or a
 * planner that chooses from measured loss. Asked once per group, when its first datagram is sent,
 * on the sending thread under the session's FEC lock: it must be quick, must not block and should
 * return an instance it keeps (no allocation per group).
 */
@FunctionalInterface
public interface FecRates {

    /** @return the rate of the group {@code session} opens now */
    FecRate rateFor(Session session);

    /**
     * I/O thread, at every timer tick of the engine: a source that adapts revises its rate here.
     *
     * @return when it must run next, at the latest {@code nextTickNanos}
     */
    default long onTimer(long nowNanos, long nextTickNanos) {
        return nextTickNanos;
    }

    /** @return a source that always gives {@code rate} */
    static FecRates fixed(FecRate rate) {
        return session -> rate;
    }
}
