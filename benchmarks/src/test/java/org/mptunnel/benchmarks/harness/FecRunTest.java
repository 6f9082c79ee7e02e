package org.mptunnel.benchmarks.harness;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class FecRunTest {

    private static ChildProcess.TimedLine stats(long nanos, long sent, String wire) {
        return new ChildProcess.TimedLine(nanos, "mpclient stats: path 127.0.0.1:1 up | sessions 1 datagrams-sent " + sent
                + " copies-sent " + sent + " copies/datagram 1.00 loss estimated 0.000% measured 0.000% wire/payload "
                + wire + " repairs-sent 0 residual 0.000%");
    }

    @Test
    void theWindowLeavesOutWhatWasSentBeforeIt() {
        // 1,000 datagrams at 3.0 before the window, then 9,000 more at 1.5: 15,000 over 10,000 since start
        List<ChildProcess.TimedLine> lines = List.of(
                stats(100, 400, "3.000"),
                stats(200, 1_000, "3.000"),
                new ChildProcess.TimedLine(250, "mpclient: something else"),
                stats(300, 5_000, "1.800"),
                stats(400, 10_000, "1.650"));
        assertThat(FecRun.wireInWindow(lines, 250)).isCloseTo(1.5, within(1e-9));
        assertThat(FecRun.wireInWindow(lines, 50)).isCloseTo(1.65, within(1e-9)); // no line before: since start
    }

    @Test
    void nothingSentInTheWindowGivesNoFigure() {
        List<ChildProcess.TimedLine> lines = List.of(stats(100, 1_000, "2.000"), stats(200, 1_000, "2.000"));
        assertThat(FecRun.wireInWindow(lines, 150)).isNaN();
        assertThat(FecRun.wireInWindow(List.of(), 150)).isNaN();
    }
}
