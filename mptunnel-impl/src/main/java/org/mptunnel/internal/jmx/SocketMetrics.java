package org.mptunnel.internal.jmx;

import java.lang.management.ManagementFactory;
import java.util.function.Supplier;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.mptunnel.PathStats;
import org.mptunnel.SessionStats;
import org.mptunnel.TunnelConfig;
import org.mptunnel.TunnelStats;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Publishes one socket's statistics on the platform MBean server while the socket is open. */
public final class SocketMetrics implements SocketMetricsMXBean {

    private static final Logger LOG = LoggerFactory.getLogger(SocketMetrics.class);

    private final Supplier<TunnelStats> stats;
    private final int localPort;
    private final ObjectName name;

    private SocketMetrics(Supplier<TunnelStats> stats, int localPort, ObjectName name) {
        this.stats = stats;
        this.localPort = localPort;
        this.name = name;
    }

    /**
     * Registers the MBean {@code org.mptunnel:type=MultipathDatagramSocket,role=ROLE,port=PORT}.
     *
     * @return the registration, to {@link #unregister()} at close; null if it could not be made
     *         (logged: metrics are not worth failing the socket for)
     */
    public static SocketMetrics register(String role, int localPort, Supplier<TunnelStats> stats) {
        try {
            ObjectName name = new ObjectName("org.mptunnel:type=MultipathDatagramSocket,role=" + role + ",port=" + localPort);
            SocketMetrics metrics = new SocketMetrics(stats, localPort, name);
            ManagementFactory.getPlatformMBeanServer().registerMBean(metrics, name);
            return metrics;
        } catch (JMException | RuntimeException e) {
            LOG.warn("could not register the JMX MBean of the {} socket on port {}: {}", role, localPort, e.toString());
            return null;
        }
    }

    public ObjectName name() {
        return name;
    }

    public void unregister() {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        try {
            server.unregisterMBean(name);
        } catch (JMException e) {
            LOG.debug("unregistering {}", name, e);
        }
    }

    @Override
    public String getRole() {
        return stats.get().role().name().toLowerCase(java.util.Locale.ROOT);
    }

    @Override
    public int getLocalPort() {
        return localPort;
    }

    @Override
    public long getDelivered() {
        return stats.get().delivered();
    }

    @Override
    public long getDuplicatesDropped() {
        return stats.get().duplicatesDropped();
    }

    @Override
    public long getTooOldDropped() {
        return stats.get().tooOldDropped();
    }

    @Override
    public long getMalformedDropped() {
        return stats.get().malformedDropped();
    }

    @Override
    public long getUnknownSessionDropped() {
        return stats.get().unknownSessionDropped();
    }

    @Override
    public long getQueueDropped() {
        return stats.get().queueDropped();
    }

    @Override
    public long getSendDropped() {
        return stats.get().sendDropped();
    }

    @Override
    public long getSessionsRefused() {
        return stats.get().sessionsRefused();
    }

    @Override
    public long getAuthFailed() {
        return stats.get().authFailed();
    }

    @Override
    public long getHandshakes() {
        return stats.get().handshakes();
    }

    @Override
    public long getHandshakesRefused() {
        return stats.get().handshakesRefused();
    }

    @Override
    public long getRejectedUnopened() {
        return stats.get().rejectedUnopened();
    }

    @Override
    public long getPathChallenges() {
        return stats.get().pathChallenges();
    }

    @Override
    public long getBytesWithheld() {
        return stats.get().bytesWithheld();
    }

    @Override
    public long getFecPlansRefused() {
        return stats.get().fecPlansRefused();
    }

    @Override
    public long getReplyPlansDeferred() {
        return stats.get().replyPlansDeferred();
    }

    @Override
    public int getSessions() {
        return stats.get().sessions().size();
    }

    @Override
    public int getPaths() {
        return stats.get().sessions().stream().mapToInt(s -> s.paths().size()).sum();
    }

    @Override
    public int getPathsUp() {
        return (int) paths(stats.get()).filter(PathStats::up).count();
    }

    @Override
    public long getDatagramsSent() {
        return paths(stats.get()).mapToLong(PathStats::datagramsSent).sum();
    }

    @Override
    public long getDatagramsReceived() {
        return paths(stats.get()).mapToLong(PathStats::datagramsReceived).sum();
    }

    @Override
    public double getCopiesPerDatagram() {
        TunnelStats snapshot = stats.get();
        long datagrams = snapshot.sessions().stream().mapToLong(SessionStats::datagramsSent).sum();
        long copies = snapshot.sessions().stream().mapToLong(SessionStats::copiesSent).sum();
        return datagrams == 0 ? 0 : (double) copies / datagrams;
    }

    @Override
    public double getEstimatedLoss() {
        SessionStats session = onlySession(stats.get());
        return session == null ? -1 : session.estimatedLoss();
    }

    @Override
    public double getMeasuredLoss() {
        SessionStats session = onlySession(stats.get());
        return session == null ? -1 : session.measuredLoss();
    }

    /** @return a client's one session, or null on a server (whose sessions have no loss figures) */
    private static SessionStats onlySession(TunnelStats snapshot) {
        return snapshot.role() == TunnelConfig.Role.CLIENT && snapshot.sessions().size() == 1
                ? snapshot.sessions().get(0) : null;
    }

    @Override
    public long getOrderHeld() {
        return stats.get().ordering().held();
    }

    @Override
    public long getOrderReleasedOnTimeout() {
        return stats.get().ordering().releasedOnTimeout();
    }

    @Override
    public long getOrderReleasedForRoom() {
        return stats.get().ordering().releasedForRoom();
    }

    @Override
    public long getOrderSkipped() {
        return stats.get().ordering().skipped();
    }

    @Override
    public long getOrderLateDropped() {
        return stats.get().ordering().lateDropped();
    }

    @Override
    public long getOrderHolding() {
        return stats.get().ordering().holding();
    }

    @Override
    public long getOrderReleasedForBudget() {
        return stats.get().ordering().releasedForBudget();
    }

    @Override
    public long getOrderHeldBytes() {
        return stats.get().ordering().heldBytes();
    }

    private static java.util.stream.Stream<PathStats> paths(TunnelStats snapshot) {
        return snapshot.sessions().stream().map(SessionStats::paths).flatMap(java.util.List::stream);
    }

    @Override
    public double getWireBytesPerPayloadByte() {
        return stats.get().redundancy().wireBytesPerPayloadByte();
    }

    @Override
    public long getFecRepairsSent() {
        return stats.get().redundancy().repairsSent();
    }

    @Override
    public long getFecRepairsReceived() {
        return stats.get().redundancy().repairsReceived();
    }

    @Override
    public long getFecRecovered() {
        return stats.get().redundancy().recovered();
    }

    @Override
    public double getResidualLoss() {
        return stats.get().redundancy().residualLoss();
    }

    @Override
    public long getFecNotDecoded() {
        return stats.get().redundancy().notDecoded();
    }
}
