package org.mptunnel.examples.server;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.mptunnel.MultipathDatagramSocket;
import org.mptunnel.examples.flow.FlowActivity;
import org.mptunnel.examples.flow.FlowFrame;
import org.mptunnel.examples.flow.FlowTimeouts;
import org.mptunnel.examples.flow.IntMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * mpserver's side of flow sessions: tunnel sessions whose payloads carry the {@link FlowFrame}
 * prefix, one flow per application (or SOCKS association) behind an mpclient. A classic flow gets
 * its own socket towards the target, so the target still sees one client per application; a SOCKS
 * flow is handed to {@link SocksRelay}. Flows are kept within the {@link FlowBudget} and forgotten
 * by their {@link FlowTimeouts}, the way connection tracking forgets UDP flows.
 *
 * <p>The tunnel's I/O thread calls {@link #fromTunnel}: a session lookup by address and a flow
 * lookup by id ({@link IntMap}, under the session's uncontended lock), then a write from the
 * tunnel's buffer; nothing is allocated for a flow that exists. The target selector thread calls
 * {@link #fromTarget} and {@link #sweep}.
 */
final class FlowRelay implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(FlowRelay.class);
    private static final int SOCKET_BUFFER_BYTES = 1 << 20;

    private final InetSocketAddress target;
    private final SocksRelay socks;
    private final FlowBudget budget;
    private final long shortNanos;
    private final long longNanos;
    private final Consumer<Flow> register;
    private final ConcurrentHashMap<InetAddress, FlowSession> sessions = new ConcurrentHashMap<>();
    /** Flows per source IP or /64 of their sessions; the sweep adds and removes sources. */
    private final ConcurrentHashMap<InetAddress, AtomicInteger> perSource = new ConcurrentHashMap<>();
    /**
     * Flows of the sessions whose source the sweep has not learnt yet (at most a second old), which
     * share one source's budget, as in {@link SocksRelay}.
     */
    private final EmptyDatagramBudget empties;
    private final AtomicInteger unattributed = new AtomicInteger();
    private final AtomicInteger flows = new AtomicInteger();
    private final AtomicLong opened = new AtomicLong();
    private final AtomicLong toTarget = new AtomicLong();
    private final AtomicLong fromTarget = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong malformed = new AtomicLong();
    private final LogGate refusedLog = new LogGate(Duration.ofSeconds(10), 1);
    private final LogGate openFailedLog = LogGate.perSecond();
    private final LogGate replyFailedLog = LogGate.perSecond();
    private final LogGate sessionLog = new LogGate(Duration.ofSeconds(1), 10);

    /**
     * @param empties  the short-lived sockets of empty datagrams, shared with the classic sessions
     * @param register hands a classic flow's new target socket to the selector thread, which reads its replies
     */
    FlowRelay(InetSocketAddress target, SocksRelay socks, FlowBudget budget, FlowTimeouts timeouts,
              EmptyDatagramBudget empties, Consumer<Flow> register) {
        this.target = target;
        this.empties = empties;
        this.socks = socks;
        this.budget = budget;
        this.shortNanos = timeouts.singleExchange().toNanos();
        this.longNanos = timeouts.established().toNanos();
        this.register = register;
    }

    /**
     * A session is a flow session from its first datagram on if that datagram has the flow mark;
     * once it is, a payload without a valid prefix is malformed rather than sent to the target.
     *
     * @return whether the session is a flow session already
     */
    boolean has(InetAddress session) {
        return sessions.containsKey(session);
    }

    /**
     * Sends one flow payload on: a classic one from the tunnel's buffer to its flow's target
     * socket, a SOCKS one copied into {@code copy} for {@link SocksRelay}.
     */
    void fromTunnel(InetAddress sessionIp, int port, ByteBuffer payload, ByteBuffer copy) {
        int kind = FlowFrame.kind(payload);
        if (kind < 0) {
            malformed.incrementAndGet();
            return;
        }
        int id = FlowFrame.flowId(payload);
        FlowSession session = sessions.get(sessionIp);
        if (session == null) {
            session = openSession(new InetSocketAddress(sessionIp, port));
        }
        Flow flow = session.get(id);
        if (flow == null) {
            flow = open(session, id, kind);
            if (flow == null) {
                return;
            }
        } else if (flow.kind != kind) {
            malformed.incrementAndGet();
            return;
        }
        long now = System.nanoTime();
        flow.sent(now);
        if (flow.socks != null) {
            int length = payload.remaining();
            payload.get(copy.array(), 0, length);
            socks.fromFlow(flow.socks, copy.clear(), length);
            return;
        }
        payload.position(payload.position() + FlowFrame.LENGTH);
        try {
            if (ConnectedSend.write(flow.channel, payload, empties)) {
                toTarget.incrementAndGet();
            } else {
                dropped.incrementAndGet(); // socket buffer full: lost, as on a network
            }
        } catch (IOException e) {
            dropped.incrementAndGet(); // closed by the sweep meanwhile, or an ICMP error
        }
    }

    private FlowSession openSession(InetSocketAddress address) {
        FlowSession session = new FlowSession(address);
        FlowSession raced = sessions.putIfAbsent(address.getAddress(), session);
        if (raced != null) {
            return raced;
        }
        String note = sessionLog.admit();
        if (note != null) {
            LOG.info("session {} opened: flows ({} flow sessions live){}",
                    TargetForwarder.sessionId(address.getAddress()), sessions.size(), note);
        }
        return session;
    }

    private Flow open(FlowSession session, int id, int kind) {
        AtomicInteger source = session.sourceCount != null ? session.sourceCount : unattributed;
        String full = reserve(session, source);
        if (full != null) {
            refused.incrementAndGet();
            String note = refusedLog.admit();
            if (note != null) {
                LOG.warn("session {}: new flow refused: {}; its datagrams are dropped (said once per 10 s){}",
                        TargetForwarder.sessionId(session.address.getAddress()), full, note);
            }
            return null;
        }
        Flow flow;
        if (kind == FlowFrame.CLASSIC) {
            DatagramChannel channel;
            try {
                channel = ConnectedSend.open(target, SOCKET_BUFFER_BYTES);
            } catch (IOException e) {
                release(source);
                dropped.incrementAndGet();
                String note = openFailedLog.admit();
                if (note != null) {
                    LOG.warn("cannot open a socket towards {}: {}{}", target, e.toString(), note);
                }
                return null;
            }
            flow = new Flow(session, id, kind, source, channel, null);
            register.accept(flow);
        } else {
            flow = new Flow(session, id, kind, source, null, socks.openFlow(session.address, id));
        }
        session.add(flow);
        opened.incrementAndGet();
        return flow;
    }

    /**
     * Takes one flow from the server's budget, the session's and its source's.
     *
     * @return null if taken, else what is full
     */
    private String reserve(FlowSession session, AtomicInteger source) {
        if (session.size() >= budget.perSession()) {
            return budget.perSession() + " flows in the session (--max-flows-per-session)";
        }
        if (flows.incrementAndGet() > budget.total()) {
            flows.decrementAndGet();
            return budget.total() + " flows over all sessions (--max-flows)";
        }
        if (source.incrementAndGet() > budget.perSource()) {
            source.decrementAndGet();
            flows.decrementAndGet();
            return budget.perSource() + " flows from one source address (--max-flows-per-source)";
        }
        return null;
    }

    private void release(AtomicInteger countedIn) {
        flows.decrementAndGet();
        countedIn.decrementAndGet();
    }

    /** The selector thread: a classic flow's replies, into the tunnel behind the flow's prefix. */
    void fromTarget(Flow flow, ByteBuffer buffer, DatagramPacket out, MultipathDatagramSocket tunnel) {
        byte[] array = buffer.array();
        for (int i = 0; i < 64; i++) {
            buffer.clear().position(FlowFrame.LENGTH); // room for the prefix before the data
            // receive(), not read(): read() returns 0 for an empty reply too, which would be lost
            try {
                if (flow.channel.receive(buffer) == null) {
                    return;
                }
            } catch (PortUnreachableException e) {
                dropped.incrementAndGet(); // an earlier write's ICMP error: the target is not listening
                continue;
            } catch (IOException e) {
                return;
            }
            flow.replied(System.nanoTime());
            fromTarget.incrementAndGet();
            System.arraycopy(flow.prefix, 0, array, 0, FlowFrame.LENGTH);
            out.setData(array, 0, buffer.position());
            out.setSocketAddress(flow.session.address);
            try {
                tunnel.send(out);
            } catch (IOException e) {
                dropped.incrementAndGet(); // e.g. too large for the tunnel with its prefix
                String note = replyFailedLog.admit();
                if (note != null) {
                    LOG.debug("flow reply not sent into the tunnel: {}{}", e.toString(), note);
                }
            }
        }
    }

    /**
     * The selector thread: forgets the flows silent for their timeout (and SOCKS flows the SOCKS
     * relay has closed), and every flow of sessions the tunnel no longer has (unless younger than
     * the snapshot {@code sources} was taken at). A session's source becomes known here: from then
     * on its flows count in its source's budget, and if that makes the source exceed it, the
     * session's least recently active flows beyond it are closed.
     */
    void sweep(long now, Map<InetAddress, InetAddress> sources, long snapshotAt) {
        sessions.forEach((ip, session) -> {
            boolean expired = !sources.containsKey(ip) && session.createdAt - snapshotAt < 0;
            List<Flow> gone = session.removeIf(f -> expired || f.gone(now, shortNanos, longNanos));
            gone.forEach(this::close);
            if (expired && sessions.remove(ip, session)) {
                String note = sessionLog.admit();
                if (note != null) {
                    LOG.info("session {} expired: {} flow(s), their target socket(s) closed ({} flow sessions live){}",
                            TargetForwarder.sessionId(ip), gone.size(), sessions.size(), note);
                }
                return;
            }
            InetAddress source = sources.get(ip);
            if (session.sourceCount == null && source != null) {
                List<Flow> over = session.attribute(perSource.computeIfAbsent(source, k -> new AtomicInteger()),
                        budget.perSource());
                over.forEach(this::close);
                if (!over.isEmpty()) {
                    refused.addAndGet(over.size());
                    String note = refusedLog.admit();
                    if (note != null) {
                        LOG.warn("session {}: {} flow(s) closed: its source {} is past its {} flows"
                                + " (--max-flows-per-source){}", TargetForwarder.sessionId(ip), over.size(),
                                source.getHostAddress(), budget.perSource(), note);
                    }
                }
            }
        });
        // Sources no session has any more; only this thread attributes sessions, so none is in use.
        Set<AtomicInteger> inUse = Collections.newSetFromMap(new IdentityHashMap<>());
        sessions.values().forEach(session -> {
            if (session.sourceCount != null) {
                inUse.add(session.sourceCount);
            }
        });
        perSource.values().removeIf(count -> !inUse.contains(count));
    }

    /** Closes a flow already removed from its session. */
    private void close(Flow flow) {
        if (flow.channel != null) {
            try {
                flow.channel.close();
            } catch (IOException e) {
                LOG.debug("closing a flow's target socket", e);
            }
        } else {
            socks.closeFlow(flow.socks);
        }
        release(flow.countedIn);
    }

    @Override
    public void close() {
        sessions.values().forEach(session -> session.removeIf(f -> true).forEach(this::close));
        sessions.clear();
    }

    /** @return flow sessions now */
    int sessions() {
        return sessions.size();
    }

    /** @return the counters as the statistics lines show them */
    String line() {
        return "flow-sessions " + sessions.size() + " flows " + flows.get() + " flows-opened " + opened.get()
                + " flows-sent " + toTarget.get() + " flows-replies " + fromTarget.get() + " flows-refused "
                + refused.get() + " flows-malformed " + malformed.get() + " flows-dropped " + dropped.get();
    }

    long refused() {
        return refused.get();
    }

    long malformed() {
        return malformed.get();
    }

    int flows() {
        return flows.get();
    }

    /** One flow session: its tunnel address and its flows by id. */
    private static final class FlowSession {
        final InetSocketAddress address;
        final long createdAt = System.nanoTime();
        /** The count of the session's source's flows, once the sweep knows the source; until then null. */
        volatile AtomicInteger sourceCount;
        /** Guarded by this. */
        private final IntMap<Flow> flows = new IntMap<>();

        FlowSession(InetSocketAddress address) {
            this.address = address;
        }

        synchronized Flow get(int id) {
            return flows.get(id);
        }

        synchronized int size() {
            return flows.size();
        }

        synchronized void add(Flow flow) {
            if (sourceCount != null && flow.countedIn != sourceCount) {
                moveTo(flow, sourceCount); // the source became known after the flow was reserved
            }
            flows.put(flow.id, flow);
        }

        /** @return the flows removed because {@code test} held for them */
        synchronized List<Flow> removeIf(java.util.function.Predicate<Flow> test) {
            List<Flow> removed = new ArrayList<>();
            flows.forEachValue(f -> {
                if (test.test(f)) {
                    removed.add(f);
                }
            });
            removed.forEach(f -> flows.remove(f.id, f));
            return removed;
        }

        /**
         * Counts the session's flows in its source's budget from now on.
         *
         * @return the least recently active flows beyond it, removed for the caller to close
         */
        synchronized List<Flow> attribute(AtomicInteger count, int maxPerSource) {
            sourceCount = count;
            List<Flow> all = new ArrayList<>(flows.size());
            flows.forEachValue(all::add);
            all.forEach(f -> moveTo(f, count));
            int over = Math.min(count.get() - maxPerSource, all.size());
            if (over <= 0) {
                return List.of();
            }
            all.sort(Comparator.comparingLong(f -> f.lastActive() - createdAt));
            List<Flow> closed = all.subList(0, over);
            closed.forEach(f -> flows.remove(f.id, f));
            return new ArrayList<>(closed);
        }

        private static void moveTo(Flow flow, AtomicInteger count) {
            flow.countedIn.decrementAndGet();
            count.incrementAndGet();
            flow.countedIn = count;
        }
    }

    /** One flow: a classic flow's target socket, or a SOCKS flow's state in {@link SocksRelay}. */
    static final class Flow extends FlowActivity {
        final FlowSession session;
        final int id;
        final int kind;
        final byte[] prefix;
        final DatagramChannel channel;
        final SocksRelay.SocksSession socks;
        /** The source budget this flow counts in; guarded by the session's lock. */
        AtomicInteger countedIn;

        Flow(FlowSession session, int id, int kind, AtomicInteger countedIn, DatagramChannel channel,
             SocksRelay.SocksSession socks) {
            this.session = session;
            this.id = id;
            this.kind = kind;
            this.prefix = FlowFrame.prefix(kind, id);
            this.countedIn = countedIn;
            this.channel = channel;
            this.socks = socks;
        }

        /** A SOCKS flow lives as long as the SOCKS relay keeps it, by the same timeouts. */
        boolean gone(long now, long shortNanos, long longNanos) {
            return socks != null ? socks.isClosed() : idle(now, shortNanos, longNanos);
        }
    }
}
