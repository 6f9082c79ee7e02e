package org.mptunnel.internal.engine;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.nio.channels.ClosedChannelException;
import java.util.List;
import java.util.function.LongConsumer;
import org.mptunnel.Redundancy;
import org.mptunnel.TunnelConfig;
import org.mptunnel.TunnelStats;
import org.mptunnel.internal.io.DatagramIo;
import org.mptunnel.internal.io.NioDatagramIo;
import org.mptunnel.internal.path.Path;
import org.mptunnel.internal.schedule.AdaptiveFecRates;
import org.mptunnel.internal.schedule.AdaptivePlanner;
import org.mptunnel.internal.schedule.AllPaths;
import org.mptunnel.internal.schedule.FecRate;
import org.mptunnel.internal.schedule.FecRates;
import org.mptunnel.internal.schedule.FecScheduler;
import org.mptunnel.internal.schedule.Scheduler;
import org.mptunnel.internal.session.Session;
import org.mptunnel.internal.session.TunnelCounters;
import org.mptunnel.internal.wire.Header;
import org.mptunnel.internal.wire.PathChallenge;

/**
 * The client role of the tunnel formats, v1 and v2: one session, one connected channel per path
 * (see {@link ConnectedEngine}), the format's {@link Codec}, {@link Probing} (keepalives, liveness,
 * RTT, loss), a {@link Scheduler} (every path, or adaptive redundancy's choice) and, with a
 * pre-shared key, a {@link ClientHandshake} before anything is sealed and again to rekey.
 */
public final class ClientEngine extends ConnectedEngine implements Engine.Role {

    /**
     * Each challenge is answered this many times at once: a path gets the session's replies only
     * once an answer has arrived, and a one-query session has one round trip for it (the copies
     * are identical; the server's second finds the path validated and changes nothing).
     */
    static final int ANSWER_COPIES = 2;

    private final Session session;
    private final Scheduler scheduler;
    private final Probing probing;
    /** Protocol v2 only; null in v1. */
    private final ClientHandshake handshake;

    ClientEngine(TunnelConfig config, long sessionId, Path[] paths, InetSocketAddress peer, long now) {
        super(config, paths, peer);
        this.session = new Session(sessionId, peer, config.duplicateWindow(), paths, null, paths.length, totals, now);
        if (codec == PlainCodec.INSTANCE) {
            session.confirmInboundJumps();
        }
        this.scheduler = scheduler(config, session, codec, keepaliveNanos, this::wakeBy, totals);
        this.probing = new Probing(session, codec, scheduler, peer, keepaliveNanos, deadTimeoutNanos, tickNanos, now);
        this.handshake = config.encrypted() ? new ClientHandshake(config, session, totals,
                (data, offset, length) -> send(data, offset, length, null, 0), keepaliveNanos, deadTimeoutNanos, now)
                : null;
    }

    /** The configuration's send policy; a FEC one codes the session from its first datagram. */
    private static Scheduler scheduler(TunnelConfig config, Session session, Codec codec, long keepaliveNanos,
                                       LongConsumer wakeBy, TunnelCounters totals) {
        Redundancy redundancy = config.redundancy();
        if (redundancy.isAdaptive()) {
            return new AdaptivePlanner(session, redundancy.targetLoss(), keepaliveNanos);
        }
        if (redundancy.isFec()) {
            FecScheduler.attach(session, null);
            FecRates rates = redundancy.isFecAdaptive()
                    ? new AdaptiveFecRates(session, redundancy.targetLoss(), redundancy.groupDeadline(),
                            totals.fecPlansRefused)
                    : FecRates.fixed(new FecRate(redundancy.groupData(), redundancy.groupRepair(), false));
            return new FecScheduler(codec, rates, redundancy.groupDeadline().toNanos(), wakeBy);
        }
        return AllPaths.INSTANCE;
    }

    /** Opens one channel per path, bound and connected, and starts the I/O thread (which handshakes in v2). */
    public static ClientEngine open(TunnelConfig config) throws IOException {
        return open(config, NioDatagramIo.INSTANCE);
    }

    /** As {@link #open(TunnelConfig)}, the paths writing through {@code io} (tests fail sends with it). */
    static ClientEngine open(TunnelConfig config, DatagramIo io) throws IOException {
        long sessionId = new SecureRandom().nextLong();
        return open(config, (c, paths, peer, now) -> new ClientEngine(c, sessionId, paths, peer, now), io);
    }

    /**
     * An engine over paths opened elsewhere, with no I/O thread of its own: datagrams are handed to
     * it through {@link #datagram}, and it writes through its paths. The benchmarks drive the real
     * read path with it; a backend of one's own could too.
     */
    public static ClientEngine over(TunnelConfig config, long sessionId, Path[] paths, long nowNanos) {
        return new ClientEngine(config, sessionId, paths, config.peerAddress(), nowNanos);
    }

    public long sessionId() {
        return session.id();
    }

    @Override
    protected Session session() {
        return session;
    }

    @Override
    protected void pathAdded(Path path, long nowNanos) {
        probing.pathAdded(path);
    }

    @Override
    public void send(byte[] data, int offset, int length, InetAddress address, int port) throws IOException {
        if (handshake != null && handshake.holdUntilKeys(data, offset, length)) {
            return;
        }
        sendData(session, scheduler, data, offset, length);
    }

    @Override
    protected void onDatagram(Path path, ByteBuffer datagram, int length, long now) {
        if (handshake != null && Header.peekType(datagram, length) == Header.TYPE_RESPONSE) {
            boolean first = session.transport() == null;
            handshake.onResponse(path, datagram, length, now);
            if (first && session.transport() != null) {
                probing.keysArrived(now);
                timerAt(now); // the paths' announcement, now
            }
            return;
        }
        read(this, path, peer, datagram, length, now);
    }

    @Override
    public long onTimer(long now) {
        if (handshake != null) {
            handshake.handshakeIfDue(now);
        }
        reopenPathsIfNeeded(now);
        long next = probing.onTimer(now, handshake == null || session.transport() != null);
        if (handshake != null) {
            next = Math.min(next, handshake.nextInitiation(next));
        }
        return scheduler.onTimer(now, next);
    }

    @Override
    protected long closeFecGroups(long now, long next) {
        if (scheduler instanceof FecScheduler) {
            try {
                return ((FecScheduler) scheduler).closeDue(session, now, next);
            } catch (ClosedChannelException e) {
                return next; // closed: the loop is stopping
            }
        }
        return next;
    }

    @Override
    public int probeType() {
        return Header.TYPE_KEEPALIVE_ACK;
    }

    @Override
    public Session session(long id) {
        return id == session.id() ? session : null;
    }

    /** A client has one session: any other id is another socket's. */
    @Override
    public Session admit(long id, InetSocketAddress source, long nowNanos) {
        totals.unknownSession.increment();
        return null;
    }

    @Override
    public Path path(Session of, Path arrivedOn, InetSocketAddress source, long nowNanos) {
        return arrivedOn;
    }

    @Override
    public Path knownPath(Session of, Path arrivedOn, InetSocketAddress source) {
        return arrivedOn;
    }

    @Override
    public void opened(long nowNanos) {
        if (handshake != null) {
            handshake.opened(nowNanos);
        }
    }

    @Override
    public void onProbe(Session of, Path path, ByteBuffer datagram, long sequence, long nowNanos) {
        probing.onAck(path, datagram, sequence, nowNanos);
    }

    @Override
    public InetSocketAddress replyAddress(Session of) {
        return peer;
    }

    @Override
    public int pathMessageType() {
        return Header.TYPE_PATH_CHALLENGE;
    }

    /**
     * The server asks whether this path's address is really ours: the challenge is heard on the
     * path, and echoed in place on the same path (sealed in v2), as long as the challenge, in
     * {@link #ANSWER_COPIES} copies; then
     * {@link Probing#onChallenge} probes the path again.
     */
    @Override
    public void onPathMessage(Session of, Path arrivedOn, InetSocketAddress source, ByteBuffer datagram, int length,
                              long nowNanos) {
        arrivedOn.heard(nowNanos, length);
        session.heard(nowNanos);
        opened(nowNanos);
        PathChallenge.turnIntoResponse(datagram, session.nextPathMessage());
        if (!codec.finishProbe(session, datagram, PathChallenge.LENGTH)) {
            return;
        }
        try {
            for (int copy = 0; copy < ANSWER_COPIES; copy++) {
                arrivedOn.transmitControl(datagram);
            }
        } catch (IOException e) {
            return; // closed: the loop is stopping
        }
        probing.onChallenge(arrivedOn, nowNanos);
    }

    @Override
    public void heardOn(Session of, Path path, long nowNanos) {
    }

    @Override
    public void close() {
        super.close();
        if (handshake != null) {
            handshake.destroy();
        }
    }

    @Override
    public TunnelStats stats() {
        return snapshot(List.of(session.snapshot()));
    }
}
