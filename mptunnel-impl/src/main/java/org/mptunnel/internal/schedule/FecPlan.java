package org.mptunnel.internal.schedule;

import java.util.Arrays;

/**
 * A code rate and its spread over the paths, as {@link CodeRatePlanner} chooses it: groups of
 * {@code k} data datagrams and {@code m} repair datagrams (any {@code k} of the {@code k + m}
 * rebuild the group), with {@code dataOnPath[i]} of the data and {@code repairOnPath[i]} of the
 * repair sent on path {@code i}. {@code k = 1} is duplication: the datagram itself on
 * {@code 1 + m} paths (a repetition code), which needs no repair datagram format.
 *
 * @param k            data datagrams per group, at least 1
 * @param m            repair datagrams per group
 * @param dataOnPath   per path, how many of a group's data datagrams go there (sums to k)
 * @param repairOnPath per path, how many of its repair datagrams (sums to m)
 * @param residualLoss the predicted share of data datagrams neither delivered nor rebuilt
 */
public record FecPlan(int k, int m, int[] dataOnPath, int[] repairOnPath, double residualLoss) {

    public FecPlan {
        dataOnPath = dataOnPath.clone();
        repairOnPath = repairOnPath.clone();
        if (k < 1 || m < 0 || dataOnPath.length != repairOnPath.length
                || Arrays.stream(dataOnPath).sum() != k || Arrays.stream(repairOnPath).sum() != m
                || Arrays.stream(dataOnPath).anyMatch(c -> c < 0) || Arrays.stream(repairOnPath).anyMatch(c -> c < 0)) {
            throw new IllegalArgumentException("not a spread of " + k + " + " + m + " datagrams: "
                    + Arrays.toString(dataOnPath) + " " + Arrays.toString(repairOnPath));
        }
    }

    @Override
    public int[] dataOnPath() {
        return dataOnPath.clone();
    }

    @Override
    public int[] repairOnPath() {
        return repairOnPath.clone();
    }

    /** @return datagrams on the wire per data datagram, {@code (k + m) / k}: bytes per payload byte, headers aside */
    public double cost() {
        return (double) (k + m) / k;
    }

    /** @return whether this is plain duplication (k = 1): copies, no repair datagrams */
    public boolean isDuplication() {
        return k == 1;
    }

    /** @return how many paths the plan spreads over */
    public int paths() {
        return dataOnPath.length;
    }

    /** @return the same code rate and spread with another predicted residual loss */
    FecPlan withResidualLoss(double residual) {
        return new FecPlan(k, m, dataOnPath, repairOnPath, residual);
    }

    /** @return whether {@code other} has the same code rate and spread, whatever its prediction */
    public boolean sameShape(FecPlan other) {
        return k == other.k && m == other.m && Arrays.equals(dataOnPath, other.dataOnPath)
                && Arrays.equals(repairOnPath, other.repairOnPath);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FecPlan other && sameShape(other) && Double.compare(residualLoss, other.residualLoss) == 0;
    }

    @Override
    public int hashCode() {
        return 31 * (31 * (31 * k + m) + Arrays.hashCode(dataOnPath)) + Arrays.hashCode(repairOnPath);
    }

    @Override
    public String toString() {
        return "FecPlan[k=" + k + ", m=" + m + ", data " + Arrays.toString(dataOnPath) + ", repair "
                + Arrays.toString(repairOnPath) + ", residual " + residualLoss + "]";
    }
}
