package org.mptunnel;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class TunnelStatsTest {

    @Test
    void theBuilderPutsEveryCountWhereItsNameSays() {
        SessionStats session = new SessionStats(1, null, 0, 0, 0, 0, 0, List.of(), 0, 0, -1, -1, OrderingStats.NONE);
        OrderingStats ordering = new OrderingStats(1, 2, 3, 4, 5, 6);
        TunnelStats stats = TunnelStats.builder(TunnelConfig.Role.SERVER)
                .delivered(1).duplicatesDropped(2).tooOldDropped(3).malformedDropped(4).unknownSessionDropped(5)
                .queueDropped(6).sendDropped(7).sessionsRefused(8).authFailed(9).handshakes(10)
                .handshakesRefused(11).rejectedUnopened(12).sessions(List.of(session)).ordering(ordering)
                .pathChallenges(13).bytesWithheld(14).fecPlansRefused(15).replyPlansDeferred(16).build();
        assertThat(stats).isEqualTo(new TunnelStats(TunnelConfig.Role.SERVER, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
                List.of(session), ordering, 13, 14, 15, 16));
    }

    @Test
    void theBuilderStartsFromNothing() {
        TunnelStats stats = TunnelStats.builder(TunnelConfig.Role.CLIENT).build();
        assertThat(stats).isEqualTo(new TunnelStats(TunnelConfig.Role.CLIENT, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                List.of(), OrderingStats.NONE, 0, 0, 0, 0));
    }

    @Test
    void theFirstReleasesConstructorCountsNothingItDoesNotName() {
        TunnelStats stats = new TunnelStats(TunnelConfig.Role.CLIENT, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, List.of(),
                OrderingStats.NONE);
        assertThat(stats).isEqualTo(TunnelStats.builder(TunnelConfig.Role.CLIENT).delivered(1).duplicatesDropped(2)
                .tooOldDropped(3).malformedDropped(4).unknownSessionDropped(5).queueDropped(6).sendDropped(7)
                .sessionsRefused(8).authFailed(9).handshakes(10).handshakesRefused(11).build());
    }
}
