package org.mptunnel.benchmarks;

import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;
import org.mptunnel.internal.crypto.Aead;
import org.mptunnel.internal.crypto.Handshake;
import org.mptunnel.internal.crypto.Transport;
import org.mptunnel.internal.crypto.X25519;
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
import org.mptunnel.internal.wire.Sealed;

/**
 * Protocol v2's per-datagram cost: sealing a data datagram in place in a direct buffer (as the
 * sender does, once for all paths) and opening it in place (as the receiver does, once per first
 * copy), with the keys of a real handshake, for both AEAD suites.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class SealOpenBenchmark {

    @Param({"64", "512", "1400"})
    int payload;

    @Param({"AES_256_GCM", "CHACHA20_POLY1305"})
    Aead.Suite suite;

    private byte[] data;
    private Transport sender;
    private Transport receiver;
    private ByteBuffer buffer;
    private long sequence;

    @Setup(Level.Trial)
    public void setUp() {
        byte[] psk = new byte[Handshake.PSK_LENGTH];
        new SecureRandom().nextBytes(psk);
        X25519 x25519 = new X25519(new SecureRandom());
        Handshake.Initiator initiator = new Handshake.Initiator(psk, suite, x25519);
        Handshake.Responder responder = new Handshake.Responder(psk, suite, x25519, Long.MAX_VALUE / 2);
        ByteBuffer initiation = ByteBuffer.allocate(Handshake.INITIATION_LENGTH);
        initiator.writeInitiation(initiation, Fixtures.SESSION_ID, System.currentTimeMillis() * 1000, 1);
        Handshake.Initiation accepted = responder.readInitiation(initiation, Handshake.INITIATION_LENGTH,
                id -> Long.MIN_VALUE, System.currentTimeMillis() * 1000);
        ByteBuffer response = ByteBuffer.allocate(Handshake.RESPONSE_LENGTH);
        Handshake.Keys serverKeys = responder.writeResponse(accepted, response);
        Handshake.Keys clientKeys = initiator.readResponse(response, Handshake.RESPONSE_LENGTH);
        long now = System.nanoTime();
        sender = new Transport(clientKeys, now, Long.MAX_VALUE / 2);
        receiver = new Transport(serverKeys, now, Long.MAX_VALUE / 2);
        data = Fixtures.payload(payload);
        buffer = Header.allocate(Header.LENGTH + payload + Aead.TAG_LENGTH);
    }

    private int seal() {
        ByteBuffer buf = buffer;
        buf.clear();
        Header.write(buf, Header.TYPE_DATA, Fixtures.SESSION_ID, sequence++, payload);
        buf.put(Header.VERSION_OFFSET, Header.VERSION_SEALED);
        buf.put(Header.LENGTH, data, 0, payload);
        return sender.seal(buf, payload);
    }

    /** What a sender adds per datagram in v2: the header, the payload copy, the seal. */
    @Benchmark
    public int seal(Blackhole bh) {
        bh.consume(buffer);
        return seal();
    }

    /** Seal, then open at the other end (header check included): a datagram's whole v2 cost. */
    @Benchmark
    public int sealOpen() {
        int length = seal();
        if (Sealed.check(buffer, length) != Header.TYPE_DATA) {
            throw new IllegalStateException("check failed");
        }
        int opened = receiver.open(buffer, length, 0);
        if (opened != payload) {
            throw new IllegalStateException("open failed");
        }
        return opened;
    }
}
