package org.mptunnel.internal.schedule;

import org.mptunnel.internal.wire.Fec;

/**
 * A code rate of forward error correction, for one group: k data datagrams, m repair datagrams,
 * and whether each data datagram also leaves on a second path. Immutable; a source of rates
 * ({@link FecRates}) keeps its instances, so that asking costs no allocation.
 *
 * @param k         data datagrams per group, 1 to {@value Fec#MAX_K}
 * @param m         repair datagrams per group, 1 to {@value Fec#MAX_M}
 * @param duplicate whether each data datagram is also sent on a second path
 */
public record FecRate(int k, int m, boolean duplicate) {

    public FecRate {
        if (k < 1 || k > Fec.MAX_K || m < 1 || m > Fec.MAX_M) {
            throw new IllegalArgumentException("k must be 1 to " + Fec.MAX_K + " and m 1 to " + Fec.MAX_M
                    + ", got " + k + ":" + m);
        }
    }

    /** @return the flags a data datagram of this rate carries */
    public int flags() {
        return duplicate ? Fec.FLAG_DUPLICATED : 0;
    }

    /** @return datagrams on the wire per data datagram, headers aside: (k·copies + m) / k */
    public double overhead() {
        return (k * (duplicate ? 2.0 : 1.0) + m) / k;
    }
}
