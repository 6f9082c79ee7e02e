package org.mptunnel.internal.legacy;

/**
 * The legacy format's numbering: each side numbers its data datagrams 1, 2, 3, … in a 32-bit
 * field, and starts again at 1 whenever it restarts, with nothing on the wire to say so. The
 * receiver's duplicate window counts ids as unsigned ({@link LegacyHeader#sequence}) and asks
 * {@link #isRestart} about every id that is not newer than its newest, to tell a restarted peer
 * from a late copy.
 *
 * <p>The heuristic: an id not newer than the newest is taken to start a new numbering when it is
 * within the first {@code window} ids of a numbering (a restarted peer's first datagrams are) and
 * either
 * <ul>
 *   <li>it is a {@code window} or more behind the newest, so the window would refuse it as too old
 *       (at most once per {@code silence}, so that one path whose copies lag a window behind at the
 *       very start of a stream cannot restart the window over and over), or</li>
 *   <li>the peer had been silent for at least {@code silence} before it: a copy that late would
 *       need a path that holds datagrams that long.</li>
 * </ul>
 * Limits: a peer that restarts having sent fewer than {@code window} datagrams, and without the
 * pause, has its first datagrams (up to as many as it sent before) refused as duplicates until its
 * numbering passes the old one; a copy delayed beyond either bound is taken for a restart, and
 * copies of datagrams already delivered may then be delivered once more. The wrap of the 32-bit id
 * after 2^32 − 1 datagrams is seen the same way as a restart.
 *
 * <p>I/O thread only.
 */
public final class LegacyNumbering {

    private final long window;
    private final long silenceNanos;
    private boolean restartedBefore;
    private long lastRestartNanos;

    /**
     * @param window       the duplicate window's size
     * @param silenceNanos how long the peer must have been silent for a repeated low id to count as
     *                     a restart, and the least time between two restarts judged by age alone
     */
    public LegacyNumbering(long window, long silenceNanos) {
        this.window = window;
        this.silenceNanos = silenceNanos;
    }

    /**
     * @param outboundSequence a session's outbound sequence, 0, 1, 2, …
     * @return the legacy id for it: 1, 2, 3, … (wrapping as the C code's 32-bit counter does)
     */
    public static int idOf(long outboundSequence) {
        return (int) (outboundSequence + 1);
    }

    /**
     * Judges an inbound id before the duplicate window does; if this returns true, the caller
     * restarts the window and then admits the id as the first of the new numbering.
     *
     * @param sequence    the id as the window counts it ({@link LegacyHeader#sequence})
     * @param newest      the window's newest, -1 if empty
     * @param silentNanos how long the peer had been silent before this datagram
     * @param nowNanos    the I/O thread's clock
     * @return whether the peer is taken to have restarted its numbering
     */
    public boolean isRestart(long sequence, long newest, long silentNanos, long nowNanos) {
        if (newest < 0 || sequence > newest || sequence > window) {
            return false;
        }
        boolean tooOld = newest - sequence >= window;
        boolean afterSilence = silentNanos >= silenceNanos;
        boolean mayJudgeByAge = !restartedBefore || nowNanos - lastRestartNanos >= silenceNanos;
        if (afterSilence || (tooOld && mayJudgeByAge)) {
            restartedBefore = true;
            lastRestartNanos = nowNanos;
            return true;
        }
        return false;
    }
}
