package org.mptunnel.examples.demo;

import java.util.Arrays;

/** Nearest-rank percentiles of a set of samples. */
public final class Percentiles {

    private final long[] sorted;

    /** @param samples the samples; copied */
    public Percentiles(long[] samples) {
        this.sorted = samples.clone();
        Arrays.sort(sorted);
    }

    /** @return how many samples there are */
    public int count() {
        return sorted.length;
    }

    /**
     * @param q the quantile, 0 (exclusive) to 1
     * @return the smallest sample that at least {@code q} of all samples do not exceed, or -1 if there are none
     */
    public long at(double q) {
        if (!(q > 0 && q <= 1)) {
            throw new IllegalArgumentException("quantile must be in (0, 1], got " + q);
        }
        if (sorted.length == 0) {
            return -1;
        }
        int rank = (int) Math.ceil(q * sorted.length);
        return sorted[Math.max(0, rank - 1)];
    }
}
