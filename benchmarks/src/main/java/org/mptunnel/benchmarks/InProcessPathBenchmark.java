package org.mptunnel.benchmarks;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.mptunnel.internal.io.Frame;
import org.mptunnel.internal.io.Inbox;
import org.mptunnel.internal.session.Session;
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
 * sockets taken out: encode into the sender's buffer ({@code Engine.encodeData}); copy it into the
 * inbox's current frame where a socket read would have put it; check, session id, heard, duplicate
 * window and delivery ({@code Engine.admitData}); then the receiver's side: take the frame, copy
 * the payload into a {@code byte[]} as {@code receive} copies into the packet, release the frame.
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

    @Param({"64", "512", "1400"})
    int payload;

    private SocketlessEngine engine;
    private Session session;
    private Inbox inbox;
    private byte[] data;
    private byte[] received;

    @Setup(Level.Trial)
    public void setUp() throws InterruptedException {
        engine = new SocketlessEngine(Fixtures.CONFIG);
        session = engine.session();
        inbox = engine.inbox();
        data = Fixtures.payload(payload);
        received = new byte[payload];
        // One round before measuring allocates the inbox's frames (lazily, by design) and checks
        // that the payload makes it through unchanged.
        roundTrip();
        if (!Arrays.equals(data, received)) {
            throw new IllegalStateException("payload changed on the way");
        }
        // Also links the counter's VarHandle read here, not in the tear-down (about 1.5 KB).
        if (engine.delivered() != 1) {
            throw new IllegalStateException("the first datagram was not delivered");
        }
    }

    @Benchmark
    public void sendReceive(Blackhole bh) throws InterruptedException {
        bh.consume(roundTrip());
    }

    private int roundTrip() throws InterruptedException {
        engine.arrive(SocketlessEngine.encode(session, data, 0, payload));
        // Never blocks: the datagram was just delivered; a short timeout rather than 0 (which
        // waits forever) so that a datagram that was not delivered fails the run instead of hanging.
        Frame frame = inbox.take(1_000_000L);
        int n = frame.copyPayloadTo(received, 0, received.length);
        inbox.release(frame);
        return n;
    }

    /**
     * Runs inside the last measurement iteration's allocation window of {@code -prof gc}, so it
     * reads counters rather than a stats snapshot (which allocated about 25 KB there on first use).
     */
    @TearDown(Level.Trial)
    public void checkEverythingDelivered() {
        long delivered = engine.delivered();
        long sent = session.nextSequence();
        if (delivered != sent) {
            throw new IllegalStateException(sent + " datagrams sent, " + delivered + " delivered");
        }
    }
}
