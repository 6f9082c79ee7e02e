package org.mptunnel.benchmarks;

import java.nio.ByteBuffer;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.mptunnel.internal.fec.FecDecoder;
import org.mptunnel.internal.fec.FecEncoder;
import org.mptunnel.internal.fec.ReedSolomon;
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
 * The forward error correction code, one group per op: k data shards of {@code payload} bytes and
 * m repairs. MB/s of payload = k × payload / (ns/op) × 1000 (9,600 bytes per op at the defaults).
 * The {@code codec*} benchmarks are {@link ReedSolomon} alone; the {@code group*} ones are the
 * sender's and receiver's group layers around it (copies of the datagrams, length prefixes, padding).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class FecBenchmark {

    @Param("8")
    int k;

    @Param("4")
    int m;

    @Param("1200")
    int payload;

    private ReedSolomon codec;
    private byte[][] data;
    private byte[][] repair;
    private boolean[] dataPresent;
    private boolean[] repairPresent;

    private FecEncoder encoder;
    private ByteBuffer[] datagrams;
    private ByteBuffer[] repairs;
    private FecDecoder decoder;
    private Blackhole sink;
    private long group;

    @Setup(Level.Trial)
    public void setUp(Blackhole bh) {
        Random random = new Random(17);
        codec = new ReedSolomon(k, m, 16);
        data = new byte[k][payload];
        repair = new byte[m][payload];
        datagrams = new ByteBuffer[k];
        for (int j = 0; j < k; j++) {
            random.nextBytes(data[j]);
            datagrams[j] = ByteBuffer.wrap(data[j].clone());
        }
        codec.encode(data, k, repair, m, payload);
        dataPresent = new boolean[k];
        repairPresent = new boolean[m];
        java.util.Arrays.fill(repairPresent, true);

        encoder = new FecEncoder(k, m, payload);
        for (ByteBuffer d : datagrams) {
            encoder.add(d);
        }
        repairs = new ByteBuffer[m];
        for (int i = 0; i < m; i++) {
            ByteBuffer r = encoder.repair(i);
            repairs[i] = ByteBuffer.allocate(r.remaining()).put(r).flip();
        }
        sink = bh;
        decoder = new FecDecoder(k, m, payload, 16, (g, index, p) -> sink.consume(p));
    }

    /** m repairs from k data shards. */
    @Benchmark
    public void codecEncode(Blackhole bh) {
        codec.encode(data, k, repair, m, payload);
        bh.consume(repair);
    }

    /** The first m data shards rebuilt from the others and the m repairs (the inverse is cached). */
    @Benchmark
    public void codecDecode(Blackhole bh) {
        for (int j = 0; j < k; j++) {
            dataPresent[j] = j >= m;
        }
        bh.consume(codec.decode(data, dataPresent, k, repair, repairPresent, m, payload));
    }

    /** k datagrams fed to the sender's encoder, which closes the group and codes its repairs. */
    @Benchmark
    public void groupEncode(Blackhole bh) {
        for (int j = 0; j < k; j++) {
            encoder.add(datagrams[j]);
        }
        bh.consume(encoder.repair(0));
    }

    /**
     * A new group each op at the receiver: its last k − m datagrams and its m repairs arrive, and
     * the first m datagrams are rebuilt and handed to the sink.
     */
    @Benchmark
    public void groupDecode() {
        long g = group++;
        for (int j = m; j < k; j++) {
            decoder.data(g, j, datagrams[j]);
        }
        for (int i = 0; i < m; i++) {
            decoder.repair(g, repairs[i]);
        }
    }
}
