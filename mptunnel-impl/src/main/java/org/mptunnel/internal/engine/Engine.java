package org.mptunnel.internal.engine;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProtocolFamily;
import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.Selector;
import java.util.List;
import org.mptunnel.DatagramHandler;
import org.mptunnel.OrderingStats;
import org.mptunnel.SessionStats;
import org.mptunnel.TunnelConfig;
import org.mptunnel.TunnelStats;
import org.mptunnel.internal.crypto.Aead;
import org.mptunnel.internal.crypto.Transport;
import org.mptunnel.internal.io.Frame;
import org.mptunnel.internal.io.Inbox;
import org.mptunnel.internal.io.IoHandler;
import org.mptunnel.internal.io.IoLoop;
import org.mptunnel.internal.path.Path;
import org.mptunnel.internal.session.Session;
import org.mptunnel.internal.session.TunnelCounters;
import org.mptunnel.internal.wire.Header;
import org.mptunnel.internal.wire.Probe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What both roles share: the inbox, the I/O loop, the counters, encoding for fan-out and the
 * per-datagram receive loop. A subclass says where datagrams come from and what each type means.
 */
public abstract class Engine implements IoHandler {

    private static final Logger LOG = LoggerFactory.getLogger(Engine.class);

    /** Datagrams read from one channel per wake-up before the others get a turn. */
    static final int READ_BATCH = 64;
    /** Asked of the kernel for each channel; Linux caps it at net.core.[rw]mem_max. */
    static final int SOCKET_BUFFER_BYTES = 4 << 20;

    protected final TunnelConfig config;
    protected final TunnelCounters totals = new TunnelCounters();
    protected final Inbox inbox;
    protected final long keepaliveNanos;
    protected final long deadTimeoutNanos;
    /** How often the timer runs: liveness is judged at this granularity. */
    protected final long tickNanos;
    /** Takes deliveries on this thread instead of the inbox; null when {@code receive} does. */
    private final DatagramHandler handler;
    /** Puts each session's datagrams back in order; null when ordered delivery is off. */
    private final Reordering ordering;
    private IoLoop loop;

    protected Engine(TunnelConfig config) {
        this.config = config;
        // A sealed datagram (protocol v2) carries a tag after its payload.
        this.inbox = new Inbox(config.receiveQueueCapacity(), Header.LENGTH
                + Math.max(config.maxPayloadSize(), Probe.ACK_LENGTH) + (config.encrypted() ? Aead.TAG_LENGTH : 0),
                config.orderedDelivery().maxHeld());
        this.keepaliveNanos = config.keepaliveInterval().toNanos();
        this.deadTimeoutNanos = config.deadTimeout().toNanos();
        this.tickNanos = Math.max(5_000_000L, Math.min(keepaliveNanos, deadTimeoutNanos) / 4);
        this.handler = config.receiveHandler();
        this.ordering = config.orderedDelivery().isEnabled()
                ? new Reordering(config.orderedDelivery(), this, inbox) : null;
    }

    /** Starts the I/O thread over the channels registered with {@code selector}. */
    protected final void start(String threadName, Selector selector) {
        loop = new IoLoop(threadName, selector, this);
        loop.start();
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
        return new TunnelStats(config.role(), totals.delivered.get(), totals.duplicates.get(), totals.tooOld.get(),
                totals.malformed.get(), totals.unknownSession.get(), totals.queueDropped.get(),
                totals.sendDropped.get(), totals.sessionsRefused.get(), totals.authFailed.get(),
                totals.handshakes.get(), totals.handshakesRefused.get(), sessions,
                ordering == null ? OrderingStats.NONE : ordering.totals());
    }

    public final Inbox inbox() {
        return inbox;
    }

    /** Stops the I/O thread, closes every channel and wakes a blocked receiver. */
    public void close() {
        if (loop != null) {
            loop.close();
        }
        inbox.wakeForClose();
    }

    /** Encodes a data datagram once into the calling thread's send buffer, ready for every path. */
    protected static ByteBuffer encodeData(Session session, byte[] data, int offset, int length) {
        ByteBuffer out = SendBuffers.get();
        Header.write(out, Header.TYPE_DATA, session.id(), session.nextSequence(), length);
        out.put(Header.LENGTH, data, offset, length);
        out.limit(Header.LENGTH + length).position(0);
        return out;
    }

    /**
     * Protocol v2: encodes a data datagram once into the calling thread's send buffer and seals it
     * in place under the session's current keys, ready for every path. Any thread.
     */
    protected static ByteBuffer encodeSealedData(Session session, Transport keys, byte[] data, int offset, int length) {
        ByteBuffer out = SendBuffers.get();
        Header.write(out, Header.TYPE_DATA, session.id(), session.nextSequence(), length);
        out.put(Header.VERSION_OFFSET, Header.VERSION_SEALED);
        out.put(Header.LENGTH, data, offset, length);
        out.limit(keys.seal(out, length)).position(0);
        return out;
    }

    /**
     * I/O thread: admits a data datagram that sits in the inbox's current frame and delivers it
     * if it is the first copy.
     */
    protected final void admitData(Session session, Path path, ByteBuffer datagram,
                                   int length, InetSocketAddress sender) {
        admitData(session, path, Header.sequence(datagram), Header.LENGTH, length - Header.LENGTH, sender);
    }

    /**
     * I/O thread: admits a data datagram of any wire format that sits in the inbox's current frame
     * and delivers it if it is the first copy.
     *
     * @param sequence      the datagram's number as the duplicate window counts it, non-negative
     * @param payloadOffset where the payload starts in the frame
     */
    protected final void admitData(Session session, Path path, long sequence, int payloadOffset,
                                   int payloadLength, InetSocketAddress sender) {
        if (session.admit(path, sequence)) {
            Frame frame = inbox.current();
            frame.payload(payloadOffset, payloadLength, sender);
            if (ordering != null) {
                ordering.offer(session, sequence, frame);
            } else {
                deliver(session, frame);
            }
        }
    }

    /**
     * I/O thread: hands a frame to the receive handler or to {@code receive}: the current frame,
     * or one that ordered delivery held back (which then returns to the pool or the queue).
     */
    final void deliver(Session session, Frame frame) {
        if (handler != null) {
            deliverToHandler(session, frame);
            inbox.recycle(frame);
            return;
        }
        // Counted before the hand-off, so that stats() read after receive() returns already
        // includes the datagram; taken back if the queue turns out to be full.
        session.countDelivered(1);
        if (!inbox.deliver(frame)) {
            session.countDelivered(-1);
            session.countQueueDropped();
        }
    }

    /** I/O thread: releases held datagrams whose wait is over; see {@link Reordering}. */
    @Override
    public final long onDeadlines(long nowNanos, long nextTimerNanos) {
        return ordering == null ? nextTimerNanos : ordering.expire(nowNanos, nextTimerNanos);
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
     * current, so the next datagram is read over it (a held one goes back to the pool): no queue,
     * no wake-up, no copy. A throwing
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
