package org.mptunnel.benchmarks;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.mptunnel.internal.engine.ClientEngine;
import org.mptunnel.internal.engine.Codec;
import org.mptunnel.internal.io.Frame;
import org.mptunnel.internal.io.Inbox;
import org.mptunnel.internal.path.Path;
import org.mptunnel.internal.session.Session;
import org.mptunnel.internal.session.TunnelCounters;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * One datagram from {@code send} to {@code receive} through the engine's own code, with the
 * sockets taken out: the peer's session encodes it into the sender's buffer (the codec's
 * {@code encodeData}); it is copied into the client engine's inbox frame where a socket read would
 * have put it, and handed to the engine as the I/O backend hands it ({@code Engine.datagram}: the
 * read loop's check, session, path and session heard, duplicate window and delivery); then the
 * receiver's side: take the frame, copy the payload into a {@code byte[]} as {@code receive}
 * copies into the packet, release the frame.
 *
 * <p>All of it runs on the benchmark thread, one datagram in flight: this measures the CPU work and
 * the queue operations (uncontended atomics, no parking, no wake-up) per datagram, not the
 * cross-thread hand-off latency, nor the system calls, nor the fan-out, which are socket writes.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class InProcessPathBenchmark {

    private static final int PAGE_WORDS = 4096 / Long.BYTES;

    @Param({"64", "512", "1400"})
    int payload;

    /**
     * Where the payload's arrays land on the heap: 0 where they are allocated; any other value is
     * the seed of a gap of 0 to 4,088 bytes left before each, which moves them against the engine's
     * direct buffers. A copy's speed depends on that placement on some CPUs
     * ({@link CopyPlacementBenchmark}), so versions are compared over several layouts.
     */
    @Param({"0"})
    int layout;

    private ClientEngine engine;
    private Path path;
    private Codec codec;
    /** The server's side of the session, which numbers and encodes what the client receives. */
    private Session sender;
    private Inbox inbox;
    private byte[] data;
    private byte[] received;
    private long arrivals;
    private long now;
    private long roundTrips;
    /** The gaps {@link #layout} left, kept so that nothing treats them as dead. */
    private final byte[][] gaps = new byte[2][];

    @Setup(Level.Trial)
    public void setUp() throws InterruptedException {
        path = Fixtures.path();
        engine = ClientEngine.over(Fixtures.CONFIG, Fixtures.SESSION_ID, new Path[] {path}, System.nanoTime());
        codec = Codec.of(Fixtures.CONFIG);
        sender = Fixtures.session(Fixtures.path(), new TunnelCounters());
        inbox = engine.inbox();
        Random placement = new Random(layout);
        gaps[0] = gap(placement);
        data = Fixtures.payload(payload);
        gaps[1] = gap(placement);
        received = new byte[payload];
        // One round before measuring allocates the inbox's frames (lazily, by design) and checks
        // that the payload makes it through unchanged.
        roundTrip();
        if (!Arrays.equals(data, received)) {
            throw new IllegalStateException("payload changed on the way");
        }
    }

    /** Heap allocation is sequential within a thread's buffer: an array of n bytes moves the next one by n + 16. */
    private byte[] gap(Random placement) {
        return layout == 0 ? null : new byte[placement.nextInt(PAGE_WORDS) * Long.BYTES];
    }

    @Benchmark
    public void sendReceive(Blackhole bh) throws InterruptedException {
        bh.consume(roundTrip());
    }

    private int roundTrip() throws InterruptedException {
        arrive(codec.encodeData(sender, data, 0, payload));
        // Never blocks: the datagram was just delivered; a short timeout rather than 0 (which
        // waits forever) so that a datagram that was not delivered fails the run instead of hanging.
        Frame frame = inbox.take(1_000_000L);
        int n = frame.copyPayloadTo(received, 0, received.length);
        inbox.release(frame);
        roundTrips++;
        return n;
    }

    /** What the socket read does (the datagram into the inbox's current frame), then the engine's read path. */
    private void arrive(ByteBuffer wire) {
        int length = wire.limit();
        ByteBuffer frame = engine.nextBuffer();
        frame.put(0, wire, 0, length).position(length); // receive() leaves the position at the end
        if ((arrivals++ & 63) == 0) {
            now = System.nanoTime(); // the backend reads the clock once per read batch of up to 64
        }
        engine.datagram(path, Fixtures.PEER, frame, length, now);
    }

    /** Every datagram the peer numbered made the round trip (a lost one fails {@code take} at once). */
    @TearDown(Level.Trial)
    public void checkEverythingDelivered() {
        long sent = sender.nextSequence();
        if (roundTrips != sent) {
            throw new IllegalStateException(sent + " datagrams sent, " + roundTrips + " delivered");
        }
    }
}
