package org.mptunnel.internal.engine;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.mptunnel.TunnelConfig;
import org.mptunnel.TunnelStats;
import org.mptunnel.internal.path.Path;
import org.mptunnel.internal.session.AdaptivePlanner;
import org.mptunnel.internal.session.Session;
import org.mptunnel.internal.wire.Header;
import org.mptunnel.internal.wire.Probe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client role of wire format v1: one session, one connected channel per path (see
 * {@link ConnectedEngine}), keepalives on every path, liveness and RTT per path.
 */
public final class ClientEngine extends ConnectedEngine {

    private static final Logger LOG = LoggerFactory.getLogger(ClientEngine.class);

    /** An RTT sample above this is a stale or forged echo, not a measurement. */
    static final long MAX_RTT_NANOS = TimeUnit.SECONDS.toNanos(60);
    /** The shortest wait for a probe's ack before the probe counts as lost; see probeTimeout. */
    private static final long MIN_PROBE_TIMEOUT_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final Session session;
    /** I/O thread only: keepalives are written here. */
    private final ByteBuffer probe = Header.allocate(Header.LENGTH + Probe.ACK_LENGTH);
    private long nextKeepalive;
    private long probeNumber;
    /** I/O thread only: the server's epoch from its last keepalive-ack, once one has arrived. */
    private long serverEpoch;
    private boolean epochKnown;
    /** I/O thread only: when each path was last probed. */
    private final long[] lastProbeSent;
    /** I/O thread only: chooses the paths to send on; null if every datagram goes on every path. */
    private final AdaptivePlanner planner;

    private ClientEngine(TunnelConfig config, long sessionId, Path[] paths, InetSocketAddress peer, long now) {
        super(config, paths, peer);
        this.session = new Session(sessionId, peer, config.duplicateWindow(), paths, null, paths.length, totals, now);
        this.nextKeepalive = now;
        this.lastProbeSent = new long[paths.length];
        this.planner = config.redundancy().isAdaptive()
                ? new AdaptivePlanner(session, config.redundancy().targetLoss(), keepaliveNanos) : null;
    }

    /** Opens one channel per path, bound and connected, and starts the I/O thread. */
    public static ClientEngine open(TunnelConfig config) throws IOException {
        long sessionId = new SecureRandom().nextLong();
        return open(config, (c, paths, peer, now) -> new ClientEngine(c, sessionId, paths, peer, now));
    }

    public long sessionId() {
        return session.id();
    }

    @Override
    public void send(byte[] data, int offset, int length, InetAddress address, int port) throws IOException {
        session.fanOut(encodeData(session, data, offset, length));
    }

    @Override
    protected void onDatagram(Path path, ByteBuffer datagram, int length, long now) {
        int type = Header.check(datagram, length);
        if (type == Header.MALFORMED) {
            totals.malformed.increment();
            return;
        }
        if (Header.sessionId(datagram) != session.id()) {
            totals.unknownSession.increment();
            return;
        }
        switch (type) {
            case Header.TYPE_DATA:
                path.heard(now, length);
                session.heard(now);
                admitData(session, path, datagram, length, peer);
                break;
            case Header.TYPE_KEEPALIVE_ACK:
                if (!Probe.ackValid(datagram)) {
                    totals.malformed.increment();
                    return;
                }
                path.heard(now, length);
                session.heard(now);
                long rtt = System.nanoTime() - Probe.originTime(datagram); // a fresh clock for the sample
                if (Probe.pathIndex(datagram) == path.index() && rtt >= 0 && rtt < MAX_RTT_NANOS) {
                    path.rttSample(rtt);
                    path.probeLoss().acked(Header.sequence(datagram));
                }
                noteServerEpoch(Probe.epoch(datagram));
                if (session.reportedLoss().report(Probe.received(datagram), Probe.passed(datagram)) && planner != null) {
                    planner.reported(now); // at once, not at the next tick: a burst shows within milliseconds
                }
                break;
            default:
                totals.malformed.increment(); // a keepalive: only servers answer those
        }
    }

    /**
     * A new epoch means the server restarted and has forgotten the session. Its replies normally
     * run ahead of the old server's (it numbers them from its clock), but if its clock stepped back
     * the old window would refuse them; so the inbound window restarts here. The session goes on
     * under the same id (the server recreates it from the next datagram).
     */
    private void noteServerEpoch(long epoch) {
        if (epochKnown && epoch != serverEpoch) {
            session.restartInbound();
            session.reportedLoss().restart();
            LOG.info("server {} restarted (epoch {} -> {})", peer,
                    Long.toHexString(serverEpoch), Long.toHexString(epoch));
        }
        serverEpoch = epoch;
        epochKnown = true;
    }

    /**
     * Every interval, a keepalive on every path. A path that has heard nothing for a whole interval
     * is in doubt: it is probed four times as often until it answers, so that a lossy but working
     * path is not marked down for a few lost probes (with 20 % loss each way, three probes all fail
     * 5 % of the time; the nine or so a doubtful path gets before the dead timeout, 0.01 %).
     */
    @Override
    public long onTimer(long now) {
        boolean round = now - nextKeepalive >= 0;
        if (round) {
            nextKeepalive = now + keepaliveNanos;
        }
        for (int i = 0; i < paths.length; i++) {
            Path path = paths[i];
            path.probeLoss().expire(now, probeTimeout(path));
            // With adaptive redundancy every path is watched as closely as one in doubt: see
            // AdaptivePlanner.probeIntervalNanos.
            boolean inDoubt = planner != null || now - path.lastHeardNanos() > keepaliveNanos;
            if (round || (inDoubt && now - lastProbeSent[i] >= keepaliveNanos / 4)) {
                sendKeepalive(path, now);
                lastProbeSent[i] = now;
            }
        }
        session.checkPaths(now, deadTimeoutNanos);
        if (planner != null) {
            planner.plan(now);
        }
        return Math.min(nextKeepalive, now + Math.min(tickNanos, keepaliveNanos / 4));
    }

    /**
     * How long a probe's ack may take before the probe counts as lost: a keepalive interval, but
     * at least {@link #MIN_PROBE_TIMEOUT_NANOS}, plus four smoothed RTTs. Generous, because an ack
     * that is merely late (a busy machine, a queue on the path) would otherwise count as lost: on
     * a loaded two-core machine, 10 ms plus two RTTs charged clean paths with 7 % loss.
     */
    private long probeTimeout(Path path) {
        return probeTimeout(path, keepaliveNanos);
    }

    /** {@link #probeTimeout(Path)} for any client engine with this keepalive interval. */
    static long probeTimeout(Path path, long keepaliveNanos) {
        return Math.max(keepaliveNanos, MIN_PROBE_TIMEOUT_NANOS) + 4 * Math.max(path.smoothedRttNanos(), 0);
    }

    private void sendKeepalive(Path path, long now) {
        long srtt = path.smoothedRttNanos();
        long number = probeNumber++;
        Probe.writeKeepalive(probe, session.id(), number, System.nanoTime(), path.index(),
                srtt < 0 ? 0 : TimeUnit.NANOSECONDS.toMicros(srtt));
        try {
            if (path.transmit(probe)) {
                path.probeLoss().sent(number, now);
            }
        } catch (IOException e) {
            // closed: the loop is stopping
        }
    }

    @Override
    public TunnelStats stats() {
        return snapshot(List.of(session.snapshot()));
    }
}
