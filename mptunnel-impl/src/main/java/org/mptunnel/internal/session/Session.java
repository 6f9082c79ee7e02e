package org.mptunnel.internal.session;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.mptunnel.OrderingStats;
import org.mptunnel.PathStats;
import org.mptunnel.RedundancyStats;
import org.mptunnel.SessionStats;
import org.mptunnel.internal.crypto.Transport;
import org.mptunnel.internal.io.DatagramIo;
import org.mptunnel.internal.io.NioDatagramIo;
import org.mptunnel.internal.order.ReorderBuffer;
import org.mptunnel.internal.path.Counter;
import org.mptunnel.internal.path.Path;
import org.mptunnel.internal.path.SharedCounters;
import org.mptunnel.internal.window.DuplicateWindow;

/**
 * One tunnel session as one side sees it: the outbound sequence, the inbound duplicate window and
 * the paths. A client socket has exactly one; a server has one per client socket instance.
 *
 * <p>Threads: application threads take sequence numbers and fan out over {@link #paths()}; the I/O
 * thread admits inbound datagrams and, on a server, learns paths (a client's are added and removed
 * there too). The path array is replaced, never
 * changed in place, so a sender iterates a consistent snapshot without a lock.
 */
public final class Session {

    /** Slots of {@link #outbound}. */
    private static final int NEXT_SEQUENCE = 0;
    private static final int DATAGRAMS_SENT = 1;
    private static final int COPIES_SENT = 2;
    private static final int SEND_DROPPED = 3;
    private static final VarHandle DELIVERED = Counter.inline(MethodHandles.lookup(), "delivered");
    private static final VarHandle DUPLICATES = Counter.inline(MethodHandles.lookup(), "duplicates");
    private static final VarHandle TOO_OLD = Counter.inline(MethodHandles.lookup(), "tooOld");
    private static final VarHandle QUEUE_DROPPED = Counter.inline(MethodHandles.lookup(), "queueDropped");
    private static final VarHandle RECEIVED_INBOUND = Counter.inline(MethodHandles.lookup(), "receivedInbound");
    private static final VarHandle RESIDUAL_FROM = Counter.inline(MethodHandles.lookup(), "residualFrom");
    private static final int PAYLOAD_BYTES = 4;
    private static final int WIRE_BYTES = 5;
    private static final int REPAIRS_SENT = 6;

    private final long id;
    private final InetSocketAddress address;
    /** Server: the source that opened the session, charged for it. */
    private SourceBlock source;
    /** Replaced only before the session is shared ({@link #confirmInboundJumps}). */
    private DuplicateWindow window;
    private final TunnelCounters totals;
    /** The channel learned paths send on (a server's one socket); null on a client. */
    private final DatagramChannel learnedPathChannel;
    private final DatagramIo learnedPathIo;
    private final int maxPaths;

    /**
     * What senders write, in a cache line of its own (not beside {@link #lastHeardNanos} and the
     * other fields the I/O thread writes per datagram): the next outbound sequence number and the
     * send counts.
     */
    private final SharedCounters outbound = new SharedCounters(7);
    private volatile Path[] paths;
    /**
     * The paths to send on if redundancy is adaptive, chosen by the I/O thread; null: every path.
     * Replaced, never changed in place, like {@link #paths}.
     */
    private volatile Path[] sendPaths;
    /** I/O thread only. */
    private long lastHeardNanos;
    /** I/O thread only: numbers learned paths for the logs. */
    private int pathsLearned;
    /** Whether learned paths start unvalidated (a v1 or v2 server's) or trusted (legacy: the C client cannot answer). */
    private boolean validateLearnedPaths;
    /** I/O thread only: numbers path challenges (server) or responses (client) sent, for their v2 nonces. */
    private long pathMessagesSent;
    /**
     * Server (v1 and v2): the session's latest replies and those held for a path's validation
     * ({@link #sendLogged}); guarded by itself. Null on a client and a legacy server.
     */
    private ReplyLog log;
    /**
     * Whether senders go through {@link #sendLogged}: while the session is young, while a path
     * awaits validation, or while replies are held. Written by the I/O thread (and by a sender
     * that holds a reply), read without a lock on every send.
     */
    private volatile boolean logging;
    /** Server, set before the session is shared: how long a reply is kept for a path validated late. */
    private long replayWindowNanos;
    /** Server, I/O thread: until when the session logs whatever its paths. */
    private long youngUntilNanos;
    /** Under {@link #log}'s lock: the paths the last {@link #transmitLogged} sent on. */
    private long lastSentOn;
    /**
     * Protocol v2 only (null in v1): the session's keys, set by the I/O thread when its first
     * handshake completes, read by senders.
     */
    private volatile Transport transport;
    /** Protocol v2, I/O thread only: the keepalive (server) or ack (client) numbers already opened. */
    private DuplicateWindow probes;
    /** Protocol v2, server, I/O thread only: the greatest initiation timestamp accepted. */
    private long lastInitiationMicros = Long.MIN_VALUE;
    /**
     * Protocol v2, server, I/O thread only: the last accepted initiation and the response it got,
     * so that its copies from the client's other paths get the same response (null before).
     */
    private byte[] lastInitiation;
    private byte[] lastResponse;
    private long lastResponseNanos;
    /**
     * For the residual loss: the first inbound sequence accepted since the session began or the
     * peer restarted its numbering (−1 before), and {@link #receivedInbound} just before it was
     * accepted (the first copies since are the difference, so the hot path counts once). A server
     * numbers from its clock, so the passed count of the receiver's report does not start at 0.
     * Written by the I/O thread, {@code residualFrom} last with a release store, so a reader on
     * another thread that reads it first (acquire) sees its {@code receivedBeforeResidual}; the
     * I/O thread reads its own writes plainly, per datagram.
     */
    private long residualFrom = -1;
    private long receivedBeforeResidual;
    /** A client's view of its outbound data loss, from the server's reports. */
    private final ReportedLoss reportedLoss = new ReportedLoss();
    /** Puts inbound datagrams back in order, if ordered delivery is on; set once by the I/O thread. */
    private volatile ReorderBuffer<?> reorder;
    /**
     * What the send policy keeps for this session (forward error correction's groups), opaque
     * here; set once, before the session is shared or by the I/O thread.
     */
    private volatile Object schedulerState;
    /** Forward error correction of inbound datagrams; I/O thread only, null until the peer sends FEC. */
    private FecInbound fecInbound;
    /** FEC datagrams not decoded because the socket's decoders held their budget. */
    private final Counter fecOverBudget = new Counter();

    /** Counted per datagram by the I/O thread, inline ({@link Counter#inline}): any thread reads. */
    private long delivered;
    private long duplicates;
    private long tooOld;
    private long queueDropped;
    /** Inbound data datagrams accepted as first copies, reported in keepalive-acks. */
    private long receivedInbound;

    /**
     * @param id                 the session id on the wire
     * @param address            the address the application sees for this session
     * @param windowSize         the duplicate window size
     * @param paths              the initial paths (a client's configured paths; empty on a server)
     * @param learnedPathChannel the channel learned paths send on, or null if paths are fixed
     * @param maxPaths           the most paths kept
     * @param totals             the socket's totals, counted into alongside this session's own
     * @param nowNanos           the creation time, which counts as heard
     */
    public Session(long id, InetSocketAddress address, int windowSize, Path[] paths, DatagramChannel learnedPathChannel,
                   int maxPaths, TunnelCounters totals, long nowNanos) {
        this(id, address, windowSize, paths, learnedPathChannel, NioDatagramIo.INSTANCE, maxPaths, totals, nowNanos);
    }

    /** @param learnedPathIo the I/O backend learned paths write through */
    public Session(long id, InetSocketAddress address, int windowSize, Path[] paths, DatagramChannel learnedPathChannel,
                   DatagramIo learnedPathIo, int maxPaths, TunnelCounters totals, long nowNanos) {
        this.learnedPathIo = learnedPathIo;
        this.id = id;
        this.address = address;
        this.window = new DuplicateWindow(windowSize);
        this.paths = paths.clone();
        this.learnedPathChannel = learnedPathChannel;
        this.maxPaths = maxPaths;
        this.totals = totals;
        this.lastHeardNanos = nowNanos;
    }

    public long id() {
        return id;
    }

    public InetSocketAddress address() {
        return address;
    }

    public Path[] paths() {
        return paths;
    }

    /** Before the session is shared: numbers outbound data from {@code first} on. */
    public void startOutboundAt(long first) {
        outbound.start(NEXT_SEQUENCE, first);
    }

    /**
     * Before the session is shared: inbound numbers are not authenticated (protocol v1), so a
     * distant one moves the window only once confirmed ({@link DuplicateWindow}, "Distant numbers").
     */
    public void confirmInboundJumps() {
        window = new DuplicateWindow((int) window.size(), true);
    }

    /** Server, I/O thread: the source charged for the session, or null (a client's session). */
    public SourceBlock source() {
        return source;
    }

    /** Server, before the session is shared: the source it is charged to ({@link SessionsPerSource}). */
    public void source(SourceBlock charged) {
        this.source = charged;
    }

    /** Any thread: the next outbound data sequence number. */
    public long nextSequence() {
        return outbound.getAndAdd(NEXT_SEQUENCE, 1);
    }

    /**
     * Any thread: sends one datagram on each of {@code on} that is up. A failure of one path is
     * counted on it and does not stop the others.
     *
     * @param datagram the datagram from position 0 to its limit
     * @return how many paths it left on
     * @throws ClosedChannelException if the socket was closed
     */
    public static int transmitOn(Path[] on, ByteBuffer datagram) throws ClosedChannelException {
        int sent = 0;
        boolean unvalidated = false;
        for (Path path : on) {
            if (!path.isValidated()) {
                unvalidated = true;
            } else if (path.isUp() && path.transmit(datagram)) {
                sent++;
            }
        }
        // An address that has not echoed a challenge carries data only when nothing validated
        // could (a new session, or every path moved), and then only within its credit.
        if (sent == 0 && unvalidated) {
            for (Path path : on) {
                if (!path.isValidated() && path.isUp() && path.transmit(datagram)) {
                    sent++;
                }
            }
        }
        return sent;
    }

    /**
     * Any thread: an application datagram of {@code payload} bytes (0 for a repair) put
     * {@code wire} bytes on the paths, every copy counted.
     */
    public void countBytes(int payload, long wire) {
        if (payload > 0) {
            outbound.add(PAYLOAD_BYTES, payload);
        }
        outbound.add(WIRE_BYTES, wire);
    }

    /** Any thread: a repair datagram of {@code wire} bytes left on a path. */
    public void countRepair(int wire) {
        outbound.add(REPAIRS_SENT, 1);
        outbound.add(WIRE_BYTES, wire);
    }

    /** @return what the send policy keeps for this session, or null */
    public Object schedulerState() {
        return schedulerState;
    }

    /** Once, before the session is shared or on the I/O thread: what the send policy keeps for it. */
    public void schedulerState(Object state) {
        schedulerState = state;
    }

    /** I/O thread: the session's inbound forward error correction, or null */
    public FecInbound fecInbound() {
        return fecInbound;
    }

    /** I/O thread: a FEC datagram was not decoded: the socket's decoders hold their budget. */
    public void countFecOverBudget() {
        fecOverBudget.increment();
    }

    /** I/O thread: sets (or, with null, drops) the session's inbound forward error correction. */
    public void fecInbound(FecInbound inbound) {
        fecInbound = inbound;
    }

    /** Any thread: @return application datagrams sent so far (on at least one path) */
    public long datagramsSent() {
        return outbound.get(DATAGRAMS_SENT);
    }

    /** Any thread: a datagram left on {@code copies} paths; none means it was dropped. */
    public void countSent(int copies) {
        if (copies == 0) {
            outbound.add(SEND_DROPPED, 1);
            totals.sendDropped.incrementShared();
        } else {
            outbound.add(DATAGRAMS_SENT, 1);
            outbound.add(COPIES_SENT, copies);
        }
    }

    /**
     * I/O thread: from now on, send on {@code chosen} only (a subset of {@link #paths()}), or on
     * every path if null. The array is published as it is and must not be changed afterwards.
     */
    public void sendOn(Path[] chosen) {
        sendPaths = chosen;
    }

    /** @return the paths chosen by {@link #sendOn}, or null if every path is used */
    public Path[] sendPaths() {
        return sendPaths;
    }

    /**
     * I/O thread: judges an inbound data datagram that arrived on {@code path}.
     *
     * @return {@link DuplicateWindow#FRESH} if it is the first copy, to deliver;
     *         {@link DuplicateWindow#UNCONFIRMED} if it is the first copy of a distant number (v1),
     *         to deliver outside any ordering, since the window has not moved to it; else the
     *         refusal, already counted
     */
    public int admit(Path path, long sequence) {
        path.countDataArrived();
        return admitRebuilt(path, sequence);
    }

    /**
     * I/O thread: as {@link #admit}, for a datagram the FEC decoder rebuilt when a datagram arrived
     * on {@code path}: not counted as arrived on the path, whose report counts what crossed it.
     */
    public int admitRebuilt(Path path, long sequence) {
        int verdict = window.accept(sequence);
        if (verdict == DuplicateWindow.RESTARTED) {
            restartOrdering();
            verdict = DuplicateWindow.FRESH;
            RESIDUAL_FROM.setRelease(this, -1L);
        }
        if (verdict == DuplicateWindow.FRESH || verdict == DuplicateWindow.UNCONFIRMED) {
            path.countFirstDelivery();
            if (verdict == DuplicateWindow.FRESH) {
                if (residualFrom < 0) {
                    receivedBeforeResidual = receivedInbound;
                    RESIDUAL_FROM.setRelease(this, sequence);
                }
                // An unconfirmed number is not in the receiver's report either.
                RECEIVED_INBOUND.setOpaque(this, receivedInbound + 1);
            }
            return verdict;
        }
        countRefused(path, verdict);
        return verdict;
    }

    /**
     * I/O thread (protocol v2): whether a data sequence would be {@link #admit admitted}, without
     * recording it, for the look before a datagram is opened.
     *
     * @return a {@link DuplicateWindow} verdict
     */
    public int judge(long sequence) {
        return window.judge(sequence);
    }

    /**
     * I/O thread: counts a data datagram the window refused ({@link DuplicateWindow#DUPLICATE} or
     * {@link DuplicateWindow#TOO_OLD}) that arrived on {@code path} (null if the path is not known).
     */
    public void countRefused(Path path, int verdict) {
        if (verdict == DuplicateWindow.DUPLICATE) {
            if (path != null) {
                path.countDuplicate();
            }
            DUPLICATES.setOpaque(this, duplicates + 1);
            totals.duplicates.increment();
        } else {
            TOO_OLD.setOpaque(this, tooOld + 1);
            totals.tooOld.increment();
        }
    }

    /** Protocol v2: the session's keys, or null before its first handshake. */
    public Transport transport() {
        return transport;
    }

    /** I/O thread (protocol v2): the keys of the session's first handshake. */
    public void transport(Transport keys) {
        this.transport = keys;
    }

    /**
     * I/O thread (protocol v2): whether a keepalive or ack number was not opened before; with
     * {@code record}, remembers it. A 64-number window: numbers are sent in order, one per path
     * per keepalive interval.
     */
    public boolean freshProbe(long number, boolean record) {
        if (probes == null) {
            probes = new DuplicateWindow(64);
        }
        return (record ? probes.accept(number) : probes.judge(number)) == DuplicateWindow.FRESH;
    }

    /** I/O thread (protocol v2, server): the greatest initiation timestamp accepted, or Long.MIN_VALUE. */
    public long lastInitiationMicros() {
        return lastInitiationMicros;
    }

    /** I/O thread (protocol v2, server): records an accepted initiation's timestamp. */
    public void lastInitiationMicros(long micros) {
        this.lastInitiationMicros = micros;
    }

    /**
     * I/O thread (protocol v2, server): remembers an accepted initiation and its response.
     *
     * @param initiation the initiation as it arrived
     * @param response   the response, from position 0 to its limit
     */
    public void answered(byte[] initiation, ByteBuffer response, long now) {
        if (lastInitiation == null) {
            lastInitiation = new byte[initiation.length];
            lastResponse = new byte[response.limit()];
        }
        System.arraycopy(initiation, 0, lastInitiation, 0, initiation.length);
        response.get(0, lastResponse, 0, lastResponse.length);
        lastResponseNanos = now;
    }

    /**
     * I/O thread (protocol v2, server): the response to write back if {@code datagram} is a copy of
     * the last accepted initiation that arrived within {@code withinNanos} of it while its initiator
     * may still be waiting for the response (nothing has opened under its keys yet), else null.
     */
    public byte[] responseToCopy(ByteBuffer datagram, int length, long now, long withinNanos) {
        if (lastInitiation == null || length != lastInitiation.length || now - lastResponseNanos > withinNanos
                || transport == null || !transport.awaitingConfirmation()) {
            return null;
        }
        return datagram.slice(0, length).equals(ByteBuffer.wrap(lastInitiation)) ? lastResponse : null;
    }

    /** @return inbound sequence numbers passed since {@link #residualFrom}: what the residual loss is out of */
    private long residualPassed() {
        long from = (long) RESIDUAL_FROM.getAcquire(this);
        long newest = window.newest();
        return from < 0 || newest < from ? 0 : newest - from + 1;
    }

    /** @return first copies accepted since {@link #residualFrom}: what the residual loss is of */
    private long residualReceived() {
        return (long) RESIDUAL_FROM.getAcquire(this) < 0 ? 0
                : (long) RECEIVED_INBOUND.getOpaque(this) - receivedBeforeResidual;
    }

    /** I/O thread: the newest inbound sequence accepted, or -1 before the first (or since a restart). */
    public long newestInbound() {
        return window.newest();
    }

    /**
     * I/O thread: how many sequence numbers the peer has used up to the newest that arrived, for a
     * receiver's report: the newest plus one (0 before any), saturating at {@link Long#MAX_VALUE},
     * the top of the sequence space, which only a forged number reaches.
     */
    public long passedInbound() {
        long newest = window.newest();
        return newest == Long.MAX_VALUE ? newest : newest + 1;
    }

    /**
     * I/O thread: inbound data datagrams accepted as first copies so far, the window's restarts
     * included: at most {@link #passedInbound()} while the window has not restarted (a server's
     * restarts only on a confirmed distant number in v1).
     */
    public long receivedInbound() {
        return (long) RECEIVED_INBOUND.getOpaque(this);
    }

    /** @return the client's measured loss of its outbound data, from the server's reports */
    public ReportedLoss reportedLoss() {
        return reportedLoss;
    }

    /**
     * I/O thread: the peer restarted its numbering; forget what the window has seen, and release
     * what ordered delivery holds (the gaps before it belong to the old numbering).
     */
    public void restartInbound() {
        window.reset();
        restartOrdering();
    }

    private void restartOrdering() {
        ReorderBuffer<?> buffer = reorder;
        if (buffer != null) {
            buffer.restart();
        }
    }

    /** @return the session's ordered-delivery buffer, or null if it has none (yet) */
    public ReorderBuffer<?> reorder() {
        return reorder;
    }

    /** I/O thread, once: from now on inbound datagrams go through {@code buffer}. */
    public void reorderWith(ReorderBuffer<?> buffer) {
        reorder = buffer;
    }

    /** I/O thread: an admitted datagram is (+1) or after all is not (-1) queued for the application. */
    public void countDelivered(int delta) {
        DELIVERED.setOpaque(this, delivered + delta);
        totals.countDelivered(delta);
    }

    /** I/O thread: an admitted datagram found the application's queue full. */
    public void countQueueDropped() {
        QUEUE_DROPPED.setOpaque(this, queueDropped + 1);
        totals.queueDropped.increment();
    }

    /** I/O thread: the session heard a valid datagram. */
    public void heard(long nowNanos) {
        lastHeardNanos = nowNanos;
    }

    public long lastHeardNanos() {
        return lastHeardNanos;
    }

    /**
     * I/O thread (server), before the session is shared: paths learned from now on start
     * unvalidated (docs/PROTOCOL.md, "Path validation"), and the session logs its replies for
     * {@code replayWindowNanos} from now, and whenever a path awaits validation, so that a path
     * validated late is sent those of the last {@code replayWindowNanos} it missed
     * (docs/PROTOCOL.md, "First replies on every path").
     */
    public void validateLearnedPaths(long replayWindowNanos, long nowNanos) {
        validateLearnedPaths = true;
        log = new ReplyLog();
        this.replayWindowNanos = replayWindowNanos;
        youngUntilNanos = nowNanos + replayWindowNanos;
        logging = true;
    }

    /** Any thread: whether a datagram must be sent through {@link #sendLogged} (one volatile read). */
    public boolean logging() {
        return logging;
    }

    /**
     * Any thread: whether replies wait for a path to be validated, so that a later one must queue
     * behind them ({@link #sendLogged}); one volatile read unless the session is logging.
     */
    public boolean holdsReplies() {
        if (!logging) {
            return false;
        }
        synchronized (log) {
            return log.holds();
        }
    }

    /** Whether this session can hold replies for validation (a v1 or v2 server's). */
    public boolean logsReplies() {
        return log != null;
    }

    /**
     * Any thread, on a server session that {@link #logsReplies}: sends a datagram and keeps a copy
     * while the session is {@link #logging}. Behind held replies it is held too (none overtakes
     * them: a receiver with ordered delivery would drop the overtaken one as late); one that no path
     * can carry while a path awaits validation is held until one is validated (a new session's first
     * reply, often longer than the request, is delayed, not lost), within {@link ReplyLog}'s bounds;
     * else it is dropped and counted.
     *
     * @return the paths it was sent on now (0 if held: counted when it leaves)
     */
    public int sendLogged(ByteBuffer datagram) throws ClosedChannelException {
        long now = System.nanoTime();
        synchronized (log) {
            if (log.holds()) {
                if (!log.add(datagram, now, 0)) {
                    countSent(0);
                }
                return 0;
            }
            int sent = transmitLogged(datagram);
            if (sent == 0) {
                if (awaitsValidation() && log.add(datagram, now, 0)) {
                    logging = true;
                } else {
                    countSent(0);
                }
                return 0;
            }
            countSent(sent);
            if (logging) {
                log.add(datagram, now, lastSentOn); // may not fit behind nothing: then not replayed
            }
            return sent;
        }
    }

    /** Under the log's lock: {@link #transmitOn}, recording the paths it sent on in {@link #lastSentOn}. */
    private int transmitLogged(ByteBuffer datagram) throws ClosedChannelException {
        int sent = 0;
        long on = 0;
        Path[] current = paths;
        for (int pass = 0; pass < 2 && sent == 0; pass++) {
            for (Path path : current) {
                // An address that has not echoed a challenge carries data only when nothing validated could.
                if (path.isValidated() == (pass == 0) && path.isUp() && path.transmit(datagram)) {
                    sent++;
                    on |= path.bit();
                }
            }
        }
        lastSentOn = on;
        return sent;
    }

    private boolean awaitsValidation() {
        for (Path path : paths) {
            if (!path.isValidated()) {
                return true;
            }
        }
        return false;
    }

    /**
     * I/O thread (server): {@code path}'s address echoed {@code token}. If that validates it, it is
     * sent, in order, what the log holds that it has not carried: the replies held for
     * validation, and those sent in the last replay window (each a copy more of its datagram).
     * Under the log's lock, so that no sender puts a newer reply on the path before them.
     *
     * @return whether the path was validated just now
     */
    public boolean validate(Path path, long token, long nowNanos) throws ClosedChannelException {
        if (log == null) {
            return path.validate(token);
        }
        synchronized (log) {
            if (!path.validate(token)) {
                return false;
            }
            for (int i = 0; i < log.size(); i++) {
                long on = log.sentOn(i);
                if ((on & path.bit()) != 0 || on != 0 && nowNanos - log.sentNanos(i) > replayWindowNanos) {
                    continue;
                }
                if (path.transmit(log.datagram(i))) {
                    log.markSent(i, path.bit());
                    if (on == 0) {
                        countSent(1);
                    } else {
                        outbound.add(COPIES_SENT, 1); // a copy more of a datagram already counted as sent
                    }
                }
            }
            return true;
        }
    }

    /**
     * I/O thread (server), at each timer tick: the session stops logging once it is no longer
     * young, no path that is up awaits validation and nothing is held; the log's memory goes.
     */
    private void checkLogging(long nowNanos) {
        if (!logging || log == null || nowNanos - youngUntilNanos < 0) {
            return;
        }
        for (Path path : paths) {
            if (!path.isValidated() && path.isUp()) {
                return;
            }
        }
        synchronized (log) {
            if (!log.holds()) {
                logging = false;
                log.clear();
            }
        }
    }

    /**
     * I/O thread (server): {@code path}, validated, says it is the client's path number
     * {@code path.clientIndex()}: any other path that said so is an address the client's path
     * left (a NAT rebinding, a new address), and is forgotten at once, so that it gets no more data.
     *
     * @return how many paths were forgotten
     */
    public int supersede(Path path) {
        int index = path.clientIndex();
        Path[] current = paths;
        int others = 0;
        for (Path other : current) {
            if (other != path && other.clientIndex() == index) {
                others++;
            }
        }
        if (index < 0 || others == 0) {
            return 0;
        }
        Path[] next = new Path[current.length - others];
        int i = 0;
        for (Path other : current) {
            if (other == path || other.clientIndex() != index) {
                next[i++] = other;
            }
        }
        paths = next;
        return others;
    }

    /**
     * I/O thread: the session has left the table: what is still held for a validation that never
     * came is dropped, each datagram counted as sent on no path.
     */
    public void discardHeld() {
        if (log == null) {
            return;
        }
        synchronized (log) {
            for (int i = log.heldCount(); i > 0; i--) {
                countSent(0);
            }
            logging = false;
            log.clear();
        }
    }

    /** I/O thread: the number of the next path challenge (server) or response (client) this end sends. */
    public long nextPathMessage() {
        return pathMessagesSent++;
    }

    /** I/O thread (server): the path this source address stands for, or null if it is not one yet. */
    public Path knownPath(InetSocketAddress source) {
        for (Path path : paths) {
            if (path.remote().equals(source)) {
                return path;
            }
        }
        return null;
    }

    /**
     * I/O thread (server): the path this source address stands for, learned if new (unvalidated, if
     * {@link #validateLearnedPaths}). When the session already has its maximum of paths, the
     * unvalidated one silent for longest is replaced, or if all are validated, the one silent for
     * longest: forged sources can crowd each other out, not the client's validated paths.
     */
    public Path pathFrom(InetSocketAddress source, long nowNanos) {
        Path known = knownPath(source);
        if (known != null) {
            return known;
        }
        Path[] current = paths;
        Path learned = validateLearnedPaths
                ? Path.unvalidated(pathsLearned++, source, learnedPathChannel, learnedPathIo, nowNanos,
                        totals.bytesWithheld)
                : new Path(pathsLearned++, source, learnedPathChannel, false, learnedPathIo, nowNanos);
        Path[] next;
        if (current.length < maxPaths) {
            next = Arrays.copyOf(current, current.length + 1);
            next[current.length] = learned;
        } else {
            next = current.clone();
            int stalest = -1;
            for (int i = 0; i < next.length; i++) {
                if (next[i].isValidated()) {
                    continue;
                }
                if (stalest < 0 || next[i].lastHeardNanos() - next[stalest].lastHeardNanos() < 0) {
                    stalest = i;
                }
            }
            if (stalest < 0) {
                stalest = 0;
                for (int i = 1; i < next.length; i++) {
                    if (next[i].lastHeardNanos() - next[stalest].lastHeardNanos() < 0) {
                        stalest = i;
                    }
                }
            }
            next[stalest] = learned;
        }
        paths = next;
        if (log != null) {
            logging = true; // until it is validated, so that it gets what it missed
        }
        return learned;
    }

    /**
     * I/O thread (client): {@code path} joins the session. Senders see it from their next datagram;
     * those on the way keep the array they read.
     */
    public void addPath(Path path) {
        Path[] current = paths;
        Path[] next = Arrays.copyOf(current, current.length + 1);
        next[current.length] = path;
        paths = next;
    }

    /**
     * I/O thread (client): {@code path} leaves the session and the adaptive choice (which falls
     * back to every path if nothing is left of it). A sender that read the arrays before keeps
     * them: the caller {@linkplain Path#retire retires} the path before closing its channel.
     */
    public void removePath(Path path) {
        paths = without(paths, path);
        Path[] chosen = sendPaths;
        if (chosen != null) {
            Path[] left = without(chosen, path);
            sendPaths = left.length == 0 ? null : left;
        }
    }

    private static Path[] without(Path[] from, Path path) {
        Path[] next = new Path[from.length - (Arrays.asList(from).contains(path) ? 1 : 0)];
        int i = 0;
        for (Path p : from) {
            if (p != path) {
                next[i++] = p;
            }
        }
        return next;
    }

    /** I/O thread: marks silent paths down. */
    public void checkPaths(long nowNanos, long deadTimeoutNanos) {
        for (Path path : paths) {
            path.checkAlive(nowNanos, deadTimeoutNanos);
        }
        checkLogging(nowNanos);
    }

    /**
     * I/O thread (server): forgets learned paths silent for longer than {@code forgetNanos}, such
     * as a bridge's old source port after the bridge restarted on a new one.
     */
    public void forgetPaths(long nowNanos, long forgetNanos) {
        Path[] current = paths;
        int keep = 0;
        for (Path path : current) {
            if (nowNanos - path.lastHeardNanos() <= forgetNanos) {
                keep++;
            }
        }
        if (keep == current.length) {
            return;
        }
        Path[] next = new Path[keep];
        int i = 0;
        for (Path path : current) {
            if (nowNanos - path.lastHeardNanos() <= forgetNanos) {
                next[i++] = path;
            }
        }
        paths = next;
    }

    public SessionStats snapshot() {
        Path[] current = paths;
        List<PathStats> pathStats = new ArrayList<>(current.length);
        for (Path path : current) {
            pathStats.add(path.snapshot());
        }
        ReorderBuffer<?> buffer = reorder;
        FecInbound inbound = fecInbound;
        RedundancyStats redundancy = new RedundancyStats(outbound.get(PAYLOAD_BYTES), outbound.get(WIRE_BYTES),
                outbound.get(REPAIRS_SENT), inbound == null ? 0 : inbound.repairsReceived(),
                inbound == null ? 0 : inbound.recovered(), fecOverBudget.get(), residualPassed(), residualReceived());
        return new SessionStats(id, address, (long) DELIVERED.getOpaque(this), (long) DUPLICATES.getOpaque(this),
                (long) TOO_OLD.getOpaque(this), (long) QUEUE_DROPPED.getOpaque(this), outbound.get(SEND_DROPPED),
                pathStats, outbound.get(DATAGRAMS_SENT),
                outbound.get(COPIES_SENT),
                estimatedLoss(current, sendPaths), reportedLoss.measuredLoss(),
                buffer == null ? OrderingStats.NONE : buffer.counters().snapshot(), redundancy);
    }

    /**
     * The joint one-way loss the paths datagrams go out on should suffer if they lose
     * independently: the product of their estimates, over the adaptive choice if there is one,
     * else over every path that is up; -1 if one of them has no estimate yet (always on a server).
     */
    private static double estimatedLoss(Path[] all, Path[] chosen) {
        double joint = 1;
        boolean any = false;
        for (Path path : chosen != null ? chosen : all) {
            if (chosen == null && !path.isUp()) {
                continue;
            }
            double loss = path.probeLoss().oneWayLoss();
            if (loss < 0) {
                return -1;
            }
            joint *= loss;
            any = true;
        }
        return any ? joint : -1;
    }
}
