package org.mptunnel.internal.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mptunnel.internal.path.Path;

class SessionTableTest {

    private static final long IDLE = 1_000;

    private static Session session(long id, long nowNanos) {
        return new Session(id, SessionAddress.of(id), 64, new Path[0], null, 4, new TunnelCounters(), nowNanos);
    }

    private static InetAddress addressOf(long id) {
        return SessionAddress.of(id).getAddress(); // a fresh, equal instance
    }

    private static List<Session> expire(SessionTable table, long nowNanos) {
        List<Session> expired = new ArrayList<>();
        table.checkLiveness(nowNanos, Long.MAX_VALUE, Long.MAX_VALUE, IDLE, expired::add);
        return expired;
    }

    @Test
    void findsAnAddedSessionByIdAndByAddress() {
        SessionTable table = new SessionTable(10);
        Session a = session(-7, 0);
        Session b = session(42, 0);

        table.add(a);
        table.add(b);

        assertThat(table.size()).isEqualTo(2);
        assertThat(table.get(-7)).isSameAs(a);
        assertThat(table.get(42)).isSameAs(b);
        assertThat(table.byAddress(addressOf(-7))).isSameAs(a);
        assertThat(table.byAddress(addressOf(42))).isSameAs(b);
        assertThat(table.sessions()).containsExactlyInAnyOrder(a, b);
    }

    @Test
    void unknownSessionsAreNotFound() throws Exception {
        SessionTable table = new SessionTable(10);
        table.add(session(1, 0));

        assertThat(table.get(2)).isNull();
        assertThat(table.byAddress(addressOf(2))).isNull();
        assertThat(table.byAddress(InetAddress.getByName("127.0.0.1"))).isNull();
    }

    @Test
    void hasRoomUntilTheLimitIsReached() {
        SessionTable table = new SessionTable(3);

        for (long id = 0; id < 3; id++) {
            assertThat(table.hasRoom()).as("with %d sessions", id).isTrue();
            table.add(session(id, 0));
        }

        assertThat(table.hasRoom()).isFalse();
        assertThat(table.size()).isEqualTo(3);
    }

    @Test
    void expiryMakesRoomAgain() {
        SessionTable table = new SessionTable(2);
        table.add(session(1, 0));
        table.add(session(2, 500));

        assertThat(expire(table, 1_200)).extracting(Session::id).containsExactly(1L);

        assertThat(table.hasRoom()).isTrue();
    }

    @Test
    void expireRemovesOnlyIdleSessionsFromBothLookups() {
        SessionTable table = new SessionTable(10);
        Session idle = session(1, 0);
        Session heardLately = session(2, 0);
        Session atTheLimit = session(3, 0);
        Session createdLately = session(4, 1_100);
        for (Session s : List.of(idle, heardLately, atTheLimit, createdLately)) {
            table.add(s);
        }
        heardLately.heard(1_500);
        atTheLimit.heard(1_000);

        List<Session> expired = expire(table, 2_000);

        assertThat(expired).containsExactly(idle);
        assertThat(table.get(1)).isNull();
        assertThat(table.byAddress(addressOf(1))).isNull();
        assertThat(table.size()).isEqualTo(3);
        assertThat(table.sessions()).containsExactlyInAnyOrder(heardLately, atTheLimit, createdLately);
        for (Session kept : List.of(heardLately, atTheLimit, createdLately)) {
            assertThat(table.get(kept.id())).isSameAs(kept);
            assertThat(table.byAddress(addressOf(kept.id()))).isSameAs(kept);
        }
    }

    @Test
    void sessionSilentForExactlyTheIdleTimeIsKept() {
        SessionTable table = new SessionTable(10);
        table.add(session(1, 0));

        assertThat(expire(table, IDLE)).isEmpty();
        assertThat(expire(table, IDLE + 1)).hasSize(1);
        assertThat(table.size()).isZero();
    }

    @Test
    void eachExpiredSessionIsReportedOnce() {
        SessionTable table = new SessionTable(10);
        table.add(session(1, 0));
        table.add(session(2, 0));

        assertThat(expire(table, 5_000)).hasSize(2);
        assertThat(expire(table, 6_000)).isEmpty();
    }

    @Test
    void idlenessIsMeasuredAcrossTheNanoTimeWrap() {
        SessionTable table = new SessionTable(10);
        Session fresh = session(1, Long.MAX_VALUE - 100);
        Session stale = session(2, Long.MAX_VALUE - 2_000);
        table.add(fresh);
        table.add(stale);

        // now has wrapped past Long.MAX_VALUE: 200 ns after fresh, 2,100 after stale
        long now = Long.MAX_VALUE - 100 + 200;

        assertThat(expire(table, now)).containsExactly(stale);
        assertThat(table.get(1)).isSameAs(fresh);
    }

    @Test
    void expiresHalfOfManySessions() {
        SessionTable table = new SessionTable(5000);
        for (long id = 0; id < 3000; id++) {
            table.add(session(id * 0x9E37_79B9L, id % 2 == 0 ? 0 : 5_000));
        }

        List<Session> expired = expire(table, 5_500);

        assertThat(expired).hasSize(1500).allMatch(s -> s.lastHeardNanos() == 0);
        assertThat(table.size()).isEqualTo(1500);
        assertThat(table.sessions()).hasSize(1500);
        for (long id = 0; id < 3000; id++) {
            long sessionId = id * 0x9E37_79B9L;
            boolean kept = id % 2 != 0;
            assertThat(table.get(sessionId) != null).as("session %d by id", sessionId).isEqualTo(kept);
            assertThat(table.byAddress(addressOf(sessionId)) != null).as("session %d by address", sessionId)
                    .isEqualTo(kept);
        }
    }
}
