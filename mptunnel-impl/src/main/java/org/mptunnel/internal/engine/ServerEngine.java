package org.mptunnel.internal.engine;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.mptunnel.Redundancy;
import org.mptunnel.TunnelConfig;
import org.mptunnel.TunnelStats;
import org.mptunnel.internal.io.DatagramIo;
import org.mptunnel.internal.io.NioDatagramIo;
import org.mptunnel.internal.path.Path;
import org.mptunnel.internal.schedule.AllPaths;
import org.mptunnel.internal.schedule.FecRate;
import org.mptunnel.internal.schedule.FecScheduler;
import org.mptunnel.internal.schedule.ReplySpread;
import org.mptunnel.internal.session.Session;
import org.mptunnel.internal.session.SessionAddress;
import org.mptunnel.internal.session.SessionTable;
import org.mptunnel.internal.session.SessionsPerSource;
import org.mptunnel.internal.session.SourceBlock;
import org.mptunnel.internal.wire.Header;
import org.mptunnel.internal.wire.PathChallenge;
import org.mptunnel.internal.wire.Probe;
import org.mptunnel.internal.wire.Sealed;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server role of the tunnel formats, v1 and v2: one bound channel, many sessions, the format's
 * {@link Codec} and an {@link Admission} strategy: what may create a session (v1: the first
 * datagram of an unknown id, within a per-source rate; v2: an authenticated handshake). A session
 * is found by the id in each datagram, not by its source, and learns a path for every source
 * address its datagrams come from. The table has a limit; a session silent for a dead timeout may
 * be evicted for a new one, and one idle for the idle timeout expires. A reply goes on every path
 * of its session ({@link AllPaths}): a server has no probes of its own to plan with; if the client
 * codes its data (forward error correction), the replies are coded at the client's k:m, spread over
 * the paths by what the client reports of each path's replies ({@link ReplySpread}).
 */
public final class ServerEngine extends BoundEngine implements Engine.Role {

    private static final Logger LOG = LoggerFactory.getLogger(ServerEngine.class);

    final SessionTable sessions;
    /** Random per server start, echoed in every keepalive-ack so that clients can tell a restart. */
    private final long epoch = new SecureRandom().nextLong();
    private final long idleNanos;
    /** A learned path silent this long is forgotten: long enough to ride out an outage of the path. */
    private final long forgetPathNanos;
    /** Built once: a lambda made in the timer would allocate on every tick. */
    private final Consumer<Session> onExpired = this::expired;
    private final Admission admission;
    /**
     * Every path ({@link AllPaths}) for a session whose client does not code its data; for one that
     * does, its client's k:m mirrored (the client chose it for its target, which the wire does not
     * carry) with the default deadline, spread over the paths by {@link ReplySpread}.
     */
    private final FecScheduler scheduler = new FecScheduler(codec, ServerEngine::mirroredRate,
            TimeUnit.MILLISECONDS.toNanos(Redundancy.DEFAULT_FEC_DEADLINE_MILLIS), this::wakeBy);
    /** Sessions whose replies are coded, whose groups' deadlines the I/O thread watches; I/O thread only. */
    private final List<Session> codedSessions = new ArrayList<>();
    /** The coded sessions' spreads of their replies over the paths; I/O thread only. */
    final ReplySpreads replySpreads;
    /** At most {@code maxSessionsPerSource} sessions per source IP (IPv6 /64), so one host cannot fill the table. */
    private final SessionsPerSource perSource;
    /** Refusals of new sessions or handshakes are logged at most once per interval, with a count. */
    static final long REFUSAL_LOG_NANOS = TimeUnit.MINUTES.toNanos(1);
    private long refusalLoggedAt;
    private boolean refusalLogged;
    private long refusalsUnlogged;
    private long refusalLines;
    /**
     * Draws path challenge tokens: a DRBG seeded once from the OS, then a NIST SP 800-90A
     * generator, whose outputs do not reveal its state (unlike {@code SplittableRandom}'s, which
     * one output gives away), so a token seen at one address tells nothing of another's.
     */
    private final SecureRandom tokens = challengeTokens();
    /** Path challenges are written here (room for a v2 tag). */
    private final ByteBuffer challenge = Header.allocate(Header.LENGTH + PathChallenge.LENGTH + Sealed.TAG_LENGTH);
    /** A challenge's wire length: what an address must have sent before it is challenged. */
    private final int challengeLength;
    /** An unanswered challenge is sent again after this long, when its address is heard from. */
    private final long challengeRetryNanos;
    /**
     * The first challenges to an address go out with every datagram heard from it that pays for
     * one, so that a challenge or answer lost at a session's start (the client announces each path
     * a few times at once) is made up within milliseconds, not after {@link #challengeRetryNanos}.
     */
    static final int EAGER_CHALLENGES = 6;

    /** @param io the backend the channel and the sessions' paths are written through */
    ServerEngine(TunnelConfig config, DatagramChannel channel, DatagramIo io) {
        this(config, channel, io, System::nanoTime);
    }

    /** @param planningClock measures what each plan of {@link #replySpreads} took (tests: a clock of their own) */
    ServerEngine(TunnelConfig config, DatagramChannel channel, DatagramIo io, LongSupplier planningClock) {
        super(config, channel, io);
        this.replySpreads = new ReplySpreads(planningClock, totals.replyPlansDeferred);
        this.sessions = new SessionTable(config.maxSessions());
        this.perSource = new SessionsPerSource(config.maxSessionsPerSource());
        this.idleNanos = config.sessionIdleTimeout().toNanos();
        this.forgetPathNanos = Math.min(idleNanos, 10 * deadTimeoutNanos);
        this.admission = config.encrypted() ? new HandshakeResponder(this, config) : new FirstDatagramAdmission(this);
        this.challengeLength = Header.LENGTH + PathChallenge.LENGTH + (config.encrypted() ? Sealed.TAG_LENGTH : 0);
        this.challengeRetryNanos = Math.max(tickNanos, keepaliveNanos / 4);
    }

    private static SecureRandom challengeTokens() {
        try {
            return SecureRandom.getInstance("DRBG");
        } catch (NoSuchAlgorithmException e) {
            return new SecureRandom();
        }
    }

    /** Binds the server's channel and starts the I/O thread. */
    public static ServerEngine open(TunnelConfig config) throws IOException {
        return open(config, (c, channel) -> new ServerEngine(c, channel, NioDatagramIo.INSTANCE));
    }

    @Override
    public void send(byte[] data, int offset, int length, InetAddress address, int port) throws IOException {
        Session session = replyTarget(address, port);
        if (session == null) {
            return;
        }
        // v2: a session that expired or was evicted after it was looked up has its keys erased,
        // and its datagram is lost, as for a session that had already expired.
        sendData(session, scheduler, data, offset, length);
    }

    @Override
    protected void onDatagram(InetSocketAddress source, ByteBuffer datagram, int length, long now) {
        if (Header.peekType(datagram, length) == admission.handshakeType()) {
            admission.onHandshake(source, datagram, length, now);
            return;
        }
        read(this, null, source, datagram, length, now);
    }

    @Override
    public int probeType() {
        return Header.TYPE_KEEPALIVE;
    }

    @Override
    public Session session(long id) {
        return sessions.get(id);
    }

    @Override
    public Session admit(long id, InetSocketAddress source, long nowNanos) {
        return admission.admit(id, source, nowNanos);
    }

    @Override
    public Path path(Session session, Path arrivedOn, InetSocketAddress source, long nowNanos) {
        return session.pathFrom(source, nowNanos);
    }

    @Override
    public Path knownPath(Session session, Path arrivedOn, InetSocketAddress source) {
        return session.knownPath(source);
    }

    @Override
    public void opened(long nowNanos) {
    }

    /**
     * Reads the client's per-path report on this server's replies, if the keepalive has one; then
     * turns the keepalive into its ack in place (finished by the codec: sealed in v2) and sends it
     * back on its path, with the receiver's reports: what the client needs to measure its data's
     * loss, in all and on this path.
     */
    @Override
    public void onProbe(Session session, Path path, ByteBuffer datagram, long sequence, long nowNanos) {
        int clientIndex = Probe.pathIndex(datagram);
        if (clientIndex != path.clientIndex()) {
            path.clientIndex(clientIndex);
            if (path.isValidated()) {
                supersede(session, path);
            }
        }
        long reportedRttMicros = Probe.smoothedRttMicros(datagram);
        if (reportedRttMicros > 0) {
            path.rttReported(reportedRttMicros * 1_000);
        }
        if (Probe.reportLayout(datagram) == Probe.PATH_REPORT
                && path.dataLoss().report(Probe.reportAckNumber(datagram), Probe.reportArrived(datagram))) {
            scheduler.onPathReport(session, path, nowNanos);
        }
        long passed = session.passedInbound();
        // a window restarted by a confirmed jump (v1) may have counted more than it has passed since
        Probe.turnIntoAck(datagram, epoch, Math.min(session.receivedInbound(), passed), passed, path.dataArrived());
        if (!codec.finishProbe(session, datagram, Probe.ACK_LENGTH)) {
            return;
        }
        path.dataLoss().noteProbe(sequence, path.dataSent());
        try {
            path.transmitControl(datagram);
        } catch (IOException e) {
            // closed: the loop is stopping
        }
    }

    @Override
    public InetSocketAddress replyAddress(Session session) {
        return session.address();
    }

    @Override
    public int pathMessageType() {
        return Header.TYPE_PATH_RESPONSE;
    }

    /**
     * A response validates the path of the address it came from if it echoes the token sent
     * there; it learns no path (an address we never challenged has nothing to answer).
     */
    @Override
    public void onPathMessage(Session session, Path arrivedOn, InetSocketAddress source, ByteBuffer datagram,
                              int length, long nowNanos) {
        Path path = session.knownPath(source);
        if (path == null) {
            return;
        }
        path.heard(nowNanos, length);
        session.heard(nowNanos);
        try {
            if (session.validate(path, PathChallenge.token(datagram), nowNanos)) {
                LOG.debug("session {}: path {} validated", Long.toHexString(session.id()), source);
                supersede(session, path);
            }
        } catch (IOException e) {
            // closed: the loop is stopping
        }
    }

    /** I/O thread: a validated path known as the client's path number i replaces the addresses it had before. */
    private static void supersede(Session session, Path path) {
        int forgotten = session.supersede(path);
        if (forgotten > 0) {
            LOG.debug("session {}: client path {} moved to {}; {} old address(es) forgotten",
                    Long.toHexString(session.id()), path.clientIndex(), path.remote(), forgotten);
        }
    }

    /**
     * Challenges an unvalidated address as soon as it has sent as many bytes as a challenge takes
     * (whatever it sent: a v2 client's first keepalive after its handshake may be an interval
     * away), and again after {@link #challengeRetryNanos} while it does not answer. Replies that
     * the rest of its credit cannot carry meanwhile are held by the session, not lost.
     */
    @Override
    public void heardOn(Session session, Path path, long nowNanos) {
        if (!path.challengeDue(nowNanos, challengeRetryNanos, EAGER_CHALLENGES, challengeLength)) {
            return;
        }
        long token = path.challengeToSend(tokens.nextLong(), nowNanos);
        PathChallenge.writeChallenge(challenge, session.id(), session.nextPathMessage(), token);
        if (!codec.finishProbe(session, challenge, PathChallenge.LENGTH)) {
            return;
        }
        try {
            if (path.transmitControl(challenge)) {
                totals.pathChallenges.increment();
            }
        } catch (IOException e) {
            // closed: the loop is stopping
        }
    }

    /** I/O thread: sends a datagram that belongs to no path (a handshake response's copy) to {@code target}. */
    void sendTo(ByteBuffer datagram, InetSocketAddress target) throws IOException {
        io.write(channel, false, datagram, target);
    }

    /**
     * Application threads: the session a reply is addressed to.
     *
     * @return the session, or null if it expired (the datagram is counted as a send drop, lost as
     *         UDP would lose it)
     * @throws IllegalArgumentException if the address names no session at all
     */
    private Session replyTarget(InetAddress address, int port) {
        Session session = sessions.byAddress(address);
        if (session != null && port == SessionAddress.PORT) {
            return session;
        }
        if (port == SessionAddress.PORT && SessionAddress.isSessionAddress(address)) {
            totals.sendDropped.incrementShared();
            return null;
        }
        throw new IllegalArgumentException(address + ":" + port
                + " does not name a tunnel session; reply to the address receive() reported");
    }

    /**
     * I/O thread: room for one more session of {@code source}: within its per-source limit (else
     * evicting the source's own session silent for a dead timeout, if any), and in the table
     * (evicting one silent for a dead timeout if the table is full).
     *
     * @return false (counted as a refused session, and logged) if the source holds its limit or the
     *         table is full of live sessions
     */
    boolean makeRoom(InetSocketAddress source, long now) {
        SourceBlock block = SourceBlock.of(source.getAddress());
        if (!perSource.hasRoom(block)) {
            Session own = sessions.evictSilentOf(block, now, deadTimeoutNanos);
            if (own == null) {
                totals.sessionsRefused.increment();
                refused(source, "it holds the most live sessions one source may (maxSessionsPerSource)", now);
                return false;
            }
            released(own); // the source's own silent session makes room, in its share and in the table
            LOG.debug("session {} evicted for a new one of its source, at its limit", Long.toHexString(own.id()));
            return true;
        }
        if (sessions.hasRoom()) {
            return true;
        }
        Session evicted = sessions.evictSilent(now, deadTimeoutNanos);
        if (evicted == null) {
            totals.sessionsRefused.increment();
            refused(source, "the table is full of live sessions (maxSessions)", now);
            return false;
        }
        released(evicted);
        LOG.debug("session {} evicted for a new one: silent with the table full", Long.toHexString(evicted.id()));
        return true;
    }

    /**
     * I/O thread: a new session or handshake of {@code source} was refused (and counted by the
     * caller): one WARN line per {@link #REFUSAL_LOG_NANOS} at most, saying how many since the last.
     */
    void refused(InetSocketAddress source, String why, long now) {
        refusalsUnlogged++;
        if (refusalLogged && now - refusalLoggedAt < REFUSAL_LOG_NANOS) {
            return;
        }
        LOG.warn("refused a new session or handshake from {}: {} ({} refused since the last such line;"
                + " the next in a minute at the earliest)", source, why, refusalsUnlogged);
        refusalLines++;
        refusalLogged = true;
        refusalLoggedAt = now;
        refusalsUnlogged = 0;
    }

    /** @return the WARN lines {@link #refused} has written */
    long refusalLines() {
        return refusalLines;
    }

    /** I/O thread: a new session, not yet in the table (so that it can be completed before senders see it). */
    Session newSession(long id, InetSocketAddress source, long now) {
        Session session = new Session(id, SessionAddress.of(id), config.duplicateWindow(), new Path[0], channel, io,
                config.maxPathsPerSession(), totals, now);
        session.source(SourceBlock.of(source.getAddress()));
        // A reply is kept for a keepalive interval: a path whose announcements were all lost is
        // heard again within one, at its next keepalive.
        session.validateLearnedPaths(keepaliveNanos, now);
        // Numbered from the wall clock in microseconds, so that a restarted server's replies carry
        // higher numbers than the old server's (unless it sent more than one a microsecond) and the
        // client's window takes them at once, before any keepalive-ack reveals the new epoch.
        session.startOutboundAt(TimeUnit.MILLISECONDS.toMicros(System.currentTimeMillis()));
        if (codec == PlainCodec.INSTANCE) {
            session.confirmInboundJumps();
        }
        return session;
    }

    /** I/O thread: puts a session made by {@link #newSession} in the table, after {@link #makeRoom}. */
    Session add(Session session) {
        sessions.add(session);
        perSource.charge(session.source());
        LOG.debug("session {} opened ({} live)", Long.toHexString(session.id()), sessions.size());
        return session;
    }

    @Override
    public long onTimer(long now) {
        sessions.checkLiveness(now, deadTimeoutNanos, forgetPathNanos, idleNanos, onExpired);
        replySpreads.onTimer(now);
        return now + tickNanos;
    }

    private void expired(Session session) {
        released(session);
        LOG.debug("session {} expired ({} live)", Long.toHexString(session.id()), sessions.size());
    }

    private static FecRate mirroredRate(Session session) {
        FecScheduler.Groups groups = FecScheduler.groupsOf(session);
        return groups == null ? null : groups.mirrored();
    }

    /** The client codes its data: from now on the replies are coded at its rate. */
    @Override
    public void peerCodes(Session session, int k, int m, boolean duplicated) {
        FecScheduler.Groups groups = FecScheduler.groupsOf(session);
        if (groups == null) {
            groups = FecScheduler.attach(session, new FecRate(k, m, duplicated));
            codedSessions.add(session);
            replySpreads.add(session);
        } else {
            groups.mirror(k, m, duplicated);
        }
    }

    @Override
    protected long closeFecGroups(long now, long next) {
        for (int i = 0; i < codedSessions.size(); i++) {
            try {
                next = scheduler.closeDue(codedSessions.get(i), now, next);
            } catch (ClosedChannelException e) {
                return next; // closed: the loop is stopping
            }
        }
        return next;
    }

    /** I/O thread: a session left the table. */
    private void released(Session session) {
        session.discardHeld();
        if (session.schedulerState() != null) {
            codedSessions.remove(session);
            replySpreads.remove(session);
        }
        fecReleased(session);
        perSource.release(session.source());
        admission.released(session);
    }

    @Override
    public TunnelStats stats() {
        return snapshot(sessions.snapshots());
    }

    @Override
    public void close() {
        super.close();
        admission.close();
    }
}
