package org.mptunnel.internal.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mptunnel.internal.path.Path;
import org.mptunnel.internal.session.Session;
import org.mptunnel.internal.session.TunnelCounters;

/** The planner's reaction to the server's reports, without sockets: paths whose probes are all answered. */
class AdaptivePlannerTest {

    private static final long KEEPALIVE = 10_000_000L;
    private static final long MS = 1_000_000L;

    private Path fast;
    private Path slow;
    private Session session;
    private AdaptivePlanner planner;
    private long now;

    @BeforeEach
    void twoCleanPathsTheFastOneChosen() {
        fast = new Path(0, new InetSocketAddress("127.0.0.1", 1), null, true, 0);
        slow = new Path(1, new InetSocketAddress("127.0.0.1", 2), null, true, 0);
        fast.rttSample(1 * MS);
        slow.rttSample(5 * MS);
        session = new Session(1, null, 64, new Path[] {fast, slow}, null, 2, new TunnelCounters(), 0);
        planner = new AdaptivePlanner(session, 0.001, KEEPALIVE);
        for (int n = 0; n < 2 * AdaptivePlanner.WARM_UP_PROBES; n++) {
            answeredProbe(fast, 2 * n);
            answeredProbe(slow, 2 * n + 1);
        }
        planner.plan(now);
        assertThat(session.sendPaths()).containsExactly(fast);
        session.reportedLoss().report(0, 0);
    }

    private void answeredProbe(Path path, long number) {
        now += KEEPALIVE / 4;
        path.heard(now, 64);
        path.probeLoss().sent(number, now);
        path.probeLoss().acked(number);
    }

    @Test
    void aReportOfThreeLossesInTenDatagramsSendsOnEveryPathAtOnce() {
        session.reportedLoss().report(7, 10);
        planner.reported(now);

        assertThat(session.sendPaths()).as("every path").isNull();
        assertThat(planner.bursts()).isEqualTo(1);
        assertThat(planner.reportedBursts()).isEqualTo(1);
    }

    @Test
    void theChoiceIsHeldForTheOutageHoldThenMadeAgain() {
        session.reportedLoss().report(7, 10);
        planner.reported(now);

        now += AdaptivePlanner.MIN_OUTAGE_HOLD_NANOS - MS;
        fast.heard(now, 64);
        slow.heard(now, 64);
        planner.plan(now);
        assertThat(session.sendPaths()).as("still holding").isNull();
        now += 2 * MS;
        planner.plan(now);
        assertThat(session.sendPaths()).as("the probes still vouch for the fast path").containsExactly(fast);
    }

    @Test
    void aReportWithoutLossChangesNothing() {
        session.reportedLoss().report(10, 10);
        planner.reported(now);
        session.reportedLoss().report(1_000, 1_000);
        planner.reported(now);

        assertThat(session.sendPaths()).containsExactly(fast);
        assertThat(planner.bursts()).isZero();
    }

    @Test
    void oneLossIsNotABurst() {
        session.reportedLoss().report(9, 10);
        planner.reported(now);

        assertThat(session.sendPaths()).containsExactly(fast);
    }

    @Test
    void whileSeveralPathsCarryTheDatagramsMissingOnesAreLeftToTheProbes() {
        session.sendOn(new Path[] {fast, slow}); // as if the target needed both
        session.reportedLoss().report(5, 10); // a copy late on one path is missing until it arrives
        planner.reported(now);

        assertThat(session.sendPaths()).containsExactly(fast, slow);
    }

    @Test
    void lossesFromBeforeTheChoiceDoNotCountAgainstIt() {
        session.reportedLoss().report(9, 10); // one loss under the current choice
        planner.reported(now);
        session.sendOn(null);
        planner.plan(now); // the same choice again, published anew: earlier losses are forgotten
        assertThat(session.sendPaths()).containsExactly(fast);
        session.reportedLoss().report(18, 20);
        planner.reported(now);

        assertThat(session.sendPaths()).as("one loss since the choice").containsExactly(fast);
    }
}
