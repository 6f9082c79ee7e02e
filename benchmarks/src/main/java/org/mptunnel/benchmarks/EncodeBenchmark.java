package org.mptunnel.benchmarks;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.mptunnel.internal.engine.Codec;
import org.mptunnel.internal.session.Session;
import org.mptunnel.internal.session.TunnelCounters;
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
 * Sender side, per datagram: encoding once for fan-out (header + payload copy from the
 * application's {@code byte[]} into a direct buffer). The fan-out writes themselves are socket
 * calls and are not measured here.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class EncodeBenchmark {

    @Param({"64", "512", "1400"})
    int payload;

    private byte[] data;
    private Session session;
    private Codec codec;
    private ByteBuffer out;
    private long sequence;

    @Setup(Level.Trial)
    public void setUp() {
        data = Fixtures.payload(payload);
        session = Fixtures.session(Fixtures.path(), new TunnelCounters());
        codec = Codec.of(Fixtures.CONFIG);
        out = Header.allocate(Header.LENGTH + payload);
    }

    /**
     * The engine's encoder itself (v1's codec, {@code encodeData}): the thread-local send buffer, the session's atomic sequence
     * number, the header and the payload copy.
     */
    @Benchmark
    public void encodeData(Blackhole bh) {
        bh.consume(codec.encodeData(session, data, 0, payload));
    }

    /**
     * Only the two writes {@code encodeData} makes (same calls, same order) into a buffer held by
     * the benchmark with a plain sequence counter: the difference to {@link #encodeData} is the
     * thread-local lookup and the atomic sequence increment.
     */
    @Benchmark
    public void headerAndPayload(Blackhole bh) {
        ByteBuffer buf = out;
        Header.write(buf, Header.TYPE_DATA, Fixtures.SESSION_ID, sequence++, payload);
        buf.put(Header.LENGTH, data, 0, payload);
        bh.consume(buf);
    }
}
