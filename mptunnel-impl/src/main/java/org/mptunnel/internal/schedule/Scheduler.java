package org.mptunnel.internal.schedule;

import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import org.mptunnel.internal.path.Path;
import org.mptunnel.internal.session.Session;

/**
 * The send policy: which of a session's paths carry each datagram, and what is sent later, on the
 * I/O thread's timer. The engines encode a datagram once and hand it here; they know nothing of
 * the policy. Two exist: {@link AllPaths} (every path that is up) and {@link AdaptivePlanner}
 * (the fewest paths that meet a loss target).
 *
 * <p>The seam is shaped for policies that send more than they are given or send later: a forward
 * error correction scheduler would add each datagram to its group in {@link #send} (on the
 * sender's thread) and send the group's repair datagrams when it closes, or from
 * {@link #onTimer} once its deadline passes (returning that deadline); a striping scheduler would
 * choose one path per datagram in {@link #send} and pace each path from {@link #onTimer}. Either
 * sends through {@link Session#transmitOn} and counts through {@link Session#countSent}, as the
 * two here do.
 */
public interface Scheduler {

    /**
     * Any thread: sends one encoded datagram on the paths the policy chooses and counts it on the
     * session (a datagram no path took is counted as dropped).
     *
     * @param datagram the datagram from position 0 to its limit; its position is restored
     * @return how many paths it left on; 0 means it was dropped
     * @throws ClosedChannelException if the socket was closed
     */
    int send(Session session, ByteBuffer datagram) throws ClosedChannelException;

    /**
     * I/O thread, at every timer tick: sends what is due and revises the policy.
     *
     * @param nextTickNanos when the engine's timer runs next
     * @return when this scheduler must run next, at the latest {@code nextTickNanos}
     */
    default long onTimer(long nowNanos, long nextTickNanos) {
        return nextTickNanos;
    }

    /** I/O thread: a receiver's report from the peer arrived (see {@code ReportedLoss}). */
    default void onReport(long nowNanos) {
    }

    /**
     * I/O thread: the peer's report on one path brought news: {@code path.dataLoss()} (a
     * {@link org.mptunnel.internal.path.PathLoss}) has the path's measured one-way loss of the
     * data sent on it, which a policy spreading datagrams over paths plans with (see
     * {@code CodeRatePlanner}).
     */
    default void onPathReport(Session session, Path path, long nowNanos) {
    }

    /**
     * @return whether every path must be probed as closely as one in doubt (every quarter
     *         keepalive interval), because the policy reacts to each path's probes
     */
    default boolean probesEveryPath() {
        return false;
    }
}
