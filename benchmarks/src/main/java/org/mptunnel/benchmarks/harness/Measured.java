package org.mptunnel.benchmarks.harness;

import java.util.Map;

/**
 * One step as reported: what it measured and what each process used meanwhile.
 *
 * @param phase   "sweep", "latency" or "lossy"
 * @param path    "tunnel", "bare" or "lossy-tunnel"
 * @param result  the step's figures
 * @param usage   per process, in the order they were metered
 * @param passed  whether the loss was within the limit
 * @param attempt 1, or 2 and up for a failed step run again at the same rate
 * @param machineCores CPU cores the whole machine kept busy meanwhile outside softirqs, ours and everyone else's
 * @param softirqCores  CPU cores spent in softirqs meanwhile: on loopback mostly the kernel delivering
 *                      our datagrams, accounted to no process
 */
record Measured(String phase, String path, StepResult result, Map<String, Usage> usage, boolean passed, int attempt,
                double machineCores, double softirqCores) {

    /** @return the CPU cores busy with work other than this run's processes and softirqs: the machine's noise */
    double otherCores() {
        return Math.max(0, machineCores - totalCores());
    }

    /**
     * What one process used during a measured window.
     *
     * @param cores           CPU time / wall time: 1.0 is one core busy all the time
     * @param voluntaryPerSec context switches per second its threads asked for: sleeps, i.e. wake-ups
     * @param forcedPerSec    context switches per second the scheduler forced on it
     */
    record Usage(double cores, double voluntaryPerSec, double forcedPerSec) {
    }

    /** @return the CPU cores all metered processes used together */
    double totalCores() {
        return usage.values().stream().mapToDouble(Usage::cores).sum();
    }

    /** @return the voluntary context switches per second of all metered processes together */
    double totalWakeUps() {
        return usage.values().stream().mapToDouble(Usage::voluntaryPerSec).sum();
    }
}
