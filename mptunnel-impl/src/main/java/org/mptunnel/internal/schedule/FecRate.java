package org.mptunnel.internal.schedule;

import java.util.Arrays;
import org.mptunnel.internal.wire.Fec;

/**
 * A code rate of forward error correction, for one group: k data datagrams, m repair datagrams,
 * whether each data datagram also leaves on a second path, and optionally which path each of the
 * group's datagrams takes. Immutable; a source of rates ({@link FecRates}) keeps its instances, so
 * that asking costs no allocation.
 *
 * @param k          data datagrams per group, 1 to {@value Fec#MAX_K}
 * @param m          repair datagrams per group, 1 to {@value Fec#MAX_M}
 * @param duplicate  whether each data datagram is also sent on a second path
 * @param dataPath   null: the group's datagrams take the paths in turn; else the index (in the
 *                   session's paths) of the path data datagram j goes on, k entries
 * @param repairPath with {@code dataPath}, the path of repair i, m entries
 */
public record FecRate(int k, int m, boolean duplicate, int[] dataPath, int[] repairPath) {

    public FecRate {
        if (k < 1 || k > Fec.MAX_K || m < 1 || m > Fec.MAX_M) {
            throw new IllegalArgumentException("k must be 1 to " + Fec.MAX_K + " and m 1 to " + Fec.MAX_M
                    + ", got " + k + ":" + m);
        }
        if ((dataPath == null) != (repairPath == null)
                || dataPath != null && (dataPath.length != k || repairPath.length != m
                        || Arrays.stream(dataPath).anyMatch(p -> p < 0) || Arrays.stream(repairPath).anyMatch(p -> p < 0))) {
            throw new IllegalArgumentException("a spread names a path (index ≥ 0) for each of the k data and m repairs");
        }
        dataPath = dataPath == null ? null : dataPath.clone();
        repairPath = repairPath == null ? null : repairPath.clone();
    }

    /** The paths in turn. */
    public FecRate(int k, int m, boolean duplicate) {
        this(k, m, duplicate, null, null);
    }

    /**
     * A rate whose group is spread as counted per path (a planner's choice): path i carries
     * {@code dataOnPath[i]} of the data and {@code repairOnPath[i]} of the repairs, interleaved so
     * that consecutive datagrams go on different paths where the counts allow.
     */
    public static FecRate spread(int[] dataOnPath, int[] repairOnPath, boolean duplicate) {
        int[] data = interleave(dataOnPath);
        int[] repair = interleave(repairOnPath);
        return new FecRate(data.length, repair.length, duplicate, data, repair);
    }

    /** @return path indexes, each {@code counts[i]} times, taken round-robin over the paths with some left */
    private static int[] interleave(int[] counts) {
        int[] left = counts.clone();
        int total = Arrays.stream(counts).sum();
        int[] order = new int[total];
        for (int n = 0; n < total; ) {
            for (int i = 0; i < left.length && n < total; i++) {
                if (left[i] > 0) {
                    left[i]--;
                    order[n++] = i;
                }
            }
        }
        return order;
    }

    /** @return the path index data datagram {@code index} goes on, or −1 to take the next in turn */
    int dataPathOf(int index) {
        return dataPath == null ? -1 : dataPath[index];
    }

    /** @return the path index repair {@code index} goes on, or −1 to take the next in turn */
    int repairPathOf(int index) {
        return repairPath == null ? -1 : repairPath[index];
    }

    /** @return the flags a data datagram of this rate carries */
    public int flags() {
        return duplicate ? Fec.FLAG_DUPLICATED : 0;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FecRate r && r.k == k && r.m == m && r.duplicate == duplicate
                && Arrays.equals(r.dataPath, dataPath) && Arrays.equals(r.repairPath, repairPath);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * (31 * k + m) + Boolean.hashCode(duplicate)) + Arrays.hashCode(dataPath)
                + Arrays.hashCode(repairPath);
    }

    @Override
    public String toString() {
        return "FecRate[" + k + ":" + m + (duplicate ? ", duplicated" : "")
                + (dataPath == null ? "" : ", data on " + Arrays.toString(dataPath) + ", repairs on "
                        + Arrays.toString(repairPath)) + "]";
    }
}
