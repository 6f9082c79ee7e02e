package org.mptunnel.benchmarks;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.mptunnel.internal.window.DuplicateWindow;
import org.mptunnel.internal.wire.Header;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Receiver side, per datagram: validate the header, match the session id, judge the sequence in
 * the duplicate window; the steps the I/O thread takes before a datagram is delivered or dropped.
 * The datagram sits in a direct buffer, as a received frame does. The payload is not touched on
 * this path, so its size should not matter; it is a parameter to show that.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class DecodeBenchmark {

    @Param({"64", "512", "1400"})
    int payload;

    private ByteBuffer datagram;
    private int length;
    private DuplicateWindow window;
    private long sequence;

    @Setup(Level.Trial)
    public void setUp() {
        length = Header.LENGTH + payload;
        datagram = Header.allocate(length);
        Header.write(datagram, Header.TYPE_DATA, Fixtures.SESSION_ID, 0, payload);
        datagram.put(Header.LENGTH, Fixtures.payload(payload));
        window = new DuplicateWindow(Fixtures.CONFIG.duplicateWindow());
        // Sequence 0 is seen once, so that duplicate() judges a copy of a datagram already delivered.
        expect(DuplicateWindow.FRESH, decode(datagram, length, window));
        expect(DuplicateWindow.DUPLICATE, decode(datagram, length, window));
    }

    /** A first copy: each op carries the next sequence number, as a new datagram would. */
    @Benchmark
    public void fresh(Blackhole bh) {
        datagram.putLong(Header.SEQUENCE_OFFSET, ++sequence);
        bh.consume(decode(datagram, length, window));
    }

    /** A later copy of a datagram already accepted: the same sequence number every op. */
    @Benchmark
    public void duplicate(Blackhole bh) {
        bh.consume(decode(datagram, length, window));
    }

    /** The checks {@code ClientEngine.onDatagram} makes, in its order, up to the window's verdict. */
    private static int decode(ByteBuffer datagram, int length, DuplicateWindow window) {
        if (Header.check(datagram, length) != Header.TYPE_DATA
                || Header.sessionId(datagram) != Fixtures.SESSION_ID) {
            return -1;
        }
        return window.accept(Header.sequence(datagram));
    }

    private static void expect(int expected, int actual) {
        if (expected != actual) {
            throw new IllegalStateException("decode returned " + actual + ", expected " + expected);
        }
    }
}
