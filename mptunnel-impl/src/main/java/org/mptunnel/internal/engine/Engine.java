package org.mptunnel.internal.engine;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProtocolFamily;
import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import org.mptunnel.DatagramHandler;
import org.mptunnel.OrderingStats;
import org.mptunnel.SessionStats;
import org.mptunnel.TunnelConfig;
import org.mptunnel.TunnelStats;
import org.mptunnel.internal.io.DatagramIo;
import org.mptunnel.internal.io.Frame;
import org.mptunnel.internal.io.HeldCopies;
import org.mptunnel.internal.io.Inbox;
import org.mptunnel.internal.io.IoHandler;
import org.mptunnel.internal.io.IoLoop;
import org.mptunnel.internal.io.NioDatagramIo;
import org.mptunnel.internal.path.Path;
import org.mptunnel.internal.schedule.Scheduler;
import org.mptunnel.internal.session.FecInbound;
import org.mptunnel.internal.session.Session;
import org.mptunnel.internal.session.TunnelCounters;
import org.mptunnel.internal.window.DuplicateWindow;
import org.mptunnel.internal.wire.Fec;
import org.mptunnel.internal.wire.Header;
import org.mptunnel.internal.wire.PathChallenge;
import org.mptunnel.internal.wire.Probe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every engine shares: the inbox, the I/O loop, reading through the {@link DatagramIo} seam,
 * the counters, the wire format's {@link Codec}, delivery, and the read loop of the tunnel formats
 * ({@link #read}). A subclass says where datagrams come from and what each type means to its role.
 *
 * <p>The read path runs without sockets too: {@link #datagram} is what the I/O backend calls for
 * each datagram read into the inbox's current frame, so tests and benchmarks drive the real code
 * by putting a datagram into {@code inbox().current()} and calling it.
 */
public abstract class Engine implements IoHandler, DatagramIo.Sink {

    private static final Logger LOG = LoggerFactory.getLogger(Engine.class);

    /** Datagrams read from one channel per wake-up before the others get a turn. */
    static final int READ_BATCH = 64;
    /** How often an engine with no timer work is called all the same. */
    private static final long IDLE_TIMER_NANOS = 1_000_000_000L;
    /**
     * The most the FEC decoders of a socket's sessions hold together (each about 32 groups of its
     * peer's k + m shards of 1,504 bytes: 578 KB at k = 8, m = 4): 64 MiB, some 110 such sessions.
     * A session beyond it is not decoded (its data still delivered), counted in its
     * {@code RedundancyStats.notDecoded}.
     */
    static final long FEC_DECODER_BUDGET = 64L << 20;
    /** Asked of the kernel for each channel; Linux caps it at net.core.[rw]mem_max. */
    static final int SOCKET_BUFFER_BYTES = 4 << 20;

    protected final TunnelConfig config;
    protected final TunnelCounters totals = new TunnelCounters();
    /** The wire format: how datagrams are checked, opened and encoded. */
    final Codec codec;
    /** The I/O backend datagrams are read and written through. */
    protected final DatagramIo io;
    protected final Inbox inbox;
    protected final long keepaliveNanos;
    protected final long deadTimeoutNanos;
    /** How often the timer runs: liveness is judged at this granularity. */
    protected final long tickNanos;
    /** Takes deliveries on this thread instead of the inbox; null when {@code receive} does. */
    private final DatagramHandler handler;
    /** Puts each session's datagrams back in order; null when ordered delivery is off. */
    private final Reordering ordering;
    /** A keyed server's budget of failed opens per source; null otherwise. */
    private final FailedOpenBudget failedOpens;
    /** What the sessions' FEC decoders hold, against {@link #FEC_DECODER_BUDGET}; I/O thread only. */
    private long fecDecoderBytes;
    private IoLoop loop;
    /** What ended the I/O thread, if something did: the socket is then closed. */
    private volatile Throwable failure;

    protected Engine(TunnelConfig config) {
        this(config, NioDatagramIo.INSTANCE);
    }

    protected Engine(TunnelConfig config, DatagramIo io) {
        this.config = config;
        this.codec = Codec.of(config);
        this.io = io;
        this.inbox = new Inbox(config.receiveQueueCapacity(), codec.overhead()
                + Math.max(config.maxPayloadSize() + (config.wireFormat().isLegacy() ? 0 : Fec.MAX_EXPANSION),
                        Probe.ACK_LENGTH));
        this.keepaliveNanos = config.keepaliveInterval().toNanos();
        this.deadTimeoutNanos = config.deadTimeout().toNanos();
        this.tickNanos = Math.max(5_000_000L, Math.min(keepaliveNanos, deadTimeoutNanos) / 4);
        this.handler = config.receiveHandler();
        this.ordering = config.orderedDelivery().isEnabled()
                ? new Reordering(config.orderedDelivery(), this) : null;
        this.failedOpens = codec.authenticates() && config.role() == TunnelConfig.Role.SERVER
                ? new FailedOpenBudget(ThreadLocalRandom.current().nextLong()) : null;
    }

    /** Starts the I/O thread over the channels registered with {@code selector}. */
    protected final void start(String threadName, Selector selector) {
        loop = new IoLoop(threadName, selector, this);
        loop.start();
    }

    /** @return the I/O loop, once started */
    protected final IoLoop loop() {
        return loop;
    }

    /**
     * Any thread: sends one datagram to the session named by the address (ignored on a client,
     * which has one session).
     */
    public abstract void send(byte[] data, int offset, int length, InetAddress address, int port) throws IOException;

    /** @return the local address of the first channel */
    public abstract InetSocketAddress localAddress();

    /** @return every channel the engine owns, for socket options */
    public abstract List<DatagramChannel> channels();

    public abstract TunnelStats stats();

    /** @return the socket's totals with the given sessions' snapshots */
    protected final TunnelStats snapshot(List<SessionStats> sessions) {
        return TunnelStats.builder(config.role())
                .delivered(totals.delivered())
                .duplicatesDropped(totals.duplicates.get())
                .tooOldDropped(totals.tooOld.get())
                .malformedDropped(totals.malformed.get())
                .unknownSessionDropped(totals.unknownSession.get())
                .queueDropped(totals.queueDropped.get())
                .sendDropped(totals.sendDropped.get())
                .sessionsRefused(totals.sessionsRefused.get())
                .authFailed(totals.authFailed.get())
                .handshakes(totals.handshakes.get())
                .handshakesRefused(totals.handshakesRefused.get())
                .rejectedUnopened(totals.rejectedUnopened.get())
                .pathChallenges(totals.pathChallenges.get())
                .bytesWithheld(totals.bytesWithheld.get())
                .fecPlansRefused(totals.fecPlansRefused.get())
                .replyPlansDeferred(totals.replyPlansDeferred.get())
                .sessions(sessions)
                .ordering(ordering == null ? OrderingStats.NONE : ordering.totals())
                .build();
    }

    public final Inbox inbox() {
        return inbox;
    }

    /** @return what ended the I/O thread (the socket is then closed), or null while it runs or after a close */
    public final Throwable failure() {
        return failure;
    }

    /**
     * I/O thread, which is ending: records the failure before the channels close (so that a sender
     * already sees it), wakes a blocked receiver, and tells the application's failure handler.
     */
    @Override
    public final void onFailed(Throwable cause) {
        failure = cause;
        inbox.wakeForClose();
        Consumer<Throwable> failureHandler = config.failureHandler();
        if (failureHandler != null) {
            try {
                failureHandler.accept(cause);
            } catch (RuntimeException e) {
                LOG.debug("failure handler threw", e);
            }
        }
    }

    /** I/O thread: runs the timer no later than {@code nanos} (an engine without an I/O thread has none). */
    protected final void timerAt(long nanos) {
        if (loop != null) {
            loop.timerAt(nanos);
        }
    }

    /** @return how many times the I/O loop has turned (woken up) so far, for tests; any thread */
    public final long ioTurns() {
        return loop == null ? 0 : loop.turns();
    }

    /** Stops the I/O thread, closes every channel and wakes a blocked receiver. */
    public void close() {
        if (loop != null) {
            loop.close();
        }
        inbox.wakeForClose();
    }

    /**
     * Any thread: encodes a data datagram once and hands it to the scheduler, which sends it on
     * the paths it chooses; a datagram the codec cannot encode now (v2: its session's keys were
     * erased since it was found) is lost as UDP would lose it, counted.
     */
    final void sendData(Session session, Scheduler scheduler, byte[] data, int offset, int length)
            throws ClosedChannelException {
        if (scheduler.sendData(session, codec, data, offset, length) < 0) {
            totals.sendDropped.incrementShared();
        }
    }

    /** Any thread: the I/O thread must run its deadlines by {@code nanos} (a FEC group's). */
    protected final void wakeBy(long nanos) {
        IoLoop running = loop;
        if (running != null) {
            running.wakeBy(nanos);
        }
    }

    /** I/O thread: reads what the ready channel has through the I/O backend. */
    @Override
    public final void onReadable(SelectionKey key) {
        io.read(key, this, READ_BATCH);
    }

    /** I/O thread: the buffer the next datagram is read into, the inbox's current frame. */
    @Override
    public final ByteBuffer nextBuffer() {
        return inbox.current().clearedBuffer();
    }

    /**
     * I/O thread: one datagram of {@code length} bytes sits in the inbox's current frame. Nothing
     * a peer sends may stop the I/O thread: an unexpected failure drops the datagram, counted.
     */
    @Override
    public final void datagram(Object endpoint, InetSocketAddress source, ByteBuffer buffer, int length, long nowNanos) {
        try {
            received(endpoint, source, buffer, length, nowNanos);
        } catch (RuntimeException e) {
            droppedOnError(e);
        }
    }

    /** The kernel reported an earlier send on a client's path as undeliverable (ICMP). */
    @Override
    public final void sendFailed(Object endpoint) {
        if (endpoint instanceof Path) {
            ((Path) endpoint).countSendError();
        }
    }

    /**
     * I/O thread: one datagram of {@code length} bytes in the inbox's current frame.
     *
     * @param endpoint what the channel was registered with: a client's {@link Path}, or null
     * @param source   where it came from
     */
    protected abstract void received(Object endpoint, InetSocketAddress source, ByteBuffer datagram, int length,
                                     long nowNanos);

    /** What {@link #read} asks of a role of the tunnel formats (v1 and v2), client or server. */
    interface Role {

        /** @return the probe type this role receives: {@code TYPE_KEEPALIVE_ACK} (client) or {@code TYPE_KEEPALIVE} (server) */
        int probeType();

        /** @return the session with this id, or null; nothing is created */
        Session session(long id);

        /** An id with no session: a new session if this role admits one here, else null (counted). */
        Session admit(long id, InetSocketAddress source, long nowNanos);

        /** @return the path the datagram came on, learned if new */
        Path path(Session session, Path arrivedOn, InetSocketAddress source, long nowNanos);

        /** @return the path the datagram came on if it is known, else null; nothing is learned */
        Path knownPath(Session session, Path arrivedOn, InetSocketAddress source);

        /** A datagram of the session was opened (and so is authentic, with a sealed codec). */
        void opened(long nowNanos);

        /** A probe of {@link #probeType()}, valid (and opened), arrived on {@code path}. */
        void onProbe(Session session, Path path, ByteBuffer datagram, long sequence, long nowNanos);

        /** @return the address the application sees the session's datagrams come from */
        InetSocketAddress replyAddress(Session session);

        /**
         * @return the path validation message this role receives: {@code TYPE_PATH_CHALLENGE}
         *         (client) or {@code TYPE_PATH_RESPONSE} (server)
         */
        int pathMessageType();

        /**
         * A path validation message of {@link #pathMessageType()}, valid (and opened), for a known
         * session, arrived on {@code arrivedOn} (client) from {@code source}. Nothing has been
         * learned or marked heard for it.
         */
        void onPathMessage(Session session, Path arrivedOn, InetSocketAddress source, ByteBuffer datagram, int length,
                           long nowNanos);

        /** A data datagram or probe, valid (and opened), was heard on {@code path}. */
        void heardOn(Session session, Path path, long nowNanos);

        /** The peer's data of this session is coded at this rate (a server mirrors it in its replies). */
        default void peerCodes(Session session, int k, int m, boolean duplicated) {
        }
    }

    /**
     * I/O thread: one datagram of the tunnel formats in the inbox's current frame, in the order
     * protocol v2 needs: check the header, find the session (no state changes before it is
     * found), judge it against the duplicate window without recording (a copy is not worth
     * opening), drop it unopened if it cannot open (keys of its generation not held) or its source
     * is over its budget of failed opens (a keyed server), open, and only then learn the path, mark
     * it and the session heard, and deliver (which records the sequence) or act on the probe.
     * With a codec that does not authenticate
     * (v1) there is nothing to open: the window is not judged ahead, so every valid copy counts as
     * heard on its path and duplicates are counted when the window records.
     */
    final void read(Role role, Path arrivedOn, InetSocketAddress source, ByteBuffer datagram, int length, long now) {
        int type = codec.check(datagram, length);
        int probeType = role.probeType();
        int pathType = role.pathMessageType();
        boolean data = type == Header.TYPE_DATA || type == Header.TYPE_FEC_DATA;
        if (!data && type != Header.TYPE_FEC_REPAIR && type != probeType && type != pathType) {
            totals.malformed.increment(); // malformed, or a probe only the other role receives
            return;
        }
        long id = codec.sessionId(datagram);
        Session session = role.session(id);
        boolean sealed = codec.authenticates();
        if (type == pathType) {
            readPathMessage(role, session, arrivedOn, source, datagram, length, now);
            return;
        }
        if (!sealed && type == probeType && !probeValid(probeType, datagram)) {
            totals.malformed.increment(); // before a session is made for it
            return;
        }
        if (session == null && (session = role.admit(id, source, now)) == null) {
            return;
        }
        long sequence = codec.sequence(datagram);
        if (sealed) {
            if (data) {
                int verdict = session.judge(sequence);
                if (verdict != DuplicateWindow.FRESH) {
                    // Not opened, as a copy is not worth it; it still arrived on its path, for the
                    // path's report (at worst a forged one makes a known path look better).
                    Path known = role.knownPath(session, arrivedOn, source);
                    if (known != null) {
                        known.countDataArrived();
                    }
                    session.countRefused(known, verdict);
                    return;
                }
            } else if (type != Header.TYPE_FEC_REPAIR // no window: a replayed repair adds nothing to its group
                    && !session.freshProbe(sequence, false)) {
                totals.duplicates.increment(); // a replayed probe
                return;
            }
            if (!codec.mayOpen(session, datagram, now) || failedOpens != null && failedOpens.anyOver(now)
                    && failedOpens.refuses(source, role.knownPath(session, arrivedOn, source) != null, now)) {
                totals.rejectedUnopened.increment();
                return;
            }
        }
        int payload = codec.open(session, datagram, length, now);
        if (payload < 0) {
            totals.authFailed.increment();
            if (failedOpens != null) {
                failedOpens.failed(source, role.knownPath(session, arrivedOn, source) != null, length, now);
            }
            return;
        }
        if (sealed && type == probeType && (payload != Probe.KEEPALIVE_LENGTH || !probeValid(probeType, datagram))) {
            totals.malformed.increment(); // authentic, but not a probe this version knows
            return;
        }
        if (sealed && (type == Header.TYPE_FEC_DATA && !Fec.dataValid(datagram, payload)
                || type == Header.TYPE_FEC_REPAIR && !Fec.repairValid(datagram, payload))) {
            totals.malformed.increment(); // authentic, but not a FEC block this version knows
            return;
        }
        Path path = role.path(session, arrivedOn, source, now);
        path.heard(now, length);
        session.heard(now);
        role.opened(now);
        role.heardOn(session, path, now);
        if (type == Header.TYPE_DATA) {
            admitData(session, path, sequence, codec.payloadOffset(), payload, role.replyAddress(session));
            return;
        }
        if (type == Header.TYPE_FEC_DATA || type == Header.TYPE_FEC_REPAIR) {
            readFec(role, session, path, type, sequence, datagram, payload);
            return;
        }
        if (sealed) {
            session.freshProbe(sequence, true);
        }
        role.onProbe(session, path, datagram, sequence, now);
    }

    /**
     * A path challenge or response: only for a session that exists (it creates none), opened in
     * v2 (no window: a replayed one can only repeat what its token already did), then the role's.
     */
    private void readPathMessage(Role role, Session session, Path arrivedOn, InetSocketAddress source,
                                 ByteBuffer datagram, int length, long now) {
        if (session == null) {
            totals.unknownSession.increment();
            return;
        }
        int payload = codec.open(session, datagram, length, now);
        if (payload < 0) {
            totals.authFailed.increment();
            return;
        }
        if (payload != PathChallenge.LENGTH) {
            totals.malformed.increment(); // authentic, but not a path message this version knows
            return;
        }
        role.onPathMessage(session, arrivedOn, source, datagram, length, now);
    }

    /**
     * A FEC datagram, checked, opened and heard: its data or repair goes to the session's decoder
     * (made at the first, within the socket's budget), a data datagram is delivered as DATA is, and
     * what the decoder rebuilt is delivered after it, each with its own sequence number, through
     * the window (so counted once, whichever copy comes first) and ordered delivery.
     */
    private void readFec(Role role, Session session, Path path, int type, long sequence, ByteBuffer datagram,
                         int payload) {
        InetSocketAddress reply = role.replyAddress(session);
        boolean isData = type == Header.TYPE_FEC_DATA;
        int k = isData ? Fec.dataK(datagram) : Fec.repairK(datagram);
        int m = isData ? Fec.dataM(datagram) : Fec.repairM(datagram);
        FecInbound inbound = fecInbound(session, k, m);
        if (isData) {
            role.peerCodes(session, k, m, Fec.duplicated(datagram));
            int length = payload - (Fec.DATA_PAYLOAD_OFFSET - Header.LENGTH);
            if (inbound != null) {
                datagram.limit(Fec.DATA_PAYLOAD_OFFSET + length).position(Fec.DATA_PAYLOAD_OFFSET);
                inbound.data(inbound.group(Fec.group(datagram)), Fec.dataIndex(datagram), sequence, datagram);
            }
            admitData(session, path, sequence, Fec.DATA_PAYLOAD_OFFSET, length, reply);
        } else {
            // The sender counts a repair among the datagrams it sent on the path (Path#dataSent),
            // so the path's report must count its arrival too, or its measured loss is the share of
            // repair it carries.
            path.countDataArrived();
        }
        if (!isData && inbound != null) {
            datagram.limit(Header.LENGTH + payload).position(Fec.REPAIR_PAYLOAD_OFFSET);
            inbound.repair(inbound.group(Fec.group(datagram)), Fec.firstSequence(datagram), datagram);
        }
        if (inbound == null) {
            return;
        }
        for (int i = 0; i < inbound.pending(); i++) {
            ByteBuffer rebuilt = inbound.pendingPayload(i);
            long rebuiltSequence = inbound.pendingSequence(i);
            if (rebuilt == null || rebuiltSequence < 0) {
                continue;
            }
            // The current frame is free: the datagram that completed the group is delivered or done with.
            int length = rebuilt.remaining();
            inbox.current().clearedBuffer().put(Fec.DATA_PAYLOAD_OFFSET, rebuilt, rebuilt.position(), length);
            admitData(session, path, rebuiltSequence, Fec.DATA_PAYLOAD_OFFSET, length, reply, true);
        }
        inbound.clearPending();
    }

    /** @return the session's decoder, made or grown for groups of k and m if the budget allows; else null (counted) */
    private FecInbound fecInbound(Session session, int k, int m) {
        FecInbound inbound = session.fecInbound();
        if (inbound != null && inbound.fits(k, m)) {
            return inbound;
        }
        long had = inbound == null ? 0 : inbound.bytes();
        long needs = FecInbound.bytesFor(inbound == null ? k : Math.max(k, inbound.decoderK()),
                inbound == null ? m : Math.max(m, inbound.decoderM()));
        if (fecDecoderBytes - had + needs > FEC_DECODER_BUDGET) {
            session.countFecOverBudget();
            return null;
        }
        fecDecoderBytes += needs - had;
        if (inbound == null) {
            inbound = new FecInbound(k, m);
            session.fecInbound(inbound);
        } else {
            inbound.grow(k, m);
        }
        return inbound;
    }

    /** I/O thread: a session left the engine: its decoder's memory goes back to the budget. */
    protected final void fecReleased(Session session) {
        FecInbound inbound = session.fecInbound();
        if (inbound != null) {
            fecDecoderBytes -= inbound.bytes();
            session.fecInbound(null);
        }
    }

    /** What the header check leaves to a probe's payload; a keepalive and its ack are equally long. */
    private static boolean probeValid(int probeType, ByteBuffer datagram) {
        return probeType == Header.TYPE_KEEPALIVE ? Probe.keepaliveValid(datagram) : Probe.ackValid(datagram);
    }

    /**
     * I/O thread: admits a data datagram of any wire format that sits in the inbox's current frame
     * and delivers it if it is the first copy.
     *
     * @param sequence      the datagram's number as the duplicate window counts it, non-negative
     * @param payloadOffset where the payload starts in the frame
     */
    final void admitData(Session session, Path path, long sequence, int payloadOffset,
                                   int payloadLength, InetSocketAddress sender) {
        admitData(session, path, sequence, payloadOffset, payloadLength, sender, false);
    }

    /** @param rebuilt whether the FEC decoder rebuilt it (not arrived on {@code path}: not in its report) */
    private void admitData(Session session, Path path, long sequence, int payloadOffset, int payloadLength,
                           InetSocketAddress sender, boolean rebuilt) {
        int verdict = rebuilt ? session.admitRebuilt(path, sequence) : session.admit(path, sequence);
        if (verdict == DuplicateWindow.FRESH || verdict == DuplicateWindow.UNCONFIRMED) {
            Frame frame = inbox.current();
            frame.payload(payloadOffset, payloadLength, sender);
            if (ordering != null && verdict == DuplicateWindow.FRESH) { // a distant number would flush the order
                ordering.offer(session, sequence, frame);
            } else {
                deliver(session, frame);
            }
        }
    }

    /**
     * I/O thread: hands a datagram to the receive handler or to {@code receive}: the current frame,
     * or a copy that ordered delivery held back ({@link HeldCopies}; its owner takes it back after).
     */
    final void deliver(Session session, Frame frame) {
        if (handler != null) {
            deliverToHandler(session, frame);
            return;
        }
        // Counted before the hand-off, so that stats() read after receive() returns already
        // includes the datagram; taken back if the queue turns out to be full.
        session.countDelivered(1);
        if (!(HeldCopies.isCopy(frame) ? inbox.deliverCopyOf(frame) : inbox.deliverCurrent())) {
            session.countDelivered(-1);
            session.countQueueDropped();
        }
    }

    /**
     * I/O thread: an engine with no timer work (the legacy formats: no keepalive, no expiry) only
     * needs the loop to wake for it rarely.
     */
    @Override
    public long onTimer(long nowNanos) {
        return nowNanos + IDLE_TIMER_NANOS;
    }

    /** I/O thread: releases held datagrams whose wait is over; see {@link Reordering}. */
    @Override
    public final long onDeadlines(long nowNanos, long nextTimerNanos) {
        long next = closeFecGroups(nowNanos, nextTimerNanos);
        return ordering == null ? next : ordering.expire(nowNanos, next);
    }

    /**
     * I/O thread: closes the FEC groups whose deadline has passed, sending their repairs.
     *
     * @return the earliest deadline of those still open, or {@code nextNanos} if later
     */
    protected long closeFecGroups(long nowNanos, long nextNanos) {
        return nextNanos;
    }

    /** I/O thread, stopped: what ordered delivery held is dropped with the socket. */
    @Override
    public final void onStopped() {
        if (ordering != null) {
            ordering.discardAll();
        }
    }

    /**
     * I/O thread: hands the frame's payload to the application's handler. The current frame stays
     * current, so the next datagram is read over it: no queue, no wake-up, no copy. A throwing
     * handler costs only its datagram, counted as not delivered, as a full queue would be.
     */
    private void deliverToHandler(Session session, Frame frame) {
        // Counted before the call, as for the inbox, so that stats() read from inside the
        // handler or just after it already include the datagram.
        session.countDelivered(1);
        try {
            handler.onDatagram(frame.payloadBuffer(), frame.sender());
        } catch (RuntimeException e) {
            session.countDelivered(-1);
            session.countQueueDropped();
            LOG.debug("receive handler threw; its datagram is dropped", e);
        }
    }

    /**
     * I/O thread: a datagram's handling failed in a way no input should cause. It is dropped and
     * counted, and the loop goes on: nothing a peer sends may stop the I/O thread.
     */
    protected final void droppedOnError(RuntimeException e) {
        totals.malformed.increment();
        LOG.debug("datagram dropped after an unexpected error", e);
    }

    protected static DatagramChannel openChannel(ProtocolFamily family) throws IOException {
        DatagramChannel channel = family == null ? DatagramChannel.open() : DatagramChannel.open(family);
        try {
            trySetOption(channel, StandardSocketOptions.SO_RCVBUF, SOCKET_BUFFER_BYTES);
            trySetOption(channel, StandardSocketOptions.SO_SNDBUF, SOCKET_BUFFER_BYTES);
            channel.configureBlocking(false);
            return channel;
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    private static <T> void trySetOption(DatagramChannel channel, SocketOption<T> option, T value) {
        try {
            channel.setOption(option, value);
        } catch (IOException | UnsupportedOperationException e) {
            LOG.debug("could not set {} to {}", option, value, e);
        }
    }
}
