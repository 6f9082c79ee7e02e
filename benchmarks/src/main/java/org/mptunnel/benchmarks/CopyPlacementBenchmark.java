package org.mptunnel.benchmarks;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One copy between two direct buffers, by how far the destination sits from the source modulo a
 * 4 KiB page. Not engine code: it measures what the machine does to the copies every other
 * benchmark makes. On some CPUs a load is checked against earlier stores by the low 12 bits of its
 * address only, so a copy whose destination lies a few bytes either side of its source, modulo
 * 4,096, waits on its own stores (4K aliasing) and runs slower. {@link InProcessPathBenchmark}
 * makes three copies per datagram between buffers the allocators place, so its figure moves with
 * that placement from one fork to the next; its {@code layout} parameter varies the placement so
 * that versions are compared over several, not one.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class CopyPlacementBenchmark {

    private static final int PAGE = 4096;
    private static final int SOURCE = 64 * 1024;
    private static final int DESTINATION = 3 * 64 * 1024;

    /** Destination minus source, modulo 4,096: 4,080 is 16 bytes before the source. */
    @Param({"0", "16", "64", "224", "4080"})
    int distance;

    @Param({"1400"})
    int length;

    private ByteBuffer target;
    private ByteBuffer source;

    @Setup
    public void setUp() {
        // alignedSlice drops up to a page at each end, so two pages more than the copies reach
        target = ByteBuffer.allocateDirect(DESTINATION + 3 * PAGE + length).alignedSlice(PAGE);
        source = target.duplicate();
    }

    @Benchmark
    public ByteBuffer directToDirect() {
        return target.put(DESTINATION + distance, source, SOURCE, length);
    }
}
