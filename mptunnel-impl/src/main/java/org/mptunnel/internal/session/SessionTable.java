package org.mptunnel.internal.session;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * A server's sessions, bounded in number. The I/O thread finds a session by its wire id in a
 * primitive-keyed map it alone owns (no boxing per datagram); application threads find it by its
 * {@link SessionAddress} in a concurrent map, which the I/O thread keeps in step.
 */
public final class SessionTable {

    private final LongObjectMap<Session> byId;
    private final ConcurrentHashMap<InetAddress, Session> byAddress;
    private final int maxSessions;
    /** I/O thread only: reused by {@link #checkLiveness}. */
    private final List<Session> expired = new ArrayList<>();
    /** I/O thread only: no session can be evicted before this time. */
    private long nextEvictableAt;

    public SessionTable(int maxSessions) {
        this.maxSessions = maxSessions;
        this.byId = new LongObjectMap<>(Math.min(maxSessions, 1024) * 2);
        this.byAddress = new ConcurrentHashMap<>();
    }

    /** I/O thread. */
    public Session get(long id) {
        return byId.get(id);
    }

    /** I/O thread: @return whether another session fits */
    public boolean hasRoom() {
        return byId.size() < maxSessions;
    }

    /**
     * I/O thread, when the table is full: removes the session silent for longest, if it has been
     * silent for more than {@code silentNanos}. A live client is heard at every keepalive interval,
     * so only dead sessions, or ids that were used once (spoofed ones), can be evicted. The earliest
     * time a session can become evictable is remembered, so a flood of new ids into a table of live
     * sessions costs one scan per that interval, not one per datagram.
     *
     * @return the evicted session, or null if none may be
     */
    public Session evictSilent(long nowNanos, long silentNanos) {
        if (nowNanos - nextEvictableAt < 0) {
            return null;
        }
        Session stalest = null;
        for (int slot = 0; slot < byId.capacity(); slot++) {
            Session session = byId.valueAt(slot);
            if (session != null && (stalest == null || session.lastHeardNanos() - stalest.lastHeardNanos() < 0)) {
                stalest = session;
            }
        }
        if (stalest == null || nowNanos - stalest.lastHeardNanos() <= silentNanos) {
            nextEvictableAt = stalest == null ? nowNanos : stalest.lastHeardNanos() + silentNanos + 1;
            return null;
        }
        return remove(stalest);
    }

    /**
     * I/O thread: removes and returns the session charged to {@code source} silent for longest, if
     * it has been silent for more than {@code silentNanos}; else null. A scan of the table, paid
     * only when a source at its limit asks for one more session (at most its admission rate).
     */
    public Session evictSilentOf(SourceBlock source, long nowNanos, long silentNanos) {
        Session stalest = null;
        for (int slot = 0; slot < byId.capacity(); slot++) {
            Session session = byId.valueAt(slot);
            if (session != null && source.equals(session.source())
                    && (stalest == null || session.lastHeardNanos() - stalest.lastHeardNanos() < 0)) {
                stalest = session;
            }
        }
        return stalest == null || nowNanos - stalest.lastHeardNanos() <= silentNanos ? null : remove(stalest);
    }

    private Session remove(Session session) {
        byId.remove(session.id());
        byAddress.remove(session.address().getAddress());
        return session;
    }

    /** I/O thread: adds a session; the caller has checked {@link #hasRoom()}. */
    public void add(Session session) {
        byId.put(session.id(), session);
        byAddress.put(session.address().getAddress(), session);
    }

    /** Any thread: the session the application knows by this address, or null. */
    public Session byAddress(InetAddress address) {
        return byAddress.get(address);
    }

    /** Any thread: the live sessions, weakly consistent. */
    public Collection<Session> sessions() {
        return byAddress.values();
    }

    /** Any thread: a snapshot of every live session, for {@code stats()}. */
    public List<org.mptunnel.SessionStats> snapshots() {
        List<org.mptunnel.SessionStats> live = new ArrayList<>();
        for (Session session : byAddress.values()) {
            live.add(session.snapshot());
        }
        return live;
    }

    /** I/O thread. */
    public int size() {
        return byId.size();
    }

    /**
     * I/O thread, from the timer: marks silent paths down, forgets paths silent for
     * {@code forgetPathNanos}, then removes the sessions silent for longer than {@code idleNanos}
     * and reports each. Allocates nothing unless a path is forgotten or a session expires.
     */
    public void checkLiveness(long nowNanos, long deadTimeoutNanos, long forgetPathNanos, long idleNanos,
                              Consumer<Session> onExpired) {
        for (int slot = 0; slot < byId.capacity(); slot++) {
            Session session = byId.valueAt(slot);
            if (session == null) {
                continue;
            }
            if (nowNanos - session.lastHeardNanos() > idleNanos) {
                expired.add(session);
            } else {
                session.checkPaths(nowNanos, deadTimeoutNanos);
                session.forgetPaths(nowNanos, forgetPathNanos);
            }
        }
        for (Session session : expired) {
            byId.remove(session.id());
            byAddress.remove(session.address().getAddress());
            onExpired.accept(session);
        }
        expired.clear();
    }
}
