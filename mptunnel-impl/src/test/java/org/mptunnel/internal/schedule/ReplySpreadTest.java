package org.mptunnel.internal.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mptunnel.internal.path.Path;
import org.mptunnel.internal.session.Session;
import org.mptunnel.internal.session.TunnelCounters;

/**
 * A server's spread of its coded replies, without sockets: three paths whose replies the "client"
 * reports lost at a known rate (seeded), the client's k:m mirrored, the I/O thread's timer by hand.
 */
class ReplySpreadTest {

    private static final long MS = 1_000_000L;
    private static final double[] LOSS = {0.01, 0.20, 0.30};

    private final Random random = new Random(1_205);
    private final long[] sent = new long[LOSS.length];
    private final long[] arrived = new long[LOSS.length];
    private Path[] paths;
    private Session session;
    private FecScheduler.Groups groups;
    private ReplySpread spread;
    private long now = 1_000 * MS;
    private long probe;

    @BeforeEach
    void threeLossyPaths() {
        paths = new Path[LOSS.length];
        for (int i = 0; i < paths.length; i++) {
            paths[i] = new Path(i, new InetSocketAddress("127.0.0.1", 1 + i), null, true, 0);
        }
        session = new Session(1, null, 64, paths, null, 8, new TunnelCounters(), 0);
        groups = FecScheduler.attach(session, new FecRate(10, 6, false)); // the client's data said 10:6
        spread = new ReplySpread(session);
    }

    /** Each path carries {@code replies} replies, lost at its rate, and the client reports them in ten keepalives. */
    private void carry(int replies) {
        for (int report = 0; report < 10; report++) {
            for (int i = 0; i < paths.length; i++) {
                for (int d = 0; d < replies / 10; d++) {
                    sent[i]++;
                    if (random.nextDouble() >= LOSS[i]) {
                        arrived[i]++;
                    }
                }
                paths[i].dataLoss().noteProbe(++probe, sent[i]);
                paths[i].dataLoss().report(probe, arrived[i]);
                paths[i].heard(now, 64);
            }
        }
    }

    private static LossModel[] truth() {
        LossModel[] models = new LossModel[LOSS.length];
        for (int i = 0; i < LOSS.length; i++) {
            models[i] = LossModel.independent(LOSS[i]);
        }
        return models;
    }

    private static int sum(int[] counts) {
        int total = 0;
        for (int c : counts) {
            total += c;
        }
        return total;
    }

    @Test
    void theClientsKmIsSpreadByTheLossOfTheRepliesOnEachPath() {
        carry(2_000);
        assertThat(spread.due(now)).isTrue();
        spread.revise(now);

        FecRate rate = groups.mirrored();
        assertThat(rate.k()).as("the client's k").isEqualTo(10);
        assertThat(rate.m()).as("the client's m").isEqualTo(6);
        assertThat(rate.dataPath()).as("placed, not in turn").isNotNull();
        FecPlan plan = spread.plan();
        int[] data = plan.dataOnPath();
        int[] repair = plan.repairOnPath();
        assertThat(sum(data)).isEqualTo(10);
        assertThat(sum(repair)).isEqualTo(6);
        assertThat(data[0]).as("most data on the 1 %% path: %s", plan).isGreaterThan(data[1]).isGreaterThan(data[2]);
        for (int i = 0; i < paths.length; i++) {
            assertThat(data[i] + repair[i]).as("no path more than m: %s", plan).isLessThanOrEqualTo(6);
        }
        assertThat(rate).isEqualTo(FecRate.spread(data, repair, false));
        // The point: at the same cost, the spread loses about half what the paths in turn lose
        // (each path a third of the group: 0.18 % here, against 0.09-0.10 %).
        double inTurn = ErasureOdds.residualLoss(new int[] {4, 3, 3}, new int[] {2, 2, 2}, truth());
        assertThat(CodeRatePlanner.residualLoss(plan, truth())).as("%s against in turn", plan)
                .isLessThan(0.6 * inTurn);
    }

    @Test
    void inTurnUntilEveryLivePathHasCarriedEnoughRepliesToMeasure() {
        carry(150);
        spread.revise(now);
        assertThat(groups.mirrored().dataPath()).as("too few replies measured").isNull();
        assertThat(spread.plan()).isNull();

        carry(150);
        assertThat(spread.due(now + (ReplySpread.MIN_PLAN_MILLIS - 1) * MS)).isFalse();
        now += ReplySpread.MIN_PLAN_MILLIS * MS;
        assertThat(spread.due(now)).as("checked again at the next chance, not a second later").isTrue();
        spread.revise(now);
        assertThat(groups.mirrored().dataPath()).isNotNull();
    }

    @Test
    void revisedNoMoreOftenThanTheMinimumAndEverySecondWhileNothingChanges() {
        carry(2_000);
        spread.revise(now);
        assertThat(spread.due(now + (ReplySpread.MIN_PLAN_MILLIS - 1) * MS)).isFalse();
        assertThat(spread.due(now + ReplySpread.MIN_PLAN_MILLIS * MS)).as("nothing changed").isFalse();
        assertThat(spread.due(now + ReplySpread.PLAN_MILLIS * MS)).isTrue();
    }

    @Test
    void aNewKmFromTheClientIsPlannedAtTheNextChance() {
        carry(2_000);
        spread.revise(now);
        groups.mirror(8, 4, false);
        assertThat(groups.mirrored().dataPath()).as("in turn until planned").isNull();
        assertThat(spread.due(now + (ReplySpread.MIN_PLAN_MILLIS - 1) * MS)).isFalse();
        now += ReplySpread.MIN_PLAN_MILLIS * MS;
        assertThat(spread.due(now)).isTrue();
        spread.revise(now);
        assertThat(groups.mirrored().k()).isEqualTo(8);
        assertThat(groups.mirrored().m()).isEqualTo(4);
        assertThat(groups.mirrored().dataPath()).isNotNull();
    }

    @Test
    void aPathThatDiesGetsNothingFromTheNextPlan() {
        carry(2_000);
        spread.revise(now);
        now += ReplySpread.MIN_PLAN_MILLIS * MS;
        paths[0].checkAlive(now, 1); // silent: down
        assertThat(spread.due(now)).as("a path died").isTrue();
        spread.revise(now);
        FecPlan plan = spread.plan();
        assertThat(plan.dataOnPath()[0] + plan.repairOnPath()[0]).as("%s", plan).isZero();
        // 16 datagrams over two paths: each carries 8, more than m, since nothing less spreads them.
        assertThat(plan.dataOnPath()[1] + plan.repairOnPath()[1]).isEqualTo(8);
    }

    @Test
    void newPathsAreAPlanAtTheNextChance() {
        carry(2_000);
        spread.revise(now);
        session.pathFrom(new InetSocketAddress("127.0.0.1", 9), now);
        assertThat(session.paths()).hasSize(4);
        now += ReplySpread.MIN_PLAN_MILLIS * MS;
        assertThat(spread.due(now)).isTrue();
    }

    @Test
    void aRateThatDuplicatesStaysInTurn() {
        carry(2_000);
        groups.mirror(10, 6, true);
        spread.revise(now);
        assertThat(groups.mirrored()).isEqualTo(new FecRate(10, 6, true));
        assertThat(spread.plan()).isNull();
    }

    @Test
    void pathsMeasuredAtNoLossStillKeepTheLossyPathsShareOff() {
        LOSS[0] = 0; // the two good paths lost nothing over their reports
        LOSS[1] = 0;
        try {
            groups.mirror(4, 4, false);
            carry(2_000);
            spread.revise(now);
            FecPlan plan = spread.plan();
            assertThat(plan.dataOnPath()[2] + plan.repairOnPath()[2]).as("the 30 %% path: %s", plan).isZero();
        } finally {
            LOSS[1] = 0.20;
            LOSS[0] = 0.01;
        }
    }

    @Test
    void aSpreadForAnOldKmIsNotPublished() {
        groups.spreadMirrored(FecRate.spread(new int[] {4, 4, 0}, new int[] {0, 1, 1}, false));
        assertThat(groups.mirrored()).as("the client's rate is 10:6").isEqualTo(new FecRate(10, 6, false));
    }

    @Test
    void theRepliesGroupsWaitLongEnoughToFillAtTheRepliesRateWithinBounds() {
        assertThat(FecScheduler.groupsOf(session).replyDeadline()).as("the scheduler's until measured").isZero();
        spread.revise(now);
        for (int i = 0; i < 2_000; i++) {
            session.countSent(1); // a second of replies at 2,000/s
        }
        now += 1_000 * MS;
        spread.revise(now);
        // k = 10 at 2,000/s fills in 5 ms; with the planner's margin 6.25 ms
        assertThat(FecScheduler.groupsOf(session).replyDeadline()).isEqualTo(6_250_000L);

        assertThat(ReplySpread.deadlineFor(19, 2_000)).as("the harness's 12 ms client: groups of 19")
                .isEqualTo(11_875_000L);
        assertThat(ReplySpread.deadlineFor(10, 100_000)).as("at least the default").isEqualTo(5 * MS);
        assertThat(ReplySpread.deadlineFor(10, 10)).as("at the most 25 ms").isEqualTo(25 * MS);
        assertThat(ReplySpread.deadlineFor(10, 0)).isEqualTo(25 * MS);
    }
}
