package org.mptunnel.benchmarks.harness;

/**
 * A window's round-trip loss split by leg, as the harness can tell it: a datagram that did not
 * come back was lost on the way back if the bridges dropped a copy of its reply (so the echo had
 * answered it), else on the way there. A reply lost elsewhere (a full socket buffer, an echo
 * later than the drain) counts as lost there.
 *
 * @param sent      datagrams of the window
 * @param lostThere lost before the echo target
 * @param lostBack  answered by the echo target, lost on the way back
 */
record OneWayLoss(int sent, int lostThere, int lostBack) {

    static OneWayLoss of(EchoTimes times, BridgeDrops drops) {
        int there = 0;
        int back = 0;
        for (int i = 0; i < times.count(); i++) {
            if (times.back()[i] != 0) {
                continue;
            }
            if (drops.dropped(BridgeDrops.Direction.TO_CLIENT, times.firstSequence() + i) > 0) {
                back++;
            } else {
                there++;
            }
        }
        return new OneWayLoss(times.count(), there, back);
    }

    /** @return the share lost on the way there, 0 to 1 */
    double there() {
        return sent == 0 ? 0 : (double) lostThere / sent;
    }

    /** @return the share of those that reached the echo target lost on the way back, 0 to 1 */
    double back() {
        return sent == lostThere ? 0 : (double) lostBack / (sent - lostThere);
    }
}
