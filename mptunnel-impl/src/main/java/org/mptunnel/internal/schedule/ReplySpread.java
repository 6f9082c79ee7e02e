package org.mptunnel.internal.schedule;

import java.util.Arrays;
import org.mptunnel.Redundancy;
import org.mptunnel.internal.path.Path;
import org.mptunnel.internal.session.Session;

/**
 * How a server spreads its coded replies to one session over the session's paths: the k and m its
 * client's data carry (mirrored: the client chose the cost and knows the target, which the wire does
 * not carry), each of a group's datagrams placed by {@link CodeRatePlanner}'s search from the loss
 * of this server's replies on each path, as the client reports it in its keepalives
 * ({@link Path#dataLoss()}, docs/PROTOCOL.md "Per-path reports"). So the replies' leg is spread for
 * the server-to-client losses, as the client's data are for its own, even when the two directions
 * differ; what it cannot follow is a reverse direction that needs a different k:m.
 *
 * <p>The spread is published into the session's {@link FecScheduler.Groups#spreadMirrored mirrored
 * rate}, which the sending threads already read once per group: nothing changes on the
 * per-datagram path. Until every live path has a measured loss ({@value
 * AdaptiveFecRates#MEASURED_DATAGRAMS} replies over its reports), for a rate that duplicates (the
 * search does not model copies), and over more than {@value #MAX_PATHS} live paths (the search's
 * cost grows with their number), the replies take the paths in turn. No path carries more than m
 * of a group, or its even share if that is more (so that a path that dies costs the code's
 * erasures, not a gap, where the rate allows it). A path that is down or not validated gets nothing.
 *
 * <p>When: {@link #due} at most every {@value #MIN_PLAN_MILLIS} ms, at once when the client's k:m
 * changes, the session's paths change or one dies or revives, while a live path has no measured
 * loss yet (a check, not a search), and every {@value #PLAN_MILLIS} ms
 * otherwise (the losses drift). The caller bounds the time all sessions' plans take together.
 * I/O thread only.
 */
public final class ReplySpread {

    /** A spread is revised this often while nothing changes. */
    public static final long PLAN_MILLIS = AdaptiveFecRates.PLAN_MILLIS;
    /** And never more often than this. */
    public static final long MIN_PLAN_MILLIS = AdaptiveFecRates.MIN_PLAN_MILLIS;
    /** Over more live paths than this the replies take the paths in turn. */
    public static final int MAX_PATHS = 4;
    /**
     * No path is planned as losing less: over paths measured at 0 every spread predicts no loss, and
     * the search would keep any of them, a lossy path's share included.
     */
    static final double MIN_LOSS = 1e-4;
    private static final long MS = 1_000_000L;
    /**
     * The replies' groups close at the latest this long after their first datagram, at least: the
     * tools' default deadline, the client's groups' span at any rate that fills them sooner.
     */
    static final long MIN_DEADLINE_NANOS = Redundancy.DEFAULT_FEC_DEADLINE_MILLIS * MS;
    /** And at the most this long, however slowly the replies come: the longest a rebuilt reply waits. */
    static final long MAX_DEADLINE_NANOS = 25 * MS;

    private final Session session;
    /** What the last plan was made for: the mirrored rate's shape, the path array and which paths were live. */
    private int plannedK;
    private int plannedM;
    private boolean plannedDuplicate;
    private Path[] plannedPaths;
    private boolean[] plannedLive;
    private boolean planned;
    /** Whether the last plan found a live path without a measured loss (a new plan is due once it has one). */
    private boolean unmeasured;
    private long lastPlanAt;
    private long sentAtLastPlan;
    private FecPlan plan;

    public ReplySpread(Session session) {
        this.session = session;
    }

    public Session session() {
        return session;
    }

    /** @return whether a plan is due now */
    public boolean due(long nowNanos) {
        FecRate mirrored = mirrored();
        if (mirrored == null) {
            return false;
        }
        if (!planned) {
            return true;
        }
        long since = nowNanos - lastPlanAt;
        if (since < MIN_PLAN_MILLIS * MS) {
            return false;
        }
        return since >= PLAN_MILLIS * MS || unmeasured || mirrored.k() != plannedK || mirrored.m() != plannedM
                || mirrored.duplicate() != plannedDuplicate || session.paths() != plannedPaths
                || livenessChanged();
    }

    private boolean livenessChanged() {
        Path[] paths = plannedPaths;
        for (int i = 0; i < paths.length; i++) {
            if (isLive(paths[i]) != plannedLive[i]) {
                return true;
            }
        }
        return false;
    }

    /**
     * Plans the spread of the client's current k:m over the paths' measured losses and publishes it
     * (or the paths in turn, when it cannot be planned).
     */
    public void revise(long nowNanos) {
        FecScheduler.Groups groups = FecScheduler.groupsOf(session);
        FecRate mirrored = groups == null ? null : groups.mirrored();
        if (mirrored == null) {
            return;
        }
        Path[] paths = session.paths();
        long sent = session.datagramsSent();
        if (planned && nowNanos - lastPlanAt > 0) {
            groups.replyDeadline(deadlineFor(mirrored.k(), (sent - sentAtLastPlan) * 1e9 / (nowNanos - lastPlanAt)));
        }
        sentAtLastPlan = sent;
        planned = true;
        lastPlanAt = nowNanos;
        plannedK = mirrored.k();
        plannedM = mirrored.m();
        plannedDuplicate = mirrored.duplicate();
        plannedPaths = paths;
        plannedLive = new boolean[paths.length];
        int live = 0;
        boolean unknown = false;
        for (int i = 0; i < paths.length; i++) {
            plannedLive[i] = isLive(paths[i]);
            if (plannedLive[i]) {
                live++;
                unknown |= measuredLoss(paths[i]) < 0;
            }
        }
        unmeasured = unknown;
        if (unknown || live == 0 || live > MAX_PATHS || mirrored.duplicate()) {
            plan = null;
            groups.spreadMirrored(new FecRate(plannedK, plannedM, plannedDuplicate)); // in turn
            return;
        }
        int[] index = new int[live];
        LossModel[] models = new LossModel[live];
        for (int i = 0, n = 0; i < paths.length; i++) {
            if (plannedLive[i]) {
                index[n] = i;
                models[n++] = LossModel.independent(measuredLoss(paths[i]));
            }
        }
        int cap = Math.max(plannedM, (plannedK + plannedM + live - 1) / live);
        FecPlan found = CodeRatePlanner.bestSpread(plannedK, plannedM, models, cap, new ErasureOdds(models));
        int[] data = new int[paths.length];
        int[] repair = new int[paths.length];
        for (int n = 0; n < live; n++) {
            data[index[n]] = found.dataOnPath()[n];
            repair[index[n]] = found.repairOnPath()[n];
        }
        plan = new FecPlan(plannedK, plannedM, data, repair, found.residualLoss());
        groups.spreadMirrored(FecRate.spread(data, repair, false));
    }

    /**
     * The replies' group deadline: long enough for a group of the client's {@code k} to fill at the
     * replies' rate with the planner's margin ({@link CodeRatePlanner#FILL}), as the client's own
     * groups fill within its deadline (which the wire does not carry); between
     * {@link #MIN_DEADLINE_NANOS} and {@link #MAX_DEADLINE_NANOS}. A group its deadline closes short
     * is a shorter code than the client's k:m (its share of the repairs): at 2,000 replies a second
     * and k = 19, 5 ms closed each with about 10.
     */
    static long deadlineFor(int k, double repliesPerSecond) {
        if (!(repliesPerSecond > 0)) {
            return MAX_DEADLINE_NANOS;
        }
        double nanos = k / (CodeRatePlanner.FILL * repliesPerSecond) * 1e9;
        return (long) Math.max(MIN_DEADLINE_NANOS, Math.min(MAX_DEADLINE_NANOS, nanos));
    }

    private FecRate mirrored() {
        FecScheduler.Groups groups = FecScheduler.groupsOf(session);
        return groups == null ? null : groups.mirrored();
    }

    private static boolean isLive(Path path) {
        return path.isUp() && path.isValidated();
    }

    /** @return the loss of the replies on {@code path} as its reports measured it (at least {@link #MIN_LOSS}), or −1 if too few were */
    static double measuredLoss(Path path) {
        double loss = path.dataLoss().oneWayLoss();
        return loss >= 0 && path.dataLoss().sentTotal() >= AdaptiveFecRates.MEASURED_DATAGRAMS
                ? Math.min(1, Math.max(MIN_LOSS, loss)) : -1;
    }

    /** @return the spread in use, over all the session's paths as they were planned over; null while in turn */
    public FecPlan plan() {
        return plan;
    }

    @Override
    public String toString() {
        return "ReplySpread[" + (plan == null ? "in turn" : plan.k() + ":" + plan.m() + ", data "
                + Arrays.toString(plan.dataOnPath()) + ", repairs " + Arrays.toString(plan.repairOnPath())) + "]";
    }
}
