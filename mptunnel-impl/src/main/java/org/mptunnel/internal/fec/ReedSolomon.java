package org.mptunnel.internal.fec;

/**
 * A systematic Reed–Solomon erasure code over GF(2⁸) ({@link GaloisField}): from k data shards of
 * equal length it computes m repair shards, and from any k of the k + m it rebuilds the missing data
 * shards. A shard's length is a multiple of 8.
 *
 * <p><b>Symbols.</b> The code works on bit planes (Cauchy Reed–Solomon in bit-matrix form, after
 * Blömer et al.): a shard of S bytes is 8 planes of S/8 bytes, and its S symbols are the bit
 * columns across them, bit b of symbol q being bit q mod 8 of byte q div 8 of plane b:
 *
 * <pre>
 *  shard:   | plane 0 | plane 1 | ... | plane 7 |     each plane S/8 bytes
 *  symbol q = (bit q%8 of plane 7 [q/8], ..., bit q%8 of plane 0 [q/8])   (plane b gives bit b)
 * </pre>
 *
 * Multiplying every symbol by a constant c is then a sum of whole planes (which planes: the 8 × 8
 * bit matrix of c), so the coding loop is XORs of 8-byte words with no table lookup: two to three
 * times as fast in Java as a loop over a 256-byte multiplication table row per coefficient
 * (measured; docs/ARCHITECTURE.md, "Forward error correction: the code").
 *
 * <p>Repair shard i is Σⱼ C[i][j]·dataⱼ, where C is a Cauchy matrix, C[i][j] = 1 / (xᵢ + yⱼ) with
 * xᵢ = 255 − i and yⱼ = j, scaled so that its first row and first column are all ones (scaling rows
 * and columns keeps every square submatrix invertible, which is what makes the code MDS). Repair 0
 * is then the XOR of the data, and a one-shard group's repairs are copies of it. No coefficient
 * depends on k or m: a group with fewer data shards uses the first columns, and repair i is the same
 * whatever m, so a sender may vary either from group to group. Limits: 1 ≤ k, 0 ≤ m, k + m ≤ 256
 * (xᵢ and yⱼ must all differ).
 *
 * <p>Decoding with e data shards missing takes the e lowest-numbered repairs received, inverts the
 * e × e Cauchy submatrix they form with the missing columns and folds the data received into one
 * e × k "recipe": each missing shard is a combination of the k shards used. Recipes are kept per
 * erasure pattern (k, missing, repairs used) in a small direct-mapped cache, so that a pattern
 * that recurs costs no inversion. Everything is allocated by the constructor: encoding and
 * decoding allocate nothing.
 *
 * <p>Not thread-safe: an instance holds scratch space; give each thread its own.
 */
public final class ReedSolomon {

    /** The largest k + m: the Cauchy points xᵢ and yⱼ must be distinct elements of GF(2⁸). */
    public static final int MAX_SHARDS = 256;

    private final int maxData;
    private final int maxRepair;
    /** coefficients[i][j] = C[i][j], for i < maxRepair and j < maxData. */
    private final byte[][] coefficients;

    private final Recipe[] cache;
    private final int[] missing;
    private final int[] used;
    private final byte[][] inputs;
    /** The planes one output plane sums, and where each starts in its shard. */
    private final byte[][] sources;
    private final int[] sourceOffsets;
    /** e × 2e work matrix of the Gauss–Jordan inversion, [M | I] turned into [I | M⁻¹]. */
    private final int[][] work;

    /**
     * @param maxData      the largest k this instance codes, at least 1
     * @param maxRepair    the largest m, at least 0; maxData + maxRepair ≤ {@value #MAX_SHARDS}
     * @param cacheEntries how many decoding recipes to keep (each maxRepair × maxData bytes), at least 1
     */
    public ReedSolomon(int maxData, int maxRepair, int cacheEntries) {
        if (maxData < 1 || maxRepair < 0 || maxData + maxRepair > MAX_SHARDS) {
            throw new IllegalArgumentException("need 1 <= k, 0 <= m, k + m <= " + MAX_SHARDS
                    + ": k = " + maxData + ", m = " + maxRepair);
        }
        if (cacheEntries < 1) {
            throw new IllegalArgumentException("cacheEntries must be at least 1: " + cacheEntries);
        }
        this.maxData = maxData;
        this.maxRepair = maxRepair;
        this.coefficients = new byte[maxRepair][maxData];
        for (int i = 0; i < maxRepair; i++) {
            for (int j = 0; j < maxData; j++) {
                coefficients[i][j] = (byte) coefficient(i, j);
            }
        }
        this.cache = new Recipe[cacheEntries];
        for (int c = 0; c < cacheEntries; c++) {
            cache[c] = new Recipe(maxData, maxRepair);
        }
        this.missing = new int[maxRepair];
        this.used = new int[maxRepair];
        this.inputs = new byte[maxData][];
        this.sources = new byte[8 * maxData][];
        this.sourceOffsets = new int[8 * maxData];
        this.work = new int[maxRepair][2 * maxRepair];
    }

    /** @return C[i][j], the coefficient of data shard j in repair shard i (i + j ≤ 254) */
    static int coefficient(int i, int j) {
        // raw(i, j) / raw(0, j) makes row 0 all ones; dividing by that at column 0 makes column 0 ones.
        int scaled = GaloisField.div(raw(i, j), raw(0, j));
        int scaledColumn0 = GaloisField.div(raw(i, 0), raw(0, 0));
        return GaloisField.div(scaled, scaledColumn0);
    }

    private static int raw(int i, int j) {
        return GaloisField.inverse((255 - i) ^ j);
    }

    int maxData() {
        return maxData;
    }

    int maxRepair() {
        return maxRepair;
    }

    /**
     * Computes repair[0..m) over the first {@code length} bytes of data[0..k).
     *
     * @throws IllegalArgumentException if k or m is beyond this instance's limits, or the length is
     *         not a multiple of 8
     */
    public void encode(byte[][] data, int k, byte[][] repair, int m, int length) {
        checkShape(k, m, length);
        for (int i = 0; i < m; i++) {
            combine(coefficients[i], data, k, repair[i], length);
        }
    }

    /**
     * Rebuilds, in place, the data shards whose {@code dataPresent} flag is false, from the shards
     * present, and sets their flags. The first {@code length} bytes of each shard are coded (a
     * multiple of 8).
     *
     * @return how many data shards were rebuilt (0 if none was missing), or −1 if fewer than k shards
     *         are present (nothing is changed then)
     */
    public int decode(byte[][] data, boolean[] dataPresent, int k, byte[][] repair, boolean[] repairPresent, int m,
               int length) {
        checkShape(k, m, length);
        int e = 0;
        for (int j = 0; j < k; j++) {
            if (!dataPresent[j]) {
                if (e == m) {
                    return -1;
                }
                missing[e++] = j;
            }
        }
        if (e == 0) {
            return 0;
        }
        int u = 0;
        for (int i = 0; i < m && u < e; i++) {
            if (repairPresent[i]) {
                used[u++] = i;
            }
        }
        if (u < e) {
            return -1;
        }
        Recipe recipe = recipe(k, e);
        // Repair used[t] stands in the input position of the shard missing[t].
        for (int j = 0; j < k; j++) {
            inputs[j] = data[j];
        }
        for (int t = 0; t < e; t++) {
            inputs[missing[t]] = repair[used[t]];
        }
        for (int t = 0; t < e; t++) {
            combine(recipe.rows[t], inputs, k, data[missing[t]], length);
        }
        for (int t = 0; t < e; t++) {
            dataPresent[missing[t]] = true;
        }
        return e;
    }

    private void checkShape(int k, int m, int length) {
        if (k < 1 || k > maxData || m < 0 || m > maxRepair) {
            throw new IllegalArgumentException("k = " + k + ", m = " + m + " outside 1.." + maxData
                    + ", 0.." + maxRepair);
        }
        if (length < 0 || (length & 7) != 0) {
            throw new IllegalArgumentException("shard length must be a multiple of 8: " + length);
        }
    }

    /** The recipe for (k, missing[0..e), used[0..e)), from the cache or computed into it. */
    private Recipe recipe(int k, int e) {
        int hash = k;
        for (int t = 0; t < e; t++) {
            hash = hash * 31 + missing[t];
            hash = hash * 31 + used[t];
        }
        hash ^= hash >>> 16;
        Recipe recipe = cache[(hash & 0x7FFF_FFFF) % cache.length];
        if (recipe.matches(k, e, missing, used)) {
            return recipe;
        }
        invert(e);
        recipe.fill(k, e, missing, used, work, coefficients);
        return recipe;
    }

    /**
     * Inverts M[s][t] = C[used[s]][missing[t]] by Gauss–Jordan elimination; M⁻¹ is left in the right
     * half of {@link #work}. M is a square submatrix of a Cauchy matrix, hence invertible.
     */
    private void invert(int e) {
        for (int s = 0; s < e; s++) {
            int[] row = work[s];
            for (int t = 0; t < e; t++) {
                row[t] = coefficients[used[s]][missing[t]] & 0xFF;
                row[e + t] = s == t ? 1 : 0;
            }
        }
        for (int col = 0; col < e; col++) {
            int pivot = col;
            while (work[pivot][col] == 0) {
                pivot++;
            }
            int[] p = work[pivot];
            work[pivot] = work[col];
            work[col] = p;
            int scale = GaloisField.inverse(p[col]);
            for (int t = 0; t < 2 * e; t++) {
                p[t] = GaloisField.mul(p[t], scale);
            }
            for (int s = 0; s < e; s++) {
                int factor = work[s][col];
                if (s != col && factor != 0) {
                    int[] row = work[s];
                    for (int t = 0; t < 2 * e; t++) {
                        row[t] ^= GaloisField.mul(factor, p[t]);
                    }
                }
            }
        }
    }

    /**
     * out = Σⱼ coef[j]·in[j], j < k, over the first {@code length} bytes, in the bit-sliced layout:
     * bit plane b of the output is the XOR of the planes b' of each in[j] for which bit b' of
     * {@link GaloisField#bitRow}(coef[j], b) is set. So every plane is a sum of whole planes, done
     * 8 bytes at a time, four planes per pass.
     */
    private void combine(byte[] coef, byte[][] in, int k, byte[] out, int length) {
        int plane = length >>> 3;
        for (int b = 0; b < 8; b++) {
            int n = 0;
            for (int j = 0; j < k; j++) {
                int bits = GaloisField.bitRow(coef[j] & 0xFF, b);
                while (bits != 0) {
                    sources[n] = in[j];
                    sourceOffsets[n++] = Integer.numberOfTrailingZeros(bits) * plane;
                    bits &= bits - 1;
                }
            }
            PlaneXor.sum(sources, sourceOffsets, n, out, b * plane, plane);
        }
    }

    /**
     * One cached decoding: for the t-th missing data shard, rows[t][j] is the coefficient of input
     * j, where input j is data shard j if it was received and otherwise the repair standing in for it.
     */
    private static final class Recipe {
        private int k;
        private int e;
        private final int[] missing;
        private final int[] used;
        private final byte[][] rows;

        Recipe(int maxData, int maxRepair) {
            this.missing = new int[maxRepair];
            this.used = new int[maxRepair];
            this.rows = new byte[maxRepair][maxData];
        }

        boolean matches(int k, int e, int[] missing, int[] used) {
            if (this.k != k || this.e != e) {
                return false;
            }
            for (int t = 0; t < e; t++) {
                if (this.missing[t] != missing[t] || this.used[t] != used[t]) {
                    return false;
                }
            }
            return true;
        }

        /**
         * With M⁻¹ in the right half of {@code work}: the missing shards are M⁻¹·(repairs used +
         * C[used][received]·received), so a repair gets the coefficient M⁻¹[t][s] and a received
         * data shard j gets Σₛ M⁻¹[t][s]·C[used[s]][j].
         */
        void fill(int k, int e, int[] missing, int[] used, int[][] work, byte[][] coefficients) {
            this.k = k;
            this.e = e;
            System.arraycopy(missing, 0, this.missing, 0, e);
            System.arraycopy(used, 0, this.used, 0, e);
            for (int t = 0; t < e; t++) {
                byte[] row = rows[t];
                int[] inverse = work[t];
                for (int j = 0; j < k; j++) {
                    int sum = 0;
                    for (int s = 0; s < e; s++) {
                        sum ^= GaloisField.mul(inverse[e + s], coefficients[used[s]][j] & 0xFF);
                    }
                    row[j] = (byte) sum;
                }
                for (int s = 0; s < e; s++) {
                    row[missing[s]] = (byte) inverse[e + s];
                }
            }
        }
    }
}
