package org.mptunnel.internal.schedule;

import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.mptunnel.internal.path.Counter;
import org.mptunnel.internal.path.Path;
import org.mptunnel.internal.session.Session;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The code rate of adaptive forward error correction ({@code Redundancy.fecAdaptive}): a
 * {@link CodeRateChoice} revised from each path's measured loss, its
 * plan published as a {@link FecRate#spread} that the sending thread reads once per group from a
 * volatile field (no allocation, no lock).
 *
 * <p>Each path's loss is the one-way loss of the data the server counted on it
 * ({@link Path#dataLoss()}) once the path has carried {@value #MEASURED_DATAGRAMS} data datagrams
 * over the reports (since the plan last gave it nothing: see {@link #estimates}), else the loss its
 * keepalives imply ({@code ProbeLoss#planningOneWayLoss}); a
 * path that is down or not validated is dead: left out of the plan, it gets nothing. Until every live
 * path has an estimate the rate is {@link #startRate}: each datagram on every path. Each path's
 * losses come in runs of the mean length measured from the same reports
 * ({@link org.mptunnel.internal.path.LossBursts}; independent until a few dozen were lost), so that
 * a path that loses its whole share of a group in one burst is planned for as such: codes whose
 * groups are shorter than the bursts give way to more repair or to duplication.
 *
 * <p>CPU: a plan costs 0.1 to 60 ms (BENCHMARKS.md, "FEC code rate"), so one is made at most every
 * {@value #MIN_PLAN_MILLIS} ms: every {@value #PLAN_MILLIS} ms, or as soon as that minimum allows
 * when the estimates change materially (a path dies or comes back, gets its first estimate, or its
 * loss moves by more than half and at least {@value #MATERIAL_LOSS}). Limits: k at most
 * {@value #MAX_K} and no more than four fifths of the datagrams sent within a group deadline at the measured
 * rate ({@link CodeRatePlanner.Limits#forRate}), m at most {@value #MAX_M}; and in a session of at
 * least {@value #SURVIVAL_PATHS} paths, no live path carrying more than m of a group (a path that
 * dies between two plans costs erasures, not a gap), also while one of them is down. A session of
 * two paths is planned without that rule, which would make every plan cost at least as much as
 * duplication (k + m ≤ 2m): the plan may lean on the better path, and if that path dies its share
 * of each group is lost until the dead timeout marks it down and the next plan (due at once)
 * moves everything to the other.
 *
 * <p>Threads: {@link #rateFor} any sending thread; {@link #onTimer} the I/O thread, which takes
 * the estimates and hands the search to the {@link PlanningThread} (a plan takes milliseconds,
 * which the I/O thread, serving every datagram, must not stall for), one search at a time per
 * session; the search publishes its plan and rate through volatile fields. A search that thread's
 * queue refuses (it holds {@value PlanningThread#QUEUED}, for every session of the process) is
 * counted ({@code TunnelStats.fecPlansRefused}) and is not a plan: the session keeps its rate and
 * tries again at its next timer.
 */
public final class AdaptiveFecRates implements FecRates {

    /**
     * The most data datagrams per group the planner may choose (when the send rate and the group
     * deadline allow as many). Larger groups cost less for the same residual (2 × 10 % at 0.01 %:
     * 22 + 10, 1.45 datagrams per data datagram, against 15 + 8, 1.53, within 16 + 8); a search
     * takes about twice as long (docs/ARCHITECTURE.md, "Adaptive code rate") and a peer's decoder
     * holds 1.5 times more.
     */
    public static final int MAX_K = 24;
    /** The most repair datagrams per group the planner may choose. */
    public static final int MAX_M = 12;
    /** Plans are made this often while nothing changes. */
    public static final long PLAN_MILLIS = 1_000;
    /** And never more often than this. */
    public static final long MIN_PLAN_MILLIS = 250;
    /** Data datagrams a path must have carried before its measured loss replaces its keepalives'. */
    public static final long MEASURED_DATAGRAMS = 200;
    /** The paths a session must have for its plans to survive any one of them dying. */
    public static final int SURVIVAL_PATHS = 3;
    /** A change of a path's loss estimate (as well as by half) that makes a plan due at once. */
    static final double MATERIAL_LOSS = 0.01;
    /** The weight of the newest interval in the smoothed send rate. */
    private static final double RATE_WEIGHT = 0.5;
    private static final long MS = 1_000_000L;

    private static final Logger LOG = LoggerFactory.getLogger(AdaptiveFecRates.class);

    private final Session session;
    private final double targetLoss;
    private final Duration deadline;
    /** Runs the searches, one at a time for this session ({@link #searching}). */
    private final Executor planning;
    /** Searches the planning thread refused; the I/O thread counts. */
    private final Counter refused;
    private final AtomicBoolean searching = new AtomicBoolean();
    /** Moved on when the I/O thread falls back to the start rate: a search begun before publishes nothing. */
    private volatile long epoch;
    private volatile FecRate rate;
    /** The search's own (one at a time: {@link #searching} orders them). Null until the first plan, and again when the limits change. */
    private CodeRateChoice choice;
    private CodeRatePlanner.Limits limits;
    private volatile FecPlan plan;
    private boolean failureLogged;
    /** The estimates the current plan was made with; null before the first plan. */
    private double[] plannedLoss;
    private long lastPlanAt;
    private boolean planned;
    private long sentAtLastPlan;
    private double datagramsPerSecond;
    private volatile long plans;

    /**
     * @param session    the client's session, whose paths are planned over
     * @param targetLoss the residual loss to meet, above 0 and below 1
     * @param deadline   the groups' deadline
     * @param refused    counts the searches the planning thread refused (its queue was full)
     */
    public AdaptiveFecRates(Session session, double targetLoss, Duration deadline, Counter refused) {
        this(session, targetLoss, deadline, PlanningThread.INSTANCE, refused);
    }

    /** @param planning where the searches run (tests: the calling thread) */
    AdaptiveFecRates(Session session, double targetLoss, Duration deadline, Executor planning, Counter refused) {
        this.session = session;
        this.targetLoss = targetLoss;
        this.deadline = deadline;
        this.planning = planning;
        this.refused = refused;
        this.rate = startRate(session.paths().length);
    }

    /** @return each datagram on every one of {@code paths} paths (k = 1, a copy per other path), the paths in turn */
    static FecRate startRate(int paths) {
        return new FecRate(1, Math.max(1, Math.min(MAX_M, paths - 1)), false);
    }

    @Override
    public FecRate rateFor(Session ignored) {
        return rate;
    }

    @Override
    public long onTimer(long nowNanos, long nextTickNanos) {
        if (planned && nowNanos - lastPlanAt < MIN_PLAN_MILLIS * MS) {
            return Math.min(nextTickNanos, lastPlanAt + MIN_PLAN_MILLIS * MS);
        }
        LossModel[] paths = estimates();
        if (!planned || nowNanos - lastPlanAt >= PLAN_MILLIS * MS || changed(paths)) {
            revise(paths, nowNanos);
        }
        long due = lastPlanAt + PLAN_MILLIS * MS;
        // Overdue (the last search still runs, or this one was refused): the next tick tries again,
        // rather than a timer due at once, which would run it every millisecond until then.
        return planned && due - nowNanos > 0 ? Math.min(nextTickNanos, due) : nextTickNanos;
    }

    /**
     * I/O thread: @return each path's loss model now; null entries for live paths without an
     * estimate yet. A path the plan in use gives nothing has its data loss forgotten
     * ({@link org.mptunnel.internal.path.PathLoss#forget}): it carries no data whose loss the
     * reports could measure, so that estimate is of the time it last carried some (a path planned
     * out for its loss would keep it, and stay out for good however well it recovered), and once
     * planned in again it is judged by its keepalives until it has carried
     * {@value #MEASURED_DATAGRAMS} data datagrams anew (were it judged by the old estimate at once,
     * it would be planned out again at the next plan, and back in on its keepalives after that).
     */
    private LossModel[] estimates() {
        Path[] paths = session.paths();
        FecPlan current = plan;
        int[] data = current != null && current.paths() == paths.length ? current.dataOnPath() : null;
        int[] repair = data != null ? current.repairOnPath() : null;
        LossModel[] models = new LossModel[paths.length];
        for (int i = 0; i < paths.length; i++) {
            if (data != null && data[i] + repair[i] == 0 && paths[i].probeLoss().planningOneWayLoss() >= 0) {
                paths[i].dataLoss().forget(); // once its keepalives can stand in for it
            }
            double loss = lossOf(paths[i]);
            models[i] = loss < 0 ? null : new LossModel(loss, paths[i].dataLoss().meanBurst());
        }
        return models;
    }

    /** @return the loss to plan {@code path} with: 1 if it is dead, −1 if it has no estimate yet */
    static double lossOf(Path path) {
        if (!path.isUp() || !path.isValidated()) {
            return 1;
        }
        double measured = path.dataLoss().oneWayLoss();
        if (measured >= 0 && path.dataLoss().sentMeasured() >= MEASURED_DATAGRAMS) {
            return Math.min(1, measured);
        }
        return Math.min(1, path.probeLoss().planningOneWayLoss());
    }

    private boolean changed(LossModel[] paths) {
        if (plannedLoss == null || plannedLoss.length != paths.length) {
            return true;
        }
        for (int i = 0; i < paths.length; i++) {
            double was = plannedLoss[i];
            double now = paths[i] == null ? -1 : paths[i].loss();
            boolean deadNow = now >= 1;
            if (deadNow != was >= 1 || (now < 0) != (was < 0)
                    || Math.abs(now - was) > Math.max(MATERIAL_LOSS, was / 2)) {
                return true;
            }
        }
        return false;
    }

    /**
     * I/O thread: plans for {@code paths} now (null entries: no estimate yet) and publishes the rate:
     * the start rate at once if a path has no estimate, else through a search on the planning
     * thread; while this session's previous search runs, only the fall back to the start rate. A
     * search the planning thread refuses is counted and changes nothing: not a plan, so the next
     * timer tries again.
     */
    void revise(LossModel[] paths, long nowNanos) {
        boolean unknown = false;
        int alive = 0;
        for (LossModel path : paths) {
            unknown |= path == null;
            alive += path != null && path.loss() < 1 ? 1 : 0;
        }
        boolean search = !unknown && alive > 0;
        if (search && searching.get()) {
            return; // the last search still runs: the next timer tries again
        }
        long sent = session.datagramsSent();
        double sendRate = datagramsPerSecond;
        if (planned && nowNanos - lastPlanAt > 0) {
            double interval = (sent - sentAtLastPlan) * 1e9 / (nowNanos - lastPlanAt);
            sendRate = sendRate == 0 ? interval : sendRate + (interval - sendRate) * RATE_WEIGHT;
        }
        if (search && !submit(paths, alive, sendRate)) {
            refused.increment();
            return;
        }
        datagramsPerSecond = sendRate;
        planned = true;
        lastPlanAt = nowNanos;
        sentAtLastPlan = sent;
        plannedLoss = new double[paths.length];
        for (int i = 0; i < paths.length; i++) {
            plannedLoss[i] = paths[i] == null ? -1 : paths[i].loss();
        }
        if (!search) {
            epoch++;
            rate = startRate(paths.length);
            plan = null; // nothing to plan with (yet): every path, as many as are up
        }
    }

    /**
     * I/O thread: hands the search over {@code paths}' {@code alive} live ones to the planning thread.
     *
     * @return false if it refused the search (its queue is full)
     */
    private boolean submit(LossModel[] paths, int alive, double sendRate) {
        CodeRatePlanner.Limits now = CodeRatePlanner.Limits.forRate(MAX_K, MAX_M, targetLoss,
                paths.length >= SURVIVAL_PATHS, deadline, sendRate);
        // The dead are left out of the plan, not given a loss of 1: the rule that no path carries
        // more than m of a group must count only the paths that can carry anything.
        int[] live = new int[alive];
        LossModel[] models = new LossModel[alive];
        for (int i = 0, n = 0; i < paths.length; i++) {
            if (paths[i].loss() < 1) {
                live[n] = i;
                models[n++] = paths[i];
            }
        }
        long begunIn = epoch;
        searching.set(true);
        try {
            planning.execute(() -> search(now, models, live, paths.length, begunIn));
            return true;
        } catch (RejectedExecutionException e) {
            searching.set(false);
            return false;
        }
    }

    /** Planning thread: the search for one revision, published unless the I/O thread fell back since. */
    private void search(CodeRatePlanner.Limits now, LossModel[] models, int[] live, int count, long begunIn) {
        try {
            if (!now.equals(limits)) {
                limits = now;
                choice = new CodeRateChoice(now);
            }
            FecPlan next = onAllPaths(choice.revise(models), live, count);
            plans++;
            if (epoch != begunIn) {
                return;
            }
            FecPlan was = plan;
            if (was == null || !next.sameShape(was)) {
                rate = toRate(next);
            }
            plan = next;
        } catch (RuntimeException | Error e) {
            if (!failureLogged) { // a bug, not an input: once per session, and the rate in use stays
                failureLogged = true;
                LOG.warn("FEC code rate search failed; the session keeps its current rate", e);
            }
        } finally {
            searching.set(false);
        }
    }

    /** @return {@code plan}, made over the paths {@code live} names, as a spread over all {@code count} paths */
    private static FecPlan onAllPaths(FecPlan plan, int[] live, int count) {
        int[] data = new int[count];
        int[] repair = new int[count];
        int[] liveData = plan.dataOnPath();
        int[] liveRepair = plan.repairOnPath();
        for (int n = 0; n < live.length; n++) {
            data[live[n]] = liveData[n];
            repair[live[n]] = liveRepair[n];
        }
        return new FecPlan(plan.k(), plan.m(), data, repair, plan.residualLoss());
    }

    /** @return the rate that sends as {@code plan} spreads; a plan without repair (m = 0) gets one, as a rate needs it */
    static FecRate toRate(FecPlan plan) {
        int[] repair = plan.repairOnPath();
        if (plan.m() == 0) {
            int[] data = plan.dataOnPath();
            int best = 0;
            for (int i = 1; i < data.length; i++) {
                best = data[i] > data[best] ? i : best;
            }
            repair[best]++;
        }
        return FecRate.spread(plan.dataOnPath(), repair, false);
    }

    /** @return the plan the rate follows, or null while the start rate is used */
    public FecPlan plan() {
        return plan;
    }

    /** @return plans made so far */
    public long plans() {
        return plans;
    }
}
