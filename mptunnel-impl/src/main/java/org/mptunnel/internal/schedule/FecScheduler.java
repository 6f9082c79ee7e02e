package org.mptunnel.internal.schedule;

import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.util.function.LongConsumer;
import org.mptunnel.internal.fec.FecEncoder;
import org.mptunnel.internal.path.Path;
import org.mptunnel.internal.session.Session;
import org.mptunnel.internal.wire.Fec;
import org.mptunnel.internal.wire.Header;

/**
 * Forward error correction across the paths (docs/ARCHITECTURE.md, "Forward error correction in
 * the engines"). Each data datagram leaves at once as FEC_DATA on one path (two if the rate says
 * so), the paths taken in turn; when the group has k datagrams, or from the I/O thread when its
 * deadline passes, its m repairs follow (a group the deadline closed with n &lt; k datagrams gets
 * m·n/k of them, rounded up), continuing the same turn over the paths, so that data and repairs
 * are interleaved and a path that dies costs each group only its share: erasures.
 * The rate (k, m, duplication, and optionally the path of each of the group's datagrams, as a
 * planner spreads them: {@link FecRate#spread}) is asked of a {@link FecRates} at each group's
 * first datagram, so it may change from one group to the next. A datagram placed on a path that is
 * gone, down or not validated takes the next in turn instead.
 *
 * <p>A session is coded once it has {@link Groups} ({@link #attach}); until then (a server whose
 * client has not sent FEC) datagrams go on every path as {@link AllPaths} sends them. Datagrams
 * longer than {@value Fec#MAX_CODED_PAYLOAD} bytes close the open group and leave uncoded the
 * same way.
 *
 * <p>Threads: a group's datagrams must have consecutive sequence numbers, so each is numbered,
 * encoded, copied into the group and sent under the session's {@link Groups} lock, which the I/O
 * thread also takes to close a group at its deadline. It is the one lock on this data path:
 * uncontended while one thread sends, held for a copy per datagram and, for the datagram that
 * closes a group, the coding and sending of its repairs.
 */
public final class FecScheduler implements Scheduler {

    private final DatagramWriter writer;
    private final FecRates rates;
    private final long deadlineNanos;
    private final LongConsumer wakeBy;

    /**
     * @param writer        the engine's codec
     * @param rates         each group's code rate
     * @param deadlineNanos how long after its first datagram a group closes with fewer than k
     * @param wakeBy        asks the I/O thread to run {@link #closeDue} by the given time
     */
    public FecScheduler(DatagramWriter writer, FecRates rates, long deadlineNanos, LongConsumer wakeBy) {
        this.writer = writer;
        this.rates = rates;
        this.deadlineNanos = deadlineNanos;
        this.wakeBy = wakeBy;
    }

    /** Lets the source of rates revise them (an adaptive one plans here). */
    @Override
    public long onTimer(long nowNanos, long nextTickNanos) {
        return rates.onTimer(nowNanos, nextTickNanos);
    }

    /** One session's outbound groups: the encoder, the open group, the turn over the paths. Guarded by itself. */
    public static final class Groups {
        private FecEncoder encoder;
        /** The open (or last) group's rate, number and first sequence. */
        private FecRate rate;
        private long group = -1;
        private long first;
        /** When the open group must close; {@link #NONE} if none is open. */
        private volatile long deadline;
        private boolean open;
        private int cursor;
        private long repairNumber;
        /** A server's: the rate its client's data last carried. */
        private volatile FecRate mirrored;
        /** A server's: its replies' group deadline ({@link ReplySpread}); 0: the scheduler's. */
        private volatile long deadlineNanos;

        Groups(FecRate mirrored) {
            this.mirrored = mirrored;
        }

        /** @return the rate the peer's data last carried (a server's replies use it), or null */
        public FecRate mirrored() {
            return mirrored;
        }

        /** I/O thread: the peer's data carries this rate; a new instance only when it changes. */
        public void mirror(int k, int m, boolean duplicate) {
            FecRate current = mirrored;
            if (current == null || current.k() != k || current.m() != m || current.duplicate() != duplicate) {
                mirrored = new FecRate(k, m, duplicate);
            }
        }

        /**
         * I/O thread: the replies' placement over the paths for the mirrored k:m ({@link ReplySpread});
         * ignored if the peer's rate changed since (its next plan follows).
         */
        /** I/O thread ({@link ReplySpread}): the deadline of the replies' groups opened from now on; 0: the scheduler's. */
        void replyDeadline(long nanos) {
            deadlineNanos = nanos;
        }

        /** @return the replies' group deadline, or 0 for the scheduler's */
        long replyDeadline() {
            return deadlineNanos;
        }

        void spreadMirrored(FecRate spread) {
            FecRate current = mirrored;
            if (current != null && current.k() == spread.k() && current.m() == spread.m()
                    && current.duplicate() == spread.duplicate()) {
                mirrored = spread;
            }
        }
    }

    /** @return the session's groups, or null if its datagrams are not coded */
    public static Groups groupsOf(Session session) {
        Object state = session.schedulerState();
        return state instanceof Groups ? (Groups) state : null;
    }

    /**
     * Before the session is shared (a client), or on the I/O thread (a server, at its client's first
     * FEC datagram): from now on its datagrams are coded.
     *
     * @return its groups
     */
    public static Groups attach(Session session, FecRate mirrored) {
        Groups groups = groupsOf(session);
        if (groups == null) {
            groups = new Groups(mirrored);
            session.schedulerState(groups);
        }
        return groups;
    }

    /** A datagram encoded elsewhere: on every path, uncoded. */
    @Override
    public int send(Session session, ByteBuffer datagram) throws ClosedChannelException {
        return AllPaths.INSTANCE.send(session, datagram);
    }

    @Override
    public int sendData(Session session, DatagramWriter ignored, byte[] data, int offset, int length)
            throws ClosedChannelException {
        Groups g = groupsOf(session);
        if (g == null) {
            return Scheduler.super.sendData(session, writer, data, offset, length);
        }
        synchronized (g) {
            if (length > Fec.MAX_CODED_PAYLOAD) {
                close(session, g);
                return Scheduler.super.sendData(session, writer, data, offset, length);
            }
            boolean opens = !g.open;
            if (opens) {
                FecRate rate = rates.rateFor(session);
                if (rate == null) { // a server's session whose client has not said its rate
                    return Scheduler.super.sendData(session, writer, data, offset, length);
                }
                openGroup(g, rate);
            }
            int index = g.encoder.openCount();
            ByteBuffer datagram = writer.encodeFecData(session, data, offset, length, (int) g.group, index, g.rate);
            if (datagram == null) {
                // No keys: no sequence was taken. A seal that failed after taking one would break
                // the group's run of numbers, so the group closes with what it has.
                close(session, g);
                return -1;
            }
            if (index == 0) {
                g.first = Header.sequence(datagram);
            }
            g.encoder.add(data, offset, length);
            int wire = datagram.limit();
            int sent = transmitData(session, g, datagram, index);
            session.countBytes(length, (long) sent * wire);
            if (g.encoder.openCount() == 0) {
                g.open = false;
                g.deadline = 0;
                sendRepairs(session, g, g.rate.m());
            } else if (index == 0) {
                long own = g.deadlineNanos;
                long deadline = System.nanoTime() + (own > 0 ? own : deadlineNanos);
                g.deadline = deadline;
                wakeBy.accept(deadline);
            }
            return sent;
        }
    }

    private static void openGroup(Groups g, FecRate rate) {
        if (g.encoder == null || g.encoder.dataCount() != rate.k() || g.encoder.repairCount() != rate.m()) {
            g.encoder = new FecEncoder(rate.k(), rate.m(), Fec.MAX_CODED_PAYLOAD); // only when the rate changes
        }
        g.rate = rate;
        g.group++;
        g.open = true;
    }

    /**
     * I/O thread: closes the session's open group if its deadline has passed and sends its repairs.
     *
     * @return when its open group must close, or {@code later} if none is open or it is later
     */
    public long closeDue(Session session, long now, long later) throws ClosedChannelException {
        Groups g = groupsOf(session);
        if (g == null || !g.open) {
            return later;
        }
        long deadline = g.deadline;
        if (now - deadline < 0) {
            return deadline - later < 0 ? deadline : later;
        }
        synchronized (g) {
            if (g.open && now - g.deadline >= 0) {
                close(session, g);
            }
        }
        return later;
    }

    /** Under the lock: closes the open group, if any, with what it has. */
    private void close(Session session, Groups g) throws ClosedChannelException {
        int count = g.encoder == null ? 0 : g.encoder.openCount();
        if (g.open && g.encoder.closeGroup()) {
            g.open = false;
            sendRepairs(session, g, repairsFor(g.rate, count));
        }
        g.open = false;
    }

    /**
     * The repairs of a group closed with {@code count} of its k data datagrams: the rate's share,
     * m × count / k rounded up, so that a deadline that closes groups early costs the rate's
     * overhead, not more (all m repairs for one datagram would be m + 1 copies of it). The group is
     * protected as a shorter code of the same rate is; the receiver learns count from any repair.
     */
    public static int repairsFor(FecRate rate, int count) {
        return (rate.m() * count + rate.k() - 1) / rate.k();
    }

    /** Under the lock: the closed group's first {@code repairs} repairs, each on its placed path or the next in turn. */
    private void sendRepairs(Session session, Groups g, int repairs) throws ClosedChannelException {
        for (int i = 0; i < repairs; i++) {
            ByteBuffer repair = writer.encodeRepair(session, g.repairNumber++, (int) g.group, g.rate, g.first,
                    g.encoder.repair(i));
            if (repair == null) {
                return;
            }
            int wire = repair.limit();
            if (transmitPlaced(session, g, repair, g.rate.repairPathOf(i), 1) > 0) {
                session.countRepair(wire);
            }
        }
    }

    /** Under the lock: a data datagram on its path(s) in turn; on every path as {@link AllPaths} would if none took it. */
    private static int transmitData(Session session, Groups g, ByteBuffer datagram, int index)
            throws ClosedChannelException {
        if (session.holdsReplies()) {
            // Behind held replies (none may overtake them). Coded datagrams are not logged for a path
            // validated late: to the decoder that path's share of a group is erasures.
            return AllPaths.INSTANCE.send(session, datagram);
        }
        int sent = transmitPlaced(session, g, datagram, g.rate.dataPathOf(index), g.rate.duplicate() ? 2 : 1);
        if (sent == 0) {
            return AllPaths.INSTANCE.send(session, datagram);
        }
        session.countSent(sent);
        return sent;
    }

    /**
     * Under the lock: on the path the rate places the datagram on, if it names one that is there,
     * validated and up (a duplicate goes on the next in turn); else on the next paths in turn.
     *
     * @return how many paths took it, at most {@code copies}
     */
    private static int transmitPlaced(Session session, Groups g, ByteBuffer datagram, int placed, int copies)
            throws ClosedChannelException {
        Path[] paths = session.paths();
        if (placed >= 0 && placed < paths.length) {
            Path path = paths[placed];
            if (path.isValidated() && path.isUp() && path.transmit(datagram)) {
                g.cursor = placed;
                return copies == 1 ? 1 : 1 + transmitInTurn(session, g, datagram, copies - 1);
            }
        }
        return transmitInTurn(session, g, datagram, copies);
    }

    /** @return how many of the next validated paths that are up took the datagram, at most {@code copies} */
    private static int transmitInTurn(Session session, Groups g, ByteBuffer datagram, int copies)
            throws ClosedChannelException {
        Path[] paths = session.paths();
        int sent = 0;
        for (int tried = 0; tried < paths.length && sent < copies; tried++) {
            if (++g.cursor >= paths.length) {
                g.cursor = 0;
            }
            Path path = paths[g.cursor];
            if (path.isValidated() && path.isUp() && path.transmit(datagram)) {
                sent++;
            }
        }
        return sent;
    }
}
