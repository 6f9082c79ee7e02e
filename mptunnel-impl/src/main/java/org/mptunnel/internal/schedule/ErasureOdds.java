package org.mptunnel.internal.schedule;

/**
 * The exact residual loss of a spread code: the share of a group's data datagrams that are lost
 * and cannot be rebuilt, because more than {@code m} of the group's {@code k + m} datagrams were
 * lost. Paths lose independently of each other, each as its {@link LossModel} says; on a path,
 * the group's datagrams are consecutive, its data first (they leave at once) and its repair after
 * (when the group closes), so a burst takes neighbours together. No sampling, no approximation:
 * per path, the distribution of how many of its datagrams are lost (and of how many of those are
 * data) follows from the model's chain; across paths they combine by convolution (a
 * Poisson-binomial when loss is independent). One instance serves one set of paths and remembers
 * each path's distributions for the spreads it has seen, so that a search trying many spreads
 * computes each path's share once. Single-threaded; it allocates, and is meant for planning, not
 * for the datagram path.
 */
final class ErasureOdds {

    private final LossModel[] paths;
    /** Per path, per (data, repair) on it: {lost, dataLost} as {@link #onePath} computes them. */
    private final java.util.Map<Long, double[][]> shares = new java.util.HashMap<>();

    ErasureOdds(LossModel[] paths) {
        this.paths = paths.clone();
    }

    /** @see #residualLoss(int[], int[]) */
    static double residualLoss(int[] dataOnPath, int[] repairOnPath, LossModel[] paths) {
        return new ErasureOdds(paths).residualLoss(dataOnPath, repairOnPath);
    }

    /**
     * @param dataOnPath   per path, the group's data datagrams sent there
     * @param repairOnPath per path, its repair datagrams
     * @return the expected share of the group's data datagrams that are lost and not rebuilt
     */
    double residualLoss(int[] dataOnPath, int[] repairOnPath) {
        int count = paths.length;
        int k = 0;
        int m = 0;
        for (int i = 0; i < count; i++) {
            k += dataOnPath[i];
            m += repairOnPath[i];
        }
        double[][] lost = new double[count][];
        double[][] dataLost = new double[count][];
        for (int i = 0; i < count; i++) {
            double[][] share = share(i, dataOnPath[i], repairOnPath[i]);
            lost[i] = share[0];
            dataLost[i] = share[1];
        }
        double unrecovered = 0;
        for (int i = 0; i < count; i++) {
            if (dataOnPath[i] == 0) {
                continue;
            }
            double[] others = {1};
            for (int j = 0; j < count; j++) {
                if (j != i) {
                    others = convolve(others, lost[j]);
                }
            }
            double[] atLeast = new double[others.length + 1];
            for (int y = others.length - 1; y >= 0; y--) {
                atLeast[y] = atLeast[y + 1] + others[y];
            }
            // t lost on this path, y on the others: its lost data is rebuilt only if t + y <= m
            for (int t = 1; t < dataLost[i].length; t++) {
                int need = m + 1 - t;
                double othersEnough = need <= 0 ? 1 : need < atLeast.length ? atLeast[need] : 0;
                unrecovered += dataLost[i][t] * othersEnough;
            }
        }
        return Math.min(Math.max(unrecovered / k, 0), 1);
    }

    private double[][] share(int path, int data, int repair) {
        long key = ((long) path << 32) | ((long) data << 16) | repair;
        return shares.computeIfAbsent(key, unused -> {
            int n = data + repair;
            double[][] share = {new double[n + 1], new double[n + 1]};
            onePath(paths[path], data, repair, share[0], share[1]);
            return share;
        });
    }

    /**
     * One path's share of a group: {@code lost[t]} the chance that exactly t of its datagrams are
     * lost, {@code dataLost[t]} the expected number of its data datagrams lost together with
     * exactly t in all (E[data lost; t lost]). The chain starts in its stationary state.
     */
    static void onePath(LossModel model, int data, int repair, double[] lost, double[] dataLost) {
        int n = data + repair;
        double enter = model.enterBad();
        double leave = model.leaveBad();
        // [t] of each state: the chance of being there with t lost so far, and the data lost in it
        double[] good = new double[n + 1];
        double[] bad = new double[n + 1];
        double[] goodData = new double[n + 1];
        double[] badData = new double[n + 1];
        good[0] = 1 - model.loss();
        bad[0] = model.loss();
        double[] nextGood = new double[n + 1];
        double[] nextBad = new double[n + 1];
        double[] nextGoodData = new double[n + 1];
        double[] nextBadData = new double[n + 1];
        for (int position = 0; position < n; position++) {
            boolean isData = position < data;
            java.util.Arrays.fill(nextGood, 0);
            java.util.Arrays.fill(nextBad, 0);
            java.util.Arrays.fill(nextGoodData, 0);
            java.util.Arrays.fill(nextBadData, 0);
            for (int t = 0; t <= position; t++) {
                // good: this datagram arrives; bad: it is lost (t + 1), and counts if it is data
                double arrived = good[t];
                double arrivedData = goodData[t];
                double gone = bad[t];
                double goneData = badData[t] + (isData ? bad[t] : 0);
                nextGood[t] += arrived * (1 - enter);
                nextGoodData[t] += arrivedData * (1 - enter);
                nextBad[t] += arrived * enter;
                nextBadData[t] += arrivedData * enter;
                nextGood[t + 1] += gone * leave;
                nextGoodData[t + 1] += goneData * leave;
                nextBad[t + 1] += gone * (1 - leave);
                nextBadData[t + 1] += goneData * (1 - leave);
            }
            double[] swap = good;
            good = nextGood;
            nextGood = swap;
            swap = bad;
            bad = nextBad;
            nextBad = swap;
            swap = goodData;
            goodData = nextGoodData;
            nextGoodData = swap;
            swap = badData;
            badData = nextBadData;
            nextBadData = swap;
        }
        for (int t = 0; t <= n; t++) {
            lost[t] = good[t] + bad[t];
            dataLost[t] = goodData[t] + badData[t];
        }
    }

    private static double[] convolve(double[] a, double[] b) {
        double[] out = new double[a.length + b.length - 1];
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < b.length; j++) {
                out[i + j] += a[i] * b[j];
            }
        }
        return out;
    }
}
