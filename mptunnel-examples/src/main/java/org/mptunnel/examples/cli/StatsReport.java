package org.mptunnel.examples.cli;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.mptunnel.PathStats;
import org.mptunnel.RedundancyStats;
import org.mptunnel.SessionStats;
import org.mptunnel.TunnelStats;

/**
 * Tunnel statistics summed over sockets and sessions, with each path keyed by its remote address,
 * and printed as one line per interval or as a closing summary. An mpclient adds the snapshots of
 * its live sockets and of the ones it has closed; an mpserver adds its one socket's.
 */
public final class StatsReport {

    /** How many sessions a server's line names: the rest are in the totals, and in stats() and JMX. */
    public static final int BUSIEST_SESSIONS = 3;

    private final Map<InetSocketAddress, PathTotals> paths = new LinkedHashMap<>();
    private long delivered;
    private long duplicatesDropped;
    private long tooOldDropped;
    private long malformedDropped;
    private long unknownSessionDropped;
    private long queueDropped;
    private long sendDropped;
    private long sessionsRefused;
    private long authFailed;
    private long handshakes;
    /** Path validation: challenges sent to new path addresses, bytes not sent to unvalidated ones. */
    private long pathChallenges;
    private long bytesWithheld;
    /** FEC planning: a client's code rate searches refused, a server's reply spread plans deferred. */
    private long fecPlansRefused;
    private long replyPlansDeferred;
    private int liveSessions;
    private long datagramsSent;
    private RedundancyStats coding = RedundancyStats.NONE;
    private long copiesSent;
    /** Live sessions' loss figures, weighted by their datagrams sent; weight 0: none known. */
    private double estimatedLossSum;
    private long estimatedWeight;
    private double measuredLossSum;
    private long measuredWeight;
    /** Ordered delivery: held, released on timeout, sequence numbers skipped, late dropped. */
    private long orderHeld;
    private long orderReleasedOnTimeout;
    private long orderSkipped;
    private long orderLate;
    /** Held datagrams released early because a socket held its most bytes. */
    private long orderOverBudget;
    /** Live paths, and how many of them are up. */
    private int livePaths;
    private int livePathsUp;
    /** The busiest live sessions, busiest first: at most {@link #BUSIEST_SESSIONS}. */
    private final List<SessionStats> busiest = new ArrayList<>(BUSIEST_SESSIONS + 1);

    /** Per-path sums. */
    public static final class PathTotals {
        private final InetSocketAddress remote;
        private boolean up;
        private long sent;
        private long received;
        private long sendErrors;
        private long firstDeliveries;
        private long duplicatesDropped;
        private long rttSumNanos;
        private int rttSamples;

        PathTotals(InetSocketAddress remote) {
            this.remote = remote;
        }

        /** @return where this path's copies go */
        public InetSocketAddress remote() {
            return remote;
        }

        /** @return data datagrams whose first copy came over this path */
        public long firstDeliveries() {
            return firstDeliveries;
        }

        /** @return the mean smoothed RTT of the path's live sessions in nanoseconds, or -1 if unmeasured */
        public long rttNanos() {
            return rttSamples == 0 ? -1 : rttSumNanos / rttSamples;
        }
    }

    /**
     * Adds one socket's snapshot.
     *
     * @param stats the snapshot
     * @param live  whether the socket is still open: only live sockets' paths count as up, have an
     *              RTT, and count as sessions
     * @return this report
     */
    public StatsReport add(TunnelStats stats, boolean live) {
        delivered += stats.delivered();
        duplicatesDropped += stats.duplicatesDropped();
        tooOldDropped += stats.tooOldDropped();
        malformedDropped += stats.malformedDropped();
        unknownSessionDropped += stats.unknownSessionDropped();
        queueDropped += stats.queueDropped();
        sendDropped += stats.sendDropped();
        sessionsRefused += stats.sessionsRefused();
        authFailed += stats.authFailed();
        handshakes += stats.handshakes();
        pathChallenges += stats.pathChallenges();
        bytesWithheld += stats.bytesWithheld();
        fecPlansRefused += stats.fecPlansRefused();
        replyPlansDeferred += stats.replyPlansDeferred();
        orderHeld += stats.ordering().held();
        orderReleasedOnTimeout += stats.ordering().releasedOnTimeout();
        orderSkipped += stats.ordering().skipped();
        orderLate += stats.ordering().lateDropped();
        orderOverBudget += stats.ordering().releasedForBudget();
        coding = coding.plus(stats.redundancy());
        for (SessionStats session : stats.sessions()) {
            datagramsSent += session.datagramsSent();
            copiesSent += session.copiesSent();
            if (live) {
                liveSessions++;
                rankBusiest(session);
                long weight = Math.max(session.datagramsSent(), 1);
                if (session.estimatedLoss() >= 0) {
                    estimatedLossSum += session.estimatedLoss() * weight;
                    estimatedWeight += weight;
                }
                if (session.measuredLoss() >= 0) {
                    measuredLossSum += session.measuredLoss() * weight;
                    measuredWeight += weight;
                }
            }
            for (PathStats p : session.paths()) {
                PathTotals t = paths.computeIfAbsent(p.remote(), PathTotals::new);
                t.sent += p.datagramsSent();
                t.received += p.datagramsReceived();
                t.sendErrors += p.sendErrors();
                t.firstDeliveries += p.firstDeliveries();
                t.duplicatesDropped += p.duplicatesDropped();
                if (live) {
                    livePaths++;
                    livePathsUp += p.up() ? 1 : 0;
                    t.up |= p.up();
                    if (p.smoothedRttNanos() >= 0) {
                        t.rttSumNanos += p.smoothedRttNanos();
                        t.rttSamples++;
                    }
                }
            }
        }
        return this;
    }

    /** @return a session's traffic: datagrams delivered from it and sent to it */
    private static long traffic(SessionStats session) {
        return session.delivered() + session.datagramsSent();
    }

    private void rankBusiest(SessionStats session) {
        int i = busiest.size();
        while (i > 0 && traffic(busiest.get(i - 1)) < traffic(session)) {
            i--;
        }
        if (i < BUSIEST_SESSIONS) {
            busiest.add(i, session);
            if (busiest.size() > BUSIEST_SESSIONS) {
                busiest.remove(BUSIEST_SESSIONS);
            }
        }
    }

    /**
     * Adds another report's counters, as those of closed sockets: its paths count as neither up
     * nor measured, and its sessions not as live.
     *
     * @param other the report to add
     * @return this report
     */
    public StatsReport addClosed(StatsReport other) {
        delivered += other.delivered;
        duplicatesDropped += other.duplicatesDropped;
        tooOldDropped += other.tooOldDropped;
        malformedDropped += other.malformedDropped;
        unknownSessionDropped += other.unknownSessionDropped;
        queueDropped += other.queueDropped;
        sendDropped += other.sendDropped;
        sessionsRefused += other.sessionsRefused;
        authFailed += other.authFailed;
        handshakes += other.handshakes;
        pathChallenges += other.pathChallenges;
        bytesWithheld += other.bytesWithheld;
        fecPlansRefused += other.fecPlansRefused;
        replyPlansDeferred += other.replyPlansDeferred;
        datagramsSent += other.datagramsSent;
        copiesSent += other.copiesSent;
        coding = coding.plus(other.coding);
        orderHeld += other.orderHeld;
        orderReleasedOnTimeout += other.orderReleasedOnTimeout;
        orderSkipped += other.orderSkipped;
        orderLate += other.orderLate;
        orderOverBudget += other.orderOverBudget;
        for (PathTotals o : other.paths.values()) {
            PathTotals t = paths.computeIfAbsent(o.remote, PathTotals::new);
            t.sent += o.sent;
            t.received += o.received;
            t.sendErrors += o.sendErrors;
            t.firstDeliveries += o.firstDeliveries;
            t.duplicatesDropped += o.duplicatesDropped;
        }
        return this;
    }

    /** @return the paths in the order first seen */
    public List<PathTotals> paths() {
        return new ArrayList<>(paths.values());
    }

    /** @return data datagrams delivered, over all sockets */
    public long delivered() {
        return delivered;
    }

    /** @return copies dropped as duplicates, over all sockets */
    public long duplicatesDropped() {
        return duplicatesDropped;
    }

    /** @return data copies written per data datagram sent, or 0 before the first */
    public double copiesPerDatagram() {
        return datagramsSent == 0 ? 0 : (double) copiesSent / datagramsSent;
    }

    /**
     * @return the live sessions' estimated joint loss ({@link SessionStats#estimatedLoss()}),
     *         averaged weighted by datagrams sent; -1 if none has one
     */
    public double estimatedLoss() {
        return estimatedWeight == 0 ? -1 : estimatedLossSum / estimatedWeight;
    }

    /**
     * @return the live sessions' loss measured by the far side ({@link SessionStats#measuredLoss()}),
     *         averaged weighted by datagrams sent; -1 if none has one
     */
    public double measuredLoss() {
        return measuredWeight == 0 ? -1 : measuredLossSum / measuredWeight;
    }

    /**
     * @return what redundancy costs and buys: copies per datagram, then the estimated and
     *         measured loss if either is known (only a client's are); null before any datagram
     */
    private String redundancy(String separator) {
        if (datagramsSent == 0) {
            return null;
        }
        String copies = String.format(Locale.ROOT, "copies/datagram %.2f", copiesPerDatagram());
        if (estimatedLoss() >= 0 || measuredLoss() >= 0) {
            copies += separator + "loss estimated " + percent(estimatedLoss()) + " measured " + percent(measuredLoss());
        }
        return copies + separator + coding();
    }

    /** @return bytes on the wire per payload byte and, once there are repairs, what FEC did; residual loss inbound */
    private String coding() {
        String s = String.format(Locale.ROOT, "wire/payload %.3f", coding.wireBytesPerPayloadByte());
        if (coding.repairsSent() + coding.repairsReceived() > 0) {
            s += String.format(Locale.ROOT, " repairs-sent %d repairs-received %d recovered %d", coding.repairsSent(),
                    coding.repairsReceived(), coding.recovered());
            if (coding.notDecoded() > 0) {
                s += " fec-over-budget " + coding.notDecoded();
            }
        }
        return s + " residual " + percent(coding.residualLoss());
    }

    /** @return one line: each path's state, then the totals; for a client, whose paths are few */
    public String line() {
        StringBuilder b = new StringBuilder();
        long firsts = totalFirsts();
        for (PathTotals p : paths.values()) {
            b.append(String.format(Locale.ROOT, "path %s %s rtt %s sent %d recv %d first %s | ",
                    Endpoints.format(p.remote), p.up ? "up" : "down", rtt(p.rttNanos()),
                    p.sent, p.received, share(p.firstDeliveries, firsts)));
        }
        return totals(b).toString();
    }

    /**
     * @return one line of bounded length for a server, whose paths are those of every session: the
     *         totals, then the {@value #BUSIEST_SESSIONS} busiest live sessions
     */
    public String serverLine() {
        StringBuilder b = totals(new StringBuilder()).append(String.format(Locale.ROOT,
                " paths %d up %d path-challenges %d bytes-withheld %d", livePaths, livePathsUp, pathChallenges,
                bytesWithheld));
        for (SessionStats s : busiest) {
            int up = 0;
            for (PathStats p : s.paths()) {
                up += p.up() ? 1 : 0;
            }
            b.append(String.format(Locale.ROOT, " | session %x delivered %d sent %d paths %d up %d",
                    s.sessionId(), s.delivered(), s.datagramsSent(), s.paths().size(), up));
        }
        return b.toString();
    }

    private StringBuilder totals(StringBuilder b) {
        b.append(String.format(Locale.ROOT, "sessions %d delivered %d duplicates-dropped %d malformed-dropped %d"
                        + " auth-failed %d handshakes %d",
                liveSessions, delivered, duplicatesDropped, malformedDropped, authFailed, handshakes));
        String redundancy = redundancy(" ");
        if (redundancy != null) {
            b.append(String.format(Locale.ROOT, " datagrams-sent %d copies-sent %d ", datagramsSent, copiesSent))
                    .append(redundancy);
        }
        if (orderHeld + orderLate > 0) {
            b.append(String.format(Locale.ROOT, " order-held %d order-timeouts %d order-skipped %d order-late %d",
                    orderHeld, orderReleasedOnTimeout, orderSkipped, orderLate));
            if (orderOverBudget > 0) {
                b.append(" order-over-budget ").append(orderOverBudget);
            }
        }
        if (fecPlansRefused > 0) {
            b.append(" fec-plans-refused ").append(fecPlansRefused);
        }
        if (replyPlansDeferred > 0) {
            b.append(" reply-plans-deferred ").append(replyPlansDeferred);
        }
        return b;
    }

    /** @return a few lines: a table of paths, then every total */
    public String summary() {
        StringBuilder b = new StringBuilder();
        long firsts = totalFirsts();
        b.append(String.format(Locale.ROOT, "  %-24s %-5s %10s %10s %10s %7s %11s %11s%n",
                "path", "state", "rtt", "sent", "received", "errors", "first", "duplicates"));
        for (PathTotals p : paths.values()) {
            b.append(String.format(Locale.ROOT, "  %-24s %-5s %10s %10d %10d %7d %11s %11d%n",
                    Endpoints.format(p.remote), p.up ? "up" : "down", rtt(p.rttNanos()), p.sent, p.received,
                    p.sendErrors, share(p.firstDeliveries, firsts), p.duplicatesDropped));
        }
        b.append(String.format(Locale.ROOT,
                "  delivered %d, duplicates dropped %d, too old %d, malformed %d, unknown session %d,"
                        + " queue full %d, no path up %d, sessions refused %d, not authentic %d, handshakes %d",
                delivered, duplicatesDropped, tooOldDropped, malformedDropped, unknownSessionDropped,
                queueDropped, sendDropped, sessionsRefused, authFailed, handshakes));
        String redundancy = redundancy(", ");
        if (redundancy != null) {
            b.append(String.format(Locale.ROOT, "%n  datagrams sent %d, %s", datagramsSent, redundancy));
        }
        if (pathChallenges + bytesWithheld > 0) {
            b.append(String.format(Locale.ROOT, "%n  path validation: challenges %d, bytes withheld from"
                    + " unvalidated addresses %d", pathChallenges, bytesWithheld));
        }
        if (fecPlansRefused + replyPlansDeferred > 0) {
            b.append(String.format(Locale.ROOT, "%n  FEC planning: code rate searches refused %d,"
                    + " reply spread plans deferred %d", fecPlansRefused, replyPlansDeferred));
        }
        if (orderHeld + orderLate > 0) {
            b.append(String.format(Locale.ROOT, "%n  ordered delivery: held %d, released on timeout %d,"
                    + " sequence numbers skipped %d, late dropped %d", orderHeld, orderReleasedOnTimeout, orderSkipped,
                    orderLate));
            if (orderOverBudget > 0) {
                b.append(", released for the byte budget ").append(orderOverBudget);
            }
        }
        return b.toString();
    }

    private long totalFirsts() {
        long sum = 0;
        for (PathTotals p : paths.values()) {
            sum += p.firstDeliveries;
        }
        return sum;
    }

    /** @return a share as a percentage, or "-" when there is nothing to share */
    public static String share(long part, long whole) {
        return whole == 0 ? "-" : String.format(Locale.ROOT, "%.1f%%", 100.0 * part / whole);
    }

    /** @return a loss as a percentage with three decimals, or "-" if unknown (negative) */
    public static String percent(double loss) {
        return loss < 0 ? "-" : String.format(Locale.ROOT, "%.3f%%", 100 * loss);
    }

    /** @return an RTT in milliseconds, or "-" before the first sample */
    public static String rtt(long nanos) {
        return nanos < 0 ? "-" : String.format(Locale.ROOT, "%.2fms", nanos / 1e6);
    }
}
