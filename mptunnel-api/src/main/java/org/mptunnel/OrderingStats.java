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
 * @param releasedForBudget held datagrams released early because the socket held its
 *                          {@linkplain OrderedDelivery#maxHeldBytes() most bytes} (for a session:
 *                          those of its datagrams)
 * @param heldBytes         bytes held at the moment of the snapshot, as counted against that budget
 */
public record OrderingStats(long held, long releasedOnTimeout, long releasedForRoom, long skipped,
                            long lateDropped, long holding, long releasedForBudget, long heldBytes) {

    /** Nothing held, nothing skipped: ordered delivery off, or not yet needed. */
    public static final OrderingStats NONE = new OrderingStats(0, 0, 0, 0, 0, 0, 0, 0);

    /**
     * The counts without the budget's: none released for it, no bytes held.
     *
     * @param held              see the record
     * @param releasedOnTimeout see the record
     * @param releasedForRoom   see the record
     * @param skipped           see the record
     * @param lateDropped       see the record
     * @param holding           see the record
     */
    public OrderingStats(long held, long releasedOnTimeout, long releasedForRoom, long skipped, long lateDropped,
                         long holding) {
        this(held, releasedOnTimeout, releasedForRoom, skipped, lateDropped, holding, 0, 0);
    }
}
