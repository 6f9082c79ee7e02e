package org.mptunnel.internal.crypto;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.LongAdder;
import org.mptunnel.internal.wire.Header;
import org.mptunnel.internal.wire.Sealed;

/**
 * One session's transport keys at one end (docs/PROTOCOL.md, "Transport" and "Rekeying"): seals and
 * opens whole version 2 datagrams in place, the 24-byte header as associated data and the
 * datagram's type and sequence as the nonce. It holds the current key generation, the next one
 * while a responder awaits its confirmation, and the previous generation's receive key during its
 * grace period. Replays of authentic datagrams are not its business: the engine's duplicate window
 * (DATA) and probe window (keepalives) refuse them after {@link #open} succeeds.
 *
 * <p>Socket-free and clock-free: times are passed in. Threads: {@link #seal} may be called from
 * any number of threads at once (each seals with its own {@link Handshake.Keys#sealer()}, and the
 * current generation is read once per datagram from a volatile field); everything else belongs to
 * one thread, the engine's I/O thread.
 */
public final class Transport {

    private static final int HEADER = Header.LENGTH;

    private final long graceNanos;
    private volatile Handshake.Keys current;
    private Handshake.Keys next;
    /**
     * Earlier generations that still open during their grace, newest first. Two, not one: a peer
     * may complete two handshakes before the other end has switched (a rekey soon followed by
     * another, or by a re-handshake after silence), and the other end may still be sealing under
     * the older of the two, or have sealed under the newer one before an offer replaced it.
     */
    private final Handshake.Keys[] previous = new Handshake.Keys[2];
    private final long[] previousUntil = new long[2];
    private long currentSince;
    /** I/O thread: whether a datagram has opened under the newest keys given (key confirmation). */
    private boolean confirmed;
    /** Striped, so that concurrent senders do not contend on one counter. */
    private final LongAdder sealedUnderCurrent = new LongAdder();

    /**
     * @param first      the keys of the session's first handshake
     * @param graceNanos how long a previous generation still opens after a switch
     */
    public Transport(Handshake.Keys first, long nowNanos, long graceNanos) {
        this.current = first;
        this.currentSince = nowNanos;
        this.graceNanos = graceNanos;
    }

    /**
     * Responder, I/O thread: whether nothing has opened yet under the keys of the latest handshake
     * answered, so that its initiator may still be waiting for the response.
     */
    public boolean awaitingConfirmation() {
        return !confirmed;
    }

    /** The generation datagrams are sealed under. */
    public int generation() {
        return current.generation;
    }

    /**
     * Initiator: the keys of a rekey's completed handshake; sealing switches to them at once, the
     * old generation still opens for the grace period.
     */
    public void install(Handshake.Keys keys, long nowNanos) {
        retire(nowNanos);
        current = keys;
    }

    /**
     * Responder: the keys of a rekey it answered. They open datagrams at once, but sealing stays
     * on the current generation until the first datagram under the new one opens (key
     * confirmation). A later offer replaces an unconfirmed one. An offer of the current
     * generation replaces the current keys at once: the initiator retried because it never got
     * the response that gave them, so nothing was ever sealed under them on its side.
     */
    public void offer(Handshake.Keys keys, long nowNanos) {
        confirmed = false;
        if ((keys.generation & 0xFFFF) == (current.generation & 0xFFFF)) {
            Handshake.Keys replaced = current;
            current = keys; // before the old keys are destroyed, so that senders move on first
            replaced.destroy();
            return;
        }
        if (next != null) {
            keep(next, nowNanos); // the initiator may have sealed under it before it rekeyed again
        }
        next = keys;
    }

    private void retire(long nowNanos) {
        keep(current, nowNanos);
        currentSince = nowNanos;
        sealedUnderCurrent.reset();
    }

    /** Keeps {@code keys} as the newest previous generation for the grace period; the oldest goes. */
    private void keep(Handshake.Keys keys, long nowNanos) {
        if (previous[1] != null) {
            previous[1].destroy();
        }
        previous[1] = previous[0];
        previousUntil[1] = previousUntil[0];
        previous[0] = keys;
        previousUntil[0] = nowNanos + graceNanos;
    }

    /**
     * Erases the previous generations' keys at once, before their grace period ends: for a peer
     * that restarted, whose old keys nothing legitimate will use again.
     */
    public void dropPrevious() {
        for (int i = 0; i < previous.length; i++) {
            if (previous[i] != null) {
                previous[i].destroy();
                previous[i] = null;
            }
        }
    }

    /** True once {@code afterDatagrams} have been sealed or {@code afterNanos} passed under the current keys. */
    public boolean rekeyDue(long nowNanos, long afterNanos, long afterDatagrams) {
        return sealedUnderCurrent.sum() >= afterDatagrams || nowNanos - currentSince >= afterNanos;
    }

    /**
     * Seals in place a datagram whose header (magic, version 2, type, session id, sequence) is
     * written at offset 0 and whose {@code payloadLength} bytes of payload follow it; writes the
     * generation and the payload length (tag included) into the header first, since both are
     * authenticated. The buffer needs {@link Aead#TAG_LENGTH} bytes of room after the payload.
     *
     * @return the datagram's length, or -1 if the keys were erased ({@link #destroy}) before this
     *         thread's first seal under them
     */
    public int seal(ByteBuffer datagram, int payloadLength) {
        Handshake.Keys keys = current; // once: a rekey may switch it meanwhile
        Aead sealer = keys.sealer();
        if (sealer == null) {
            // This thread's first seal under keys replaced and destroyed since it read them: the
            // current keys are newer, unless the session's keys were all erased (it expired).
            keys = current;
            sealer = keys.sealer();
            if (sealer == null) {
                return -1;
            }
        }
        Sealed.writeSealedFields(datagram, keys.generation, payloadLength);
        int type = Header.type(datagram);
        long sequence = Header.sequence(datagram);
        sealer.sealInPlace(type, sequence, datagram, HEADER, payloadLength);
        sealedUnderCurrent.increment();
        return HEADER + payloadLength + Aead.TAG_LENGTH;
    }

    /**
     * Opens in place a datagram that passed {@link Sealed#check}, under the keys of the generation its
     * header names. A responder's first datagram under offered keys confirms them: they become
     * current. On failure nothing changes, here or in the buffer's payload.
     *
     * @return the payload's length (it starts at offset 24), or -1 if it does not authenticate or
     *         names a generation whose keys this end does not hold
     */
    public int open(ByteBuffer datagram, int length, long nowNanos) {
        Handshake.Keys keys = keysOf(Sealed.generation(datagram), nowNanos);
        if (keys == null) {
            return -1;
        }
        int type = Header.type(datagram);
        long sequence = Header.sequence(datagram);
        int n = keys.receive.openInPlace(type, sequence, datagram, HEADER, length - HEADER);
        if (n >= 0 && keys == next) {
            retire(nowNanos);
            current = next;
            next = null;
        }
        if (n >= 0 && keys == current && next == null) {
            confirmed = true;
        }
        return n;
    }

    /**
     * Whether this end holds receive keys of {@code generation} (mod 2^16) now: a datagram of any
     * other generation cannot open, so it need not be tried.
     */
    public boolean holds(int generation, long nowNanos) {
        return keysOf(generation, nowNanos) != null;
    }

    /** @return the receive keys of {@code generation} (mod 2^16), or null if none are held now */
    private Handshake.Keys keysOf(int generation, long nowNanos) {
        if ((current.generation & 0xFFFF) == generation) {
            return current;
        }
        if (next != null && (next.generation & 0xFFFF) == generation) {
            return next;
        }
        for (int i = 0; i < previous.length; i++) {
            if (previous[i] != null && (previous[i].generation & 0xFFFF) == generation
                    && nowNanos - previousUntil[i] < 0) {
                return previous[i];
            }
        }
        return null;
    }

    /** Erases every key held. */
    public void destroy() {
        current.destroy();
        if (next != null) {
            next.destroy();
        }
        dropPrevious();
    }
}
