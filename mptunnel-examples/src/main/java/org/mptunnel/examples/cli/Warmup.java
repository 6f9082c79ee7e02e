package org.mptunnel.examples.cli;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.mptunnel.DatagramHandler;
import org.mptunnel.MultipathDatagramSocket;
import org.mptunnel.TunnelConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the tunnel's send and receive paths, both roles, on loopback inside this JVM before a tool
 * opens its own ports. Otherwise a fresh JVM loads some 450 classes (the engine, its queues, JMX;
 * with a key, the JDK's cryptography) at its first datagram: a stall of 190 to 750 ms, measured on
 * a busy 2-core machine, during which an application's datagrams pile up in mpclient's local socket,
 * then leave in one burst that overflows the receive buffer at the far end (a C mpserver's default
 * 208 KiB holds about 150 datagrams of 1,400 bytes). Afterwards the first real datagram finds
 * everything loaded.
 */
public final class Warmup {

    private static final Logger LOG = LoggerFactory.getLogger(Warmup.class);
    /**
     * The first round trip loads the classes; the rest run what only a stream of datagrams runs
     * (buffers and frames reused, windows moved on). Compiling the hot methods needs no warm-up:
     * it happens on the JIT's own threads and never holds up a datagram.
     */
    static final int ROUND_TRIPS = 200;
    /** Datagrams in flight at once: far below any socket buffer, so loopback drops none. */
    private static final int IN_FLIGHT = 16;
    private static final int PAYLOAD_BYTES = 1_200;
    /** A warm-up never holds up the tool for longer than this, whatever happens to it. */
    private static final long DEADLINE_NANOS = TimeUnit.SECONDS.toNanos(5);

    private Warmup() {
    }

    /**
     * Sends {@link #ROUND_TRIPS} datagrams from a client to a server and back, both with the wire
     * format, key, cipher, ordering and redundancy of {@code like}, on loopback ports the system
     * picks, then closes both. Never throws: a warm-up that fails is logged at DEBUG and the tool
     * starts all the same (cold).
     *
     * @param like the configuration the tool is about to open, of either role
     * @return the round trips completed
     */
    public static int run(TunnelConfig like) {
        long start = System.nanoTime();
        long deadline = start + DEADLINE_NANOS;
        Semaphore window = new Semaphore(IN_FLIGHT);
        AtomicInteger echoes = new AtomicInteger();
        AtomicLong firstEcho = new AtomicLong();
        AtomicReference<MultipathDatagramSocket> serverRef = new AtomicReference<>();
        try (MultipathDatagramSocket server = MultipathDatagramSocket.open(serverLike(like, (payload, from) -> {
                    byte[] echo = new byte[payload.remaining()];
                    payload.get(echo);
                    try {
                        serverRef.get().send(new DatagramPacket(echo, echo.length, from));
                    } catch (IOException e) {
                        LOG.debug("warm-up echo not sent: {}", e.toString());
                    }
                }));
             MultipathDatagramSocket client = MultipathDatagramSocket.open(clientLike(like,
                     new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort()), (payload, from) -> {
                         if (echoes.getAndIncrement() == 0) {
                             firstEcho.set(System.nanoTime());
                         }
                         window.release();
                     }))) {
            serverRef.set(server);
            DatagramPacket packet = new DatagramPacket(new byte[PAYLOAD_BYTES], PAYLOAD_BYTES);
            for (int sent = 0; sent < ROUND_TRIPS; sent++) {
                if (!window.tryAcquire(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                    break;
                }
                client.send(packet);
            }
            window.tryAcquire(IN_FLIGHT, Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (IOException | RuntimeException e) {
            LOG.debug("warm-up failed, the tool starts cold", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LOG.debug("warm-up: {} of {} round trips in {} ms, the first in {} ms", echoes.get(), ROUND_TRIPS,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start),
                echoes.get() == 0 ? "-" : TimeUnit.NANOSECONDS.toMillis(firstEcho.get() - start));
        return echoes.get();
    }

    private static TunnelConfig serverLike(TunnelConfig like, DatagramHandler handler) {
        TunnelConfig.ServerBuilder builder = TunnelConfig.server(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .maxSessions(1);
        return shared(like, builder).receiveHandler(handler).build();
    }

    private static TunnelConfig clientLike(TunnelConfig like, InetSocketAddress server, DatagramHandler handler) {
        TunnelConfig.ClientBuilder builder = TunnelConfig.client().path(server).localAddress(InetAddress.getLoopbackAddress());
        if (like.role() == TunnelConfig.Role.CLIENT) {
            builder.redundancy(like.redundancy());
        }
        return shared(like, builder).receiveHandler(handler).build();
    }

    /**
     * What changes the code a datagram, or opening a session, runs through. JMX too: registering
     * the first MBean starts the platform MBean server, 80 ms more (the warm-up's MBeans are gone
     * again before the tool's own appear).
     */
    private static <B extends TunnelConfig.Builder<B>> B shared(TunnelConfig like, B builder) {
        builder.wireFormat(like.wireFormat())
                .jmx(like.jmx())
                .keepaliveInterval(like.keepaliveInterval())
                .deadTimeout(like.deadTimeout())
                .orderedDelivery(like.orderedDelivery());
        if (like.encrypted()) {
            byte[] key = like.preSharedKey();
            builder.preSharedKey(key).aeadSuite(like.aeadSuite());
            Arrays.fill(key, (byte) 0);
        }
        return builder;
    }
}
