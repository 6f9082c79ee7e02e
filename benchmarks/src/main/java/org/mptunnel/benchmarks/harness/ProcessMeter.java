package org.mptunnel.benchmarks.harness;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Reads what a process has used so far: CPU time (user + system, every thread) and, on Linux,
 * context switches summed over its threads: a switch is a thread going to sleep or being
 * descheduled, so their rate is the rate of wake-ups and hand-offs. Two readings make a step's
 * figures.
 */
final class ProcessMeter {

    /**
     * One reading.
     *
     * @param cpuNanos          CPU time so far, or -1 if the platform does not say
     * @param voluntarySwitches context switches a thread asked for (blocking, parking), or -1
     * @param forcedSwitches    context switches the scheduler forced (time slice over), or -1
     */
    record Reading(long cpuNanos, long voluntarySwitches, long forcedSwitches) {
    }

    private ProcessMeter() {
    }

    /** Linux's clock ticks per second in /proc/stat (USER_HZ), 100 on every common build. */
    private static final double TICKS_PER_SECOND = 100;

    /**
     * The whole machine's CPU time so far, every CPU, in ns; -1 where unknown.
     *
     * @param busyNanos    user, nice, system, irq and steal time (on a VM, steal is time its CPUs were not ours)
     * @param softirqNanos time in softirqs: on loopback that is mostly delivering our own datagrams,
     *                     accounted to no process
     */
    record Machine(long busyNanos, long softirqNanos) {
    }

    static Machine readMachine() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/stat"))) {
                if (line.startsWith("cpu ")) {
                    String[] f = line.trim().split("\\s+");
                    // cpu user nice system idle iowait irq softirq steal
                    long busy = 0;
                    for (int i : new int[] {1, 2, 3, 6, 8}) {
                        busy += i < f.length ? Long.parseLong(f[i]) : 0;
                    }
                    long softirq = f.length > 7 ? Long.parseLong(f[7]) : 0;
                    return new Machine(nanos(busy), nanos(softirq));
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return new Machine(-1, -1);
    }

    private static long nanos(long ticks) {
        return (long) (ticks / TICKS_PER_SECOND * 1e9);
    }

    static Reading read(ProcessHandle process) {
        long cpu = process.info().totalCpuDuration().map(Duration::toNanos).orElse(-1L);
        long voluntary = 0;
        long forced = 0;
        Path tasks = Path.of("/proc", Long.toString(process.pid()), "task");
        try (DirectoryStream<Path> threads = Files.newDirectoryStream(tasks)) {
            for (Path thread : threads) {
                try {
                    for (String line : Files.readAllLines(thread.resolve("status"))) {
                        if (line.startsWith("voluntary_ctxt_switches:")) {
                            voluntary += Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
                        } else if (line.startsWith("nonvoluntary_ctxt_switches:")) {
                            forced += Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
                        }
                    }
                } catch (IOException | NumberFormatException e) {
                    // the thread ended between listing and reading: its switches are not counted
                }
            }
        } catch (IOException e) {
            return new Reading(cpu, -1, -1); // not Linux, or the process is gone
        }
        return new Reading(cpu, voluntary, forced);
    }
}
