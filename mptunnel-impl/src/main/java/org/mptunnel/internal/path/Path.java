package org.mptunnel.internal.path;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.util.concurrent.atomic.AtomicLong;

import org.mptunnel.PathStats;
import org.mptunnel.internal.io.DatagramIo;
import org.mptunnel.internal.io.NioDatagramIo;

/**
 * One network path of a session: where its copies go, whether it is alive, and what it carried.
 *
 * <p>Threads: the I/O thread records what the path hears and decides liveness; application threads
 * read {@link #isUp()} and transmit. {@code up} is volatile and written only when it changes, so the
 * per-datagram cost on the I/O thread is a plain read.
 *
 * <p><b>Validation</b> (docs/PROTOCOL.md, "Path validation"): a server learns a path from a
 * datagram's source address, which anyone can forge, so a learned path starts unvalidated. Until
 * the address echoes a challenge ({@link #validate}), everything sent to it (challenges, acks,
 * data) is charged against what arrived from it: at most as many bytes out as in. A client's
 * paths, which go where it was configured to send, are validated from the start.
 */
public final class Path {

    /** Weight of a new RTT sample in the smoothed RTT (RFC 6298's alpha). */
    private static final int RTT_SMOOTHING_SHIFT = 3;
    /** Slots of {@link #sent}. */
    private static final int DATAGRAMS_SENT = 0;
    private static final int BYTES_SENT = 1;
    private static final int SEND_ERRORS = 2;
    private static final VarHandle DATAGRAMS_RECEIVED = Counter.inline(MethodHandles.lookup(), "datagramsReceived");
    private static final VarHandle BYTES_RECEIVED = Counter.inline(MethodHandles.lookup(), "bytesReceived");
    private static final VarHandle FIRST_DELIVERIES = Counter.inline(MethodHandles.lookup(), "firstDeliveries");
    private static final VarHandle DUPLICATES = Counter.inline(MethodHandles.lookup(), "duplicates");
    private static final VarHandle DATA_ARRIVED = Counter.inline(MethodHandles.lookup(), "dataArrived");

    private final int index;
    private final InetSocketAddress remote;
    /** Replaced (I/O thread) when a client's path is reopened because its local address went away. */
    private volatile DatagramChannel channel;
    private final boolean connected;
    private final DatagramIo io;

    private volatile boolean up = true;
    /** Set once when a client's path is removed, before its channel closes: its senders stop quietly. */
    private volatile boolean retired;
    /**
     * Set by a sender whose send failed with an error (not a full buffer), cleared by the I/O
     * thread when it looks whether the path's local address is gone; written only when it changes.
     */
    private volatile boolean sendFailed;
    /** Set (I/O thread) while the path's channel is closed for a reopening that has not succeeded yet. */
    private volatile boolean stranded;
    /** Written once, false to true, by the I/O thread; read per datagram by senders. */
    private volatile boolean validated;
    /** While unvalidated: bytes received from the address not yet spent on sending to it. */
    private final AtomicLong credit;
    /** Counts bytes not sent for want of {@link #credit}: the socket's total, shared. */
    private final Counter withheld;
    /** I/O thread: the challenge sent to the address, when (last sent), and how many times. */
    private long challenge;
    private long challengeSentNanos;
    private int challengesSent;
    /** I/O thread (server): the path's number at the client, from its keepalives; -1 before one arrives. */
    private int clientIndex = -1;
    private volatile long smoothedRttNanos = -1;
    /** I/O thread only. */
    private long lastHeardNanos;

    /** Written by application threads as they send: {@link #DATAGRAMS_SENT}, {@link #BYTES_SENT}, {@link #SEND_ERRORS}. */
    private final SharedCounters sent = new SharedCounters(3);
    /** Counted per datagram by the I/O thread, inline ({@link Counter#inline}): any thread reads. */
    private long datagramsReceived;
    private long bytesReceived;
    private long firstDeliveries;
    private long duplicates;
    /** Data datagrams of the session that arrived on this path: first copies, duplicates and late ones. */
    private long dataArrived;
    /**
     * What the I/O thread sent on the path that is not data (keepalives, acks, challenges,
     * handshake messages), so that data sent is the difference, without a count of its own on
     * the senders' path.
     */
    private final Counter controlSent = new Counter();
    /** I/O thread records; see {@link ProbeLoss}. Stays empty on a server, which does not probe. */
    private final ProbeLoss probeLoss = new ProbeLoss();
    /** I/O thread records, from the peer's per-path reports; see {@link PathLoss}. */
    private final PathLoss dataLoss = new PathLoss();

    /**
     * @param index     the path's number within its session
     * @param remote    where copies go
     * @param channel   the channel to send on
     * @param connected whether {@code channel} is connected to {@code remote} (a client's own
     *                  per-path channel) or shared and unconnected (a server's)
     * @param nowNanos  the creation time, which counts as heard: a new path starts up
     */
    public Path(int index, InetSocketAddress remote, DatagramChannel channel, boolean connected, long nowNanos) {
        this(index, remote, channel, connected, NioDatagramIo.INSTANCE, nowNanos);
    }

    /** @param io the backend {@link #transmit} writes through */
    public Path(int index, InetSocketAddress remote, DatagramChannel channel, boolean connected, DatagramIo io,
                long nowNanos) {
        this(index, remote, channel, connected, io, nowNanos, null);
    }

    /** @param withheld null for a validated path; else where bytes not sent for want of credit are counted */
    private Path(int index, InetSocketAddress remote, DatagramChannel channel, boolean connected, DatagramIo io,
                 long nowNanos, Counter withheld) {
        this.io = io;
        this.index = index;
        this.remote = remote;
        this.channel = channel;
        this.connected = connected;
        this.lastHeardNanos = nowNanos;
        this.validated = withheld == null;
        this.credit = withheld == null ? null : new AtomicLong();
        this.withheld = withheld;
    }

    /**
     * A path learned from a source address on a shared, unconnected channel: unvalidated, with no
     * credit until something is {@link #heard} from it.
     *
     * @param withheld counts bytes not sent for want of credit
     */
    public static Path unvalidated(int index, InetSocketAddress remote, DatagramChannel channel, DatagramIo io,
                                   long nowNanos, Counter withheld) {
        return new Path(index, remote, channel, false, io, nowNanos, withheld);
    }

    public int index() {
        return index;
    }

    public InetSocketAddress remote() {
        return remote;
    }

    public DatagramChannel channel() {
        return channel;
    }

    public boolean isUp() {
        return up;
    }

    /**
     * Sends one datagram. A failure of this path (an ICMP error, a full socket buffer) is counted
     * and does not stop the caller from trying the other paths.
     *
     * @param datagram the whole datagram from position 0 to its limit; its position is restored
     * @return whether the datagram left on this path
     * @throws ClosedChannelException if the socket was closed
     */
    public boolean transmit(ByteBuffer datagram) throws ClosedChannelException {
        int length = datagram.limit();
        if (!validated && !spend(length)) {
            return false;
        }
        datagram.position(0);
        DatagramChannel on = channel;
        try {
            int written = io.write(on, connected, datagram, remote);
            if (written == 0) {
                sent.add(SEND_ERRORS, 1);
                return false;
            }
        } catch (ClosedChannelException e) {
            if (retired) {
                return false; // removed while this sender was on it: the socket is still open
            }
            if (stranded || on != channel) {
                sent.add(SEND_ERRORS, 1); // being reopened: the socket is still open
                return false;
            }
            throw e;
        } catch (IOException e) {
            sent.add(SEND_ERRORS, 1);
            if (!sendFailed) {
                sendFailed = true;
            }
            return false;
        } finally {
            datagram.position(0);
        }
        sent.add(DATAGRAMS_SENT, 1);
        sent.add(BYTES_SENT, length);
        return true;
    }

    /**
     * I/O thread: sends a datagram that is not data (a keepalive, an ack, a path challenge or
     * response, a handshake message), as {@link #transmit} does, and counts it apart from data.
     *
     * @return whether the datagram left on this path
     * @throws ClosedChannelException if the socket was closed
     */
    public boolean transmitControl(ByteBuffer datagram) throws ClosedChannelException {
        if (!transmit(datagram)) {
            return false;
        }
        controlSent.increment();
        return true;
    }

    /**
     * I/O thread: data datagrams (anything sent other than by {@link #transmitControl}) that left
     * on this path so far; a send on another thread may or may not be in it yet.
     */
    public long dataSent() {
        return sent.get(DATAGRAMS_SENT) - controlSent.get();
    }

    /** I/O thread: a data datagram of the session arrived on this path, whatever the window made of it. */
    public void countDataArrived() {
        DATA_ARRIVED.setOpaque(this, dataArrived + 1);
    }

    /** @return data datagrams of the session that arrived on this path so far */
    public long dataArrived() {
        return (long) DATA_ARRIVED.getOpaque(this);
    }

    /** Any thread: takes {@code length} bytes of credit if there are that many; else counts them withheld. */
    private boolean spend(int length) {
        long available;
        do {
            available = credit.get();
            if (available < length) {
                withheld.addShared(length);
                return false;
            }
        } while (!credit.compareAndSet(available, available - length));
        return true;
    }

    /**
     * Any thread, before the path's channel is closed: the path was removed from its session, so
     * a sender that still holds it sees its channel closed without taking the socket for closed.
     */
    public void retire() {
        retired = true;
        up = false;
    }

    /**
     * I/O thread: whether a send failed (or the channel was left closed by a failed reopening)
     * since the last call; clears the mark.
     */
    public boolean takeSendFailure() {
        if (!sendFailed) {
            return stranded;
        }
        sendFailed = false;
        return true;
    }

    /**
     * I/O thread: the path sends and receives on {@code replacement} from now on (its local
     * address went away); the caller closes the old channel after this, and a sender still on it
     * sees it closed and moves on.
     */
    public void reopened(DatagramChannel replacement) {
        channel = replacement;
        stranded = false;
    }

    /**
     * I/O thread: the path's channel is about to be closed before its replacement is opened (a
     * fixed local port must be free first); until {@link #reopened}, a sender that finds it closed
     * moves on, and the I/O thread tries again.
     */
    public void strand() {
        stranded = true;
    }

    /** @return whether the address has echoed a challenge (always, for a client's configured path) */
    public boolean isValidated() {
        return validated;
    }

    /**
     * I/O thread: whether a challenge should go to this unvalidated address now: fewer than
     * {@code eager} sent yet (one per datagram heard, so that a lost challenge or answer at a
     * session's start costs the next datagram's interval, not {@code retryNanos}), or the last one
     * unanswered for {@code retryNanos}; and enough credit to pay for {@code length}.
     */
    public boolean challengeDue(long nowNanos, long retryNanos, int eager, int length) {
        return !validated && (challengesSent < eager || nowNanos - challengeSentNanos >= retryNanos)
                && credit.get() >= length;
    }

    /**
     * I/O thread: the token to send in a challenge now, drawn from {@code fresh} the first time; a
     * resent challenge repeats it, so that a late answer to the first one still counts.
     */
    public long challengeToSend(long fresh, long nowNanos) {
        if (challengesSent == 0) {
            challenge = fresh;
        }
        challengeSentNanos = nowNanos;
        challengesSent++;
        return challenge;
    }

    /**
     * I/O thread: an answer echoing {@code token} came from this path's address.
     *
     * @return whether it validated the path just now (a challenge was sent, and the token is its own)
     */
    public boolean validate(long token) {
        if (validated || challengesSent == 0 || token != challenge) {
            return false;
        }
        validated = true;
        return true;
    }

    /** @return the path's number at the client, as its keepalives say, or -1 before one arrived */
    public int clientIndex() {
        return clientIndex;
    }

    /** I/O thread (server): a keepalive from this address said which of the client's paths it is. */
    public void clientIndex(int index) {
        clientIndex = index;
    }

    /** @return this path's bit in a set of paths as a {@code long} (paths whose indices differ by 64 share one) */
    public long bit() {
        return 1L << index;
    }

    /** I/O thread: a valid datagram of {@code bytes} arrived on this path. */
    public void heard(long nowNanos, int bytes) {
        if (credit != null && !validated) { // a path made validated has no credit: no volatile read
            credit.addAndGet(bytes);
        }
        lastHeardNanos = nowNanos;
        DATAGRAMS_RECEIVED.setOpaque(this, datagramsReceived + 1);
        BYTES_RECEIVED.setOpaque(this, bytesReceived + bytes);
        if (!up) {
            up = true;
        }
    }

    /** I/O thread: marks the path down if it has been silent for {@code deadTimeoutNanos}. */
    public void checkAlive(long nowNanos, long deadTimeoutNanos) {
        if (up && nowNanos - lastHeardNanos > deadTimeoutNanos) {
            up = false;
        }
    }

    /** @return when the path last heard a valid datagram, on the I/O thread's clock */
    public long lastHeardNanos() {
        return lastHeardNanos;
    }

    /** I/O thread: folds one RTT sample into the smoothed RTT. */
    public void rttSample(long rttNanos) {
        long srtt = smoothedRttNanos;
        smoothedRttNanos = srtt < 0 ? rttNanos : srtt + ((rttNanos - srtt) >> RTT_SMOOTHING_SHIFT);
    }

    /** I/O thread: adopts the RTT the far side measured (a server learns its paths' RTT this way). */
    public void rttReported(long rttNanos) {
        smoothedRttNanos = rttNanos;
    }

    /** @return the smoothed RTT in nanoseconds, or -1 before the first sample */
    public long smoothedRttNanos() {
        return smoothedRttNanos;
    }

    /** I/O thread: the network reported an earlier send on this path as undeliverable (ICMP). */
    public void countSendError() {
        sent.add(SEND_ERRORS, 1);
    }

    public void countFirstDelivery() {
        FIRST_DELIVERIES.setOpaque(this, firstDeliveries + 1);
    }

    public void countDuplicate() {
        DUPLICATES.setOpaque(this, duplicates + 1);
    }

    /** @return this path's keepalive loss estimate (records on the I/O thread only) */
    public ProbeLoss probeLoss() {
        return probeLoss;
    }

    /** @return this path's loss of this side's data, from the peer's per-path reports (records on the I/O thread only) */
    public PathLoss dataLoss() {
        return dataLoss;
    }

    public PathStats snapshot() {
        return new PathStats(remote, up, sent.get(DATAGRAMS_SENT), sent.get(BYTES_SENT), sent.get(SEND_ERRORS),
                (long) DATAGRAMS_RECEIVED.getOpaque(this), (long) BYTES_RECEIVED.getOpaque(this),
                (long) FIRST_DELIVERIES.getOpaque(this), (long) DUPLICATES.getOpaque(this),
                smoothedRttNanos, probeLoss.roundTripLoss(), validated, dataLoss.oneWayLoss());
    }
}
