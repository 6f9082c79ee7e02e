package org.mptunnel.internal.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.mptunnel.internal.bridge.GilbertElliott;
import org.mptunnel.internal.path.Counter;
import org.mptunnel.internal.path.Path;
import org.mptunnel.internal.session.Session;
import org.mptunnel.internal.session.TunnelCounters;

/**
 * Adaptive FEC's rate over three paths losing 5 % each, in bursts of 10 (mpbridge's
 * {@code --loss-burst 0.05:10}) or independently, without sockets: each path's datagrams lost as
 * a seeded Gilbert–Elliott chain says, a keepalive after every 20 (stepping the same chain) whose
 * ack, with the server's per-path report, crosses a second chain the other way; a sender counting
 * 2,000 datagrams a second (so a 5 ms group holds at most 10); the I/O thread's timer driven by
 * hand.
 */
class AdaptiveFecRatesBurstTest {

    private static final long MS = 1_000_000L;
    private static final double LOSS = 0.05;
    private static final double BURST = 10;
    private static final int PER_SECOND = 2_000;
    private static final int PER_REPORT = 20;
    private static final LossModel[] BURSTY = {new LossModel(LOSS, BURST), new LossModel(LOSS, BURST), new LossModel(LOSS, BURST)};
    private static final LossModel[] INDEPENDENT = {LossModel.independent(LOSS), LossModel.independent(LOSS), LossModel.independent(LOSS)};

    /** @return the plan adaptive FEC at {@code target} settles on after 10 s of {@code model}'s loss on each of three paths */
    private static FecPlan planAfterTenSeconds(GilbertElliott model, double target) {
        Path[] paths = new Path[3];
        GilbertElliott.Chain[] chains = new GilbertElliott.Chain[paths.length];
        GilbertElliott.Chain[] back = new GilbertElliott.Chain[paths.length];
        long[] sent = new long[paths.length];
        long[] arrived = new long[paths.length];
        for (int i = 0; i < paths.length; i++) {
            paths[i] = new Path(i, new InetSocketAddress("127.0.0.1", 1 + i), null, true, 0);
            chains[i] = model.start(17 + i);
            back[i] = model.start(117 + i);
        }
        Session session = new Session(1, null, 64, paths, null, paths.length, new TunnelCounters(), 0);
        AdaptiveFecRates rates = new AdaptiveFecRates(session, target, Duration.ofMillis(5), Runnable::run, new Counter());
        long now = 0;
        long probe = 0;
        for (int second = 0; second < 10; second++) {
            for (int report = 0; report < PER_SECOND / PER_REPORT; report++) {
                for (int i = 0; i < paths.length; i++) {
                    for (int d = 0; d < PER_REPORT; d++) {
                        sent[i]++;
                        arrived[i] += chains[i].loseNext() ? 0 : 1;
                        back[i].loseNext();
                    }
                    paths[i].dataLoss().noteProbe(++probe, sent[i]);
                    if (!chains[i].loseNext() & !back[i].loseNext()) {
                        paths[i].dataLoss().report(probe, arrived[i]);
                    }
                    paths[i].heard(now, 64);
                }
                for (int d = 0; d < PER_REPORT; d++) {
                    session.countSent(1);
                }
                now += 1_000 * MS * PER_REPORT / PER_SECOND;
            }
            rates.onTimer(now, now + 10 * MS);
        }
        return rates.plan();
    }

    @Test
    void burstyPathsGetAPlanThatMeetsTheTargetUnderTheirBursts() {
        double target = 0.001;
        FecPlan plan = planAfterTenSeconds(GilbertElliott.bursts(LOSS, BURST), target);

        assertThat(CodeRatePlanner.residualLoss(plan, BURSTY)).as("%s under bursts of 10", plan).isLessThanOrEqualTo(target);
        assertThat(plan.cost()).as("no dearer than duplication on every path").isLessThanOrEqualTo(3);
    }

    @Test
    void independentLossAtTheSameMeanStillGetsACheapCode() {
        double target = 0.001;
        FecPlan plan = planAfterTenSeconds(GilbertElliott.bursts(LOSS, 1 / (1 - LOSS)), target);

        assertThat(plan.k()).as("%s", plan).isGreaterThan(1);
        assertThat(plan.cost()).as("%s", plan).isLessThan(2);
        assertThat(CodeRatePlanner.residualLoss(plan, INDEPENDENT)).isLessThanOrEqualTo(target);
    }

    @Test
    void whenNoCodeWithinTheGroupsSpanOutlastsTheBurstsItIsDuplicationOnEveryPath() {
        // 0.02 %: duplication on three paths loses 0.05³ = 0.0125 %; no code of at most 10 data
        // datagrams spread over 5 ms does as well for less
        double target = 0.0002;
        FecPlan bursty = planAfterTenSeconds(GilbertElliott.bursts(LOSS, BURST), target);
        FecPlan independent = planAfterTenSeconds(GilbertElliott.bursts(LOSS, 1 / (1 - LOSS)), target);

        assertThat(bursty.isDuplication()).as("%s", bursty).isTrue();
        assertThat(bursty.m()).as("a copy on each of the other two paths").isEqualTo(2);
        assertThat(CodeRatePlanner.residualLoss(bursty, BURSTY)).isLessThanOrEqualTo(target);
        assertThat(independent.isDuplication()).as("independent loss: a code still does it, %s", independent).isFalse();
        assertThat(independent.cost()).isLessThan(bursty.cost());
    }
}
