package org.mptunnel;

import java.time.Duration;

/**
 * How many paths a client sends each datagram on.
 *
 * <ul>
 *   <li>{@link #ALL_PATHS} (the default): every datagram on every path that is up, as the original
 *       mptunnel does. Loss is the product of the paths' losses, traffic is multiplied by their
 *       number.</li>
 *   <li>{@link #adaptive(double)}: each datagram on the fewest paths whose estimated joint one-way
 *       loss is at most {@link #targetLoss()}. The estimate of each path comes from its keepalives
 *       ({@link PathStats#estimatedLoss()}); the set always includes the lowest-RTT path among
 *       the healthy ones (estimated loss at most 2 %), the others join in order of estimated loss.
 *       Every path keeps being probed, so an unused path's estimate stays fresh. When the
 *       keepalives of a path in use are suddenly lost far more often than its average (two in a
 *       row on a clean path), or its latest keepalives are overdue while other paths answer (two
 *       in a row on a clean path), every path is used for a few keepalive intervals (8, or 4 but at
 *       least 150 ms for overdue ones), and then the choice is made again. The same happens,
 *       as for overdue keepalives, when a path carrying the datagrams alone loses more of them
 *       than its estimate explains, as the server reports in every keepalive-ack
 *       ({@link SessionStats#measuredLoss()}): that shows within a few milliseconds. In this mode
 *       every path is probed every quarter keepalive interval. Until every path that is up has
 *       answered or missed 32 keepalives, and whenever no set of paths meets the target, every
 *       path is used.</li>
 *   <li>{@link #fec(int, int)}: forward error correction across the paths. Each datagram leaves at
 *       once on one path, the paths taken in turn; every k datagrams (or when the group's
 *       deadline passes, {@value #DEFAULT_FEC_DEADLINE_MILLIS} ms after its first datagram by
 *       default, with fewer) m repair datagrams follow, also spread over the paths, and the
 *       receiver rebuilds lost datagrams from any k of the group's k + m. A path that dies is
 *       then only erasures. Traffic is (k + m) / k times the data (plus about 8 bytes per datagram
 *       and 40 per repair), instead of the number of paths. Datagrams longer than 1,500 bytes are
 *       not coded: they go on every path. Both ends must be of a version that knows FEC; a server
 *       protects its replies to such a client with the client's k and m. Not with the legacy wire
 *       formats.</li>
 *   <li>{@link #fecAdaptive(double)}: forward error correction whose k, m and spread over the
 *       paths follow the loss the server measures on each path, to meet {@link #targetLoss()}
 *       at the least traffic: from the paths' keepalives until a path has carried enough data to
 *       be measured. A path that is down or not validated gets nothing. It starts with every
 *       datagram on every path (k = 1) and plans again every second, or 250 ms after the last
 *       plan when a path dies or its loss moves materially, within k ≤ 24, m ≤ 12, k no more than
 *       four fifths of the datagrams sent within a group deadline ({@link #fecAdaptive(double, Duration)}), and
 *       never more traffic than duplication on every path. With three paths or more, no path
 *       carries more than m of a group (also while one is down), so that one may die without a
 *       gap; with two, that rule would cost as much as duplication, so it is not applied: a path
 *       that dies costs lost datagrams until it is found dead (the dead timeout) and the next
 *       plan moves everything to the other. Not with the legacy wire formats.</li>
 * </ul>
 *
 * <p>Adaptive redundancy applies to what a client sends. A server answers on every path of the
 * session whatever the client chose: it has no estimate of its own.
 *
 * <p>How well the target is met depends on the estimate: a path's keepalives measure round-trip
 * loss, from which one-way loss is inferred assuming both directions lose equally and
 * independently; with a keepalive per second, an estimate takes minutes to resolve loss below
 * 1 %. Choose a shorter keepalive interval for a tighter estimate.
 *
 * @param mode          all paths, adaptive, or forward error correction
 * @param targetLoss    for {@link Mode#ADAPTIVE} and {@link Mode#FEC_ADAPTIVE}, the joint one-way
 *                      loss aimed at, above 0 and below 1; 0 otherwise
 * @param groupData     for {@link Mode#FEC}, k: data datagrams per group, 1 to {@value #MAX_FEC_DATA}; 0 otherwise
 * @param groupRepair   for {@link Mode#FEC}, m: repair datagrams per group, 1 to {@value #MAX_FEC_REPAIR}; 0 otherwise
 * @param groupDeadline for {@link Mode#FEC} and {@link Mode#FEC_ADAPTIVE}, how long after its
 *                      first datagram a group closes with
 *                      fewer than k, 100 µs to 1 s; {@link Duration#ZERO} otherwise
 */
public record Redundancy(Mode mode, double targetLoss, int groupData, int groupRepair, Duration groupDeadline) {

    /** The kinds of redundancy. */
    public enum Mode {
        /** Every datagram on every path that is up. */
        ALL_PATHS,
        /** Each datagram on the fewest paths expected to meet a target loss. */
        ADAPTIVE,
        /** Each datagram on one path, with m repair datagrams for every k (forward error correction). */
        FEC,
        /** Forward error correction whose code rate follows each path's measured loss to meet a target. */
        FEC_ADAPTIVE
    }

    /** The largest k of {@link #fec(int, int)}. */
    public static final int MAX_FEC_DATA = 32;
    /** The largest m of {@link #fec(int, int)}. */
    public static final int MAX_FEC_REPAIR = 16;
    /** The default group deadline of {@link #fec(int, int)}, in milliseconds. */
    public static final long DEFAULT_FEC_DEADLINE_MILLIS = 5;
    private static final Duration MIN_DEADLINE = Duration.ofNanos(100_000);
    private static final Duration MAX_DEADLINE = Duration.ofSeconds(1);

    /** The adaptive mode's default target: 0.1 % joint one-way loss. */
    public static final double DEFAULT_TARGET_LOSS = 0.001;

    /** Every datagram on every path that is up: the default. */
    public static final Redundancy ALL_PATHS = new Redundancy(Mode.ALL_PATHS, 0);

    /**
     * Checks the combination.
     *
     * @param mode          all paths, adaptive or FEC
     * @param targetLoss    for adaptive and adaptive FEC, above 0 and below 1; 0 otherwise
     * @param groupData     for FEC, k in [1, {@value #MAX_FEC_DATA}]; 0 otherwise
     * @param groupRepair   for FEC, m in [1, {@value #MAX_FEC_REPAIR}]; 0 otherwise
     * @param groupDeadline for FEC and adaptive FEC, 100 µs to 1 s; zero otherwise
     */
    public Redundancy {
        if (mode == null) {
            throw new IllegalArgumentException("redundancy mode must not be null");
        }
        boolean targeted = mode == Mode.ADAPTIVE || mode == Mode.FEC_ADAPTIVE;
        if (targeted ? !(targetLoss > 0 && targetLoss < 1) : targetLoss != 0) {
            throw new IllegalArgumentException(targeted
                    ? "targetLoss must be above 0 and below 1, got " + targetLoss
                    : "targetLoss applies to adaptive redundancy only");
        }
        if (groupDeadline == null) {
            throw new IllegalArgumentException("groupDeadline must not be null");
        }
        if (mode == Mode.FEC_ADAPTIVE && (groupData != 0 || groupRepair != 0)) {
            throw new IllegalArgumentException("adaptive FEC chooses k and m itself: give 0 for both");
        }
        if (mode == Mode.FEC) {
            if (groupData < 1 || groupData > MAX_FEC_DATA) {
                throw new IllegalArgumentException("k (data datagrams per group) must be 1 to " + MAX_FEC_DATA
                        + ", got " + groupData);
            }
            if (groupRepair < 1 || groupRepair > MAX_FEC_REPAIR) {
                throw new IllegalArgumentException("m (repair datagrams per group) must be 1 to " + MAX_FEC_REPAIR
                        + ", got " + groupRepair);
            }
        }
        if (mode == Mode.FEC || mode == Mode.FEC_ADAPTIVE) {
            if (groupDeadline.compareTo(MIN_DEADLINE) < 0 || groupDeadline.compareTo(MAX_DEADLINE) > 0) {
                throw new IllegalArgumentException("the group deadline must be 100 µs to 1 s, got "
                        + groupDeadline.toNanos() / 1e6 + " ms");
            }
        } else if (groupData != 0 || groupRepair != 0 || !groupDeadline.isZero()) {
            throw new IllegalArgumentException("k, m and the group deadline apply to FEC redundancy only");
        }
    }

    /**
     * The constructor of the modes without FEC, as before FEC existed.
     *
     * @param mode       all paths, or adaptive
     * @param targetLoss for adaptive, above 0 and below 1; 0 for all paths
     */
    public Redundancy(Mode mode, double targetLoss) {
        this(mode, targetLoss, 0, 0, Duration.ZERO);
    }

    /** @return adaptive redundancy with the default target, {@value #DEFAULT_TARGET_LOSS} */
    public static Redundancy adaptive() {
        return adaptive(DEFAULT_TARGET_LOSS);
    }

    /**
     * @param targetLoss the joint one-way loss aimed at, above 0 and below 1 (0.001 is 0.1 %)
     * @return adaptive redundancy with that target
     */
    public static Redundancy adaptive(double targetLoss) {
        return new Redundancy(Mode.ADAPTIVE, targetLoss);
    }

    /**
     * Forward error correction with the default group deadline, {@value #DEFAULT_FEC_DEADLINE_MILLIS} ms.
     *
     * @param k data datagrams per group, 1 to {@value #MAX_FEC_DATA}
     * @param m repair datagrams per group, 1 to {@value #MAX_FEC_REPAIR}
     * @return FEC redundancy k:m
     */
    public static Redundancy fec(int k, int m) {
        return fec(k, m, Duration.ofMillis(DEFAULT_FEC_DEADLINE_MILLIS));
    }

    /**
     * @param k        data datagrams per group, 1 to {@value #MAX_FEC_DATA}
     * @param m        repair datagrams per group, 1 to {@value #MAX_FEC_REPAIR}
     * @param deadline how long after its first datagram a group closes with fewer than k: what a
     *                 recovered datagram may be late by, beyond a path's delay; 100 µs to 1 s
     * @return FEC redundancy k:m
     */
    public static Redundancy fec(int k, int m, Duration deadline) {
        return new Redundancy(Mode.FEC, 0, k, m, deadline);
    }

    /**
     * Adaptive forward error correction with the default group deadline,
     * {@value #DEFAULT_FEC_DEADLINE_MILLIS} ms: the code rate and its spread over the paths are
     * chosen, and revised, from each path's measured loss.
     *
     * @param targetLoss the residual loss aimed at, above 0 and below 1 (0.001 is 0.1 %)
     * @return adaptive FEC with that target
     */
    public static Redundancy fecAdaptive(double targetLoss) {
        return fecAdaptive(targetLoss, Duration.ofMillis(DEFAULT_FEC_DEADLINE_MILLIS));
    }

    /**
     * Adaptive forward error correction with a group deadline of its own. A group holds at most the
     * datagrams sent within the deadline, so a longer one lets a slow sender have the larger
     * groups that cost less for the same residual loss (at 2,000 datagrams/s, 5 ms allows 10 per
     * group, 12 ms the most the planner uses, 24), at the price of recovered datagrams that may be
     * later by as much.
     *
     * @param targetLoss the residual loss aimed at, above 0 and below 1 (0.001 is 0.1 %)
     * @param deadline   how long after its first datagram a group closes with fewer than k: what a
     *                   recovered datagram may be late by, beyond a path's delay; 100 µs to 1 s
     * @return adaptive FEC with that target and deadline
     */
    public static Redundancy fecAdaptive(double targetLoss, Duration deadline) {
        return new Redundancy(Mode.FEC_ADAPTIVE, targetLoss, 0, 0, deadline);
    }

    /** @return whether each datagram's paths are chosen by estimated loss */
    public boolean isAdaptive() {
        return mode == Mode.ADAPTIVE;
    }

    /** @return whether datagrams are protected by forward error correction, with a fixed or an adaptive code rate */
    public boolean isFec() {
        return mode == Mode.FEC || mode == Mode.FEC_ADAPTIVE;
    }

    /** @return whether the code rate of forward error correction follows the paths' measured loss */
    public boolean isFecAdaptive() {
        return mode == Mode.FEC_ADAPTIVE;
    }
}
