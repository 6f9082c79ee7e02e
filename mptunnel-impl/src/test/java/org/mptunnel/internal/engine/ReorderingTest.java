package org.mptunnel.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.mptunnel.OrderedDelivery;
import org.mptunnel.internal.path.Path;
import org.mptunnel.internal.session.Session;
import org.mptunnel.internal.session.TunnelCounters;

/** The automatic wait: twice the RTT spread of the paths that are up, within [1 ms, cap]. */
class ReorderingTest {

    private static final long MS = 1_000_000;

    private static Path path(int index, long rttNanos) {
        Path path = new Path(index, new InetSocketAddress(InetAddress.getLoopbackAddress(), 4000 + index), null, true, 0);
        if (rttNanos >= 0) {
            path.rttSample(rttNanos);
        }
        return path;
    }

    private static Session session(Path... paths) {
        return new Session(1, new InetSocketAddress(InetAddress.getLoopbackAddress(), 9), 64, paths, null,
                paths.length, new TunnelCounters(), 0);
    }

    private static long autoWait(OrderedDelivery mode, Session session) {
        return new Reordering(mode, null).waitFor(session);
    }

    @Test
    void autoWaitsTwiceTheSpreadOfTheSmoothedRtts() {
        assertThat(autoWait(OrderedDelivery.auto(), session(path(0, 2 * MS), path(1, 12 * MS), path(2, 7 * MS))))
                .isEqualTo(20 * MS);
    }

    @Test
    void autoIsClampedToTheFloorAndTheCap() {
        assertThat(autoWait(OrderedDelivery.auto(), session(path(0, 5 * MS), path(1, 5 * MS)))).isEqualTo(1 * MS);
        assertThat(autoWait(OrderedDelivery.auto(), session(path(0, 5 * MS), path(1, 200 * MS)))).isEqualTo(50 * MS);
        assertThat(autoWait(OrderedDelivery.auto(Duration.ofMillis(500)), session(path(0, 5 * MS), path(1, 200 * MS))))
                .isEqualTo(390 * MS);
    }

    @Test
    void autoWaitsTheCapWhileAPathThatIsUpHasNoRttOrNoPathIsUp() {
        assertThat(autoWait(OrderedDelivery.auto(), session(path(0, 5 * MS), path(1, -1)))).isEqualTo(50 * MS);
        assertThat(autoWait(OrderedDelivery.auto(), session())).isEqualTo(50 * MS);
    }

    @Test
    void autoIgnoresPathsThatAreDown() {
        Path down = path(1, 400 * MS);
        down.checkAlive(10 * MS, 1 * MS); // silent since 0 for longer than the dead timeout
        assertThat(down.isUp()).isFalse();
        assertThat(autoWait(OrderedDelivery.auto(), session(path(0, 5 * MS), down, path(2, 9 * MS)))).isEqualTo(8 * MS);
    }

    @Test
    void fixedWaitsWhatItWasGiven() {
        assertThat(autoWait(OrderedDelivery.fixed(Duration.ofMillis(30)), session(path(0, 5 * MS), path(1, 6 * MS))))
                .isEqualTo(30 * MS);
    }
}
