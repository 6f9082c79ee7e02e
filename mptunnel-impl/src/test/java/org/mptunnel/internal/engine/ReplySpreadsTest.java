package org.mptunnel.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mptunnel.internal.path.Counter;
import org.mptunnel.internal.path.Path;
import org.mptunnel.internal.schedule.FecRate;
import org.mptunnel.internal.schedule.FecScheduler;
import org.mptunnel.internal.session.Session;
import org.mptunnel.internal.session.TunnelCounters;

/**
 * The server's plans of its replies' spreads share 2 % of the I/O thread's time: with a clock on
 * which every plan takes 6 ms, a second's 20 ms allow four, the rest wait their turn, counted in
 * the server's statistics, and every session gets its plan as time passes.
 */
class ReplySpreadsTest {

    private static final long MS = 1_000_000L;
    private static final long PLAN_NANOS = 6 * MS;

    /** Reads 0, then each plan's end {@value #PLAN_NANOS} after its start. */
    private long clock;
    private boolean inPlan;

    private long tick() {
        inPlan = !inPlan;
        return inPlan ? clock : (clock += PLAN_NANOS);
    }

    private static Session codedSession(long id) {
        Path[] paths = {new Path(0, new InetSocketAddress("127.0.0.1", 1), null, true, 0)};
        Session session = new Session(id, null, 64, paths, null, 4, new TunnelCounters(), 0);
        FecScheduler.attach(session, new FecRate(8, 4, false));
        return session;
    }

    @Test
    void plansBeyondTheirShareOfTimeWaitTheirTurnAndAreCounted() {
        ServerEngine server = new Wire().server(Wire.serverConfig(), this::tick);
        ReplySpreads spreads = server.replySpreads;
        List<Session> sessions = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            sessions.add(codedSession(i));
            spreads.add(sessions.get(i));
        }
        long now = 1_000 * MS;
        spreads.onTimer(now);
        assertThat(spreads.plans.get()).as("20 ms at 6 ms a plan").isEqualTo(4);
        assertThat(server.stats().replyPlansDeferred()).isEqualTo(1);

        spreads.onTimer(now + 10 * MS);
        assertThat(spreads.plans.get()).as("0.2 ms refilled: still in debt").isEqualTo(4);
        assertThat(server.stats().replyPlansDeferred()).isEqualTo(2);

        spreads.onTimer(now + 1_000 * MS); // 19.8 ms more: 16 after the debt
        assertThat(spreads.plans.get()).as("the next three in turn").isEqualTo(7);
        assertThat(server.stats().replyPlansDeferred()).isEqualTo(3);
        spreads.onTimer(now + 2_000 * MS); // 18 ms after the debt
        assertThat(spreads.plans.get()).as("the last three").isEqualTo(10);
        assertThat(server.stats().replyPlansDeferred()).as("the first, due again a second after its plan, waits")
                .isEqualTo(4);
        assertThat(spreads.deferredLines).as("said once a minute at most").isEqualTo(1);

        long later = now + ReplySpreads.DEFERRED_LOG_NANOS + 2_000 * MS;
        spreads.onTimer(later); // every session due again: past the share once more, a minute later
        assertThat(server.stats().replyPlansDeferred()).isEqualTo(5);
        assertThat(spreads.deferredLines).isEqualTo(2);
    }

    @Test
    void aSessionThatLeftIsNoLongerPlanned() {
        ReplySpreads spreads = new ReplySpreads(this::tick, new Counter());
        Session session = codedSession(1);
        spreads.add(session);
        spreads.remove(session);
        spreads.onTimer(1_000 * MS);
        assertThat(spreads.plans.get()).isZero();
    }
}
