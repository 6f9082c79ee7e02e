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
 * <p>The seam is shaped for policies that send more than they are given or send later: the
 * forward error correction scheduler adds each datagram to its group in {@link #sendData} (on the
 * sender's thread) and sends the group's repair datagrams when it closes, or at its deadline from
 * the I/O thread; a striping scheduler would choose one path per datagram in {@link #send} and
 * pace each path from {@link #onTimer}. They send through {@link Session#transmitOn} (or a
 * path's own {@code transmit}) and count through {@link Session#countSent}.
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
     * Any thread: sends one application datagram: by default encodes it once with {@code writer}
     * and {@link #send}s it, counting its bytes on the session. A policy that must choose what the
     * datagram carries before it is sealed (forward error correction) encodes it itself.
     *
     * @return how many paths it left on; −1 if the writer could not encode it (not counted here)
     * @throws ClosedChannelException if the socket was closed
     */
    default int sendData(Session session, DatagramWriter writer, byte[] data, int offset, int length)
            throws ClosedChannelException {
        ByteBuffer datagram = writer.encodeData(session, data, offset, length);
        if (datagram == null) {
            return -1;
        }
        int wire = datagram.limit();
        int sent = send(session, datagram);
        session.countBytes(length, (long) sent * wire);
        return sent;
    }

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
