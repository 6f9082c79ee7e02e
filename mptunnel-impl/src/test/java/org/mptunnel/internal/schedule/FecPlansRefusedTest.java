package org.mptunnel.internal.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.mptunnel.Redundancy;
import org.mptunnel.TunnelConfig;
import org.mptunnel.internal.engine.ClientEngine;
import org.mptunnel.internal.io.DatagramIo;
import org.mptunnel.internal.path.Path;

/**
 * A client with adaptive FEC whose code rate search the process's planning thread refuses, busy and
 * its queue full: the refusal is in the socket's statistics, and the search is made once there is room.
 */
class FecPlansRefusedTest {

    private static final long MS = 1_000_000L;
    private static final InetSocketAddress PEER = new InetSocketAddress(InetAddress.getLoopbackAddress(), 7000);

    /** Writes go nowhere: the test looks at the statistics only. */
    private static final DatagramIo DISCARD = new DatagramIo() {
        @Override
        public void read(SelectionKey ready, Sink sink, int max) {
            throw new UnsupportedOperationException();
        }

        @Override
        public int write(DatagramChannel channel, boolean connected, ByteBuffer datagram, InetSocketAddress remote) {
            return datagram.remaining();
        }
    };

    @Test
    void aSearchRefusedByTheFullPlanningThreadIsInTheClientsStatistics() throws InterruptedException {
        TunnelConfig config = TunnelConfig.client().path(PEER).redundancy(Redundancy.fecAdaptive(0.001)).build();
        Path path = new Path(0, PEER, null, true, DISCARD, 0);
        ClientEngine client = ClientEngine.over(config, 1, new Path[] {path}, 0);
        long now = 1_000 * MS;
        for (int report = 1; report <= 10; report++) { // a measured loss (none) for the plan to start from
            path.dataLoss().noteProbe(1_000 + report, 400L * report);
            path.dataLoss().report(1_000 + report, 400L * report);
        }
        path.heard(now, 64);

        ThreadPoolExecutor planning = (ThreadPoolExecutor) PlanningThread.INSTANCE;
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        try {
            planning.execute(() -> {
                running.countDown();
                awaitQuietly(release);
            });
            assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();
            fill(planning);

            client.onTimer(now);
            assertThat(client.stats().fecPlansRefused()).isEqualTo(1);
        } finally {
            release.countDown();
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> planning.getQueue().isEmpty() && planning.getActiveCount() == 0);
        long searched = planning.getCompletedTaskCount();
        client.onTimer(now + 10 * MS);
        await("room again: the search is tried at the next timer, and taken").atMost(Duration.ofSeconds(30))
                .until(() -> planning.getCompletedTaskCount() > searched);
        assertThat(client.stats().fecPlansRefused()).isEqualTo(1);
    }

    /** Waiting searches until the queue refuses one more ({@value PlanningThread#QUEUED} if none other waits). */
    private static void fill(ThreadPoolExecutor planning) {
        for (int i = 0; i <= PlanningThread.QUEUED; i++) {
            try {
                planning.execute(() -> { });
            } catch (RejectedExecutionException full) {
                return;
            }
        }
        throw new AssertionError("the planning thread took more than " + PlanningThread.QUEUED + " waiting searches");
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
