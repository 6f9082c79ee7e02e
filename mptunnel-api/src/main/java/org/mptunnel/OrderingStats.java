package org.mptunnel;

/**
 * What {@linkplain OrderedDelivery ordered delivery} did, for one session or a whole socket. All
 * zero when it is off.
 *
 * @param held              datagrams that arrived ahead of a gap and were held
 * @param releasedOnTimeout held datagrams released because a gap before them was waited for as long
 *                          as allowed
 * @param releasedForRoom   held datagrams released early because the session held its maximum
 * @param skipped           sequence numbers given up on: gaps that were released past, whether on
 *                          timeout, for room, or because the peer restarted its numbering (most of
 *                          them were lost on every path); a jump in the peer's numbering
 *                          counts every number jumped over
 * @param lateDropped       datagrams that arrived after their gap had been given up on, dropped
 *                          because delivering them would break the order
 * @param holding           datagrams held at the moment of the snapshot
 */
public record OrderingStats(long held, long releasedOnTimeout, long releasedForRoom, long skipped,
                            long lateDropped, long holding) {

    /** Nothing held, nothing skipped: ordered delivery off, or not yet needed. */
    public static final OrderingStats NONE = new OrderingStats(0, 0, 0, 0, 0, 0);
}
