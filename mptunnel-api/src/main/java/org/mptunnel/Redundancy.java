package org.mptunnel;

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
 * @param mode       all paths, or adaptive
 * @param targetLoss for {@link Mode#ADAPTIVE}, the joint one-way loss aimed at, above 0 and below 1;
 *                   0 for {@link Mode#ALL_PATHS}
 */
public record Redundancy(Mode mode, double targetLoss) {

    /** The kinds of redundancy. */
    public enum Mode {
        /** Every datagram on every path that is up. */
        ALL_PATHS,
        /** Each datagram on the fewest paths expected to meet a target loss. */
        ADAPTIVE
    }

    /** The adaptive mode's default target: 0.1 % joint one-way loss. */
    public static final double DEFAULT_TARGET_LOSS = 0.001;

    /** Every datagram on every path that is up: the default. */
    public static final Redundancy ALL_PATHS = new Redundancy(Mode.ALL_PATHS, 0);

    /**
     * Checks the combination.
     *
     * @param mode       all paths, or adaptive
     * @param targetLoss for adaptive, above 0 and below 1; 0 for all paths
     */
    public Redundancy {
        if (mode == null) {
            throw new IllegalArgumentException("redundancy mode must not be null");
        }
        if (mode == Mode.ADAPTIVE ? !(targetLoss > 0 && targetLoss < 1) : targetLoss != 0) {
            throw new IllegalArgumentException(mode == Mode.ADAPTIVE
                    ? "targetLoss must be above 0 and below 1, got " + targetLoss
                    : "targetLoss applies to adaptive redundancy only");
        }
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

    /** @return whether each datagram's paths are chosen by estimated loss */
    public boolean isAdaptive() {
        return mode == Mode.ADAPTIVE;
    }
}
