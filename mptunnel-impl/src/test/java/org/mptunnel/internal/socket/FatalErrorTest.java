package org.mptunnel.internal.socket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mptunnel.TunnelConfig;
import org.mptunnel.TunnelStats;
import org.mptunnel.internal.engine.Engine;

/**
 * An error that escapes the I/O thread (an {@link Error}: out of memory, a bug) closes the socket
 * and says why: {@code isClosed()}, {@code send} and {@code receive} (also one already blocked)
 * report it with the error as cause, the failure handler is told once, and the port is released.
 * Before, the thread died and the socket stayed open, forwarding nothing.
 */
@Timeout(60)
class FatalErrorTest {

    /** Not a RuntimeException, so no per-datagram catch takes it: what a bug or an exhausted JVM throws. */
    private static final class Boom extends Error {
        Boom() {
            super("boom (thrown by the test)");
        }
    }

    @Test
    void anErrorFromTheReceiveHandlerClosesTheSocketWithTheErrorAsCause() throws Exception {
        AtomicReference<Throwable> told = new AtomicReference<>();
        AtomicReference<InetSocketAddress> session = new AtomicReference<>();
        try (SocketPair pair = SocketPair.open(s -> s.receiveHandler((payload, from) -> {
            session.set(from);
            throw new Boom();
        }).failureHandler(told::set), c -> c)) {
            int port = pair.server.getLocalPort();
            assertThat(pair.server.isClosed()).isFalse();

            SocketPair.send(pair.client, SocketPair.bytes("trigger"));

            await().atMost(SocketPair.PATIENCE).until(() -> told.get() != null);
            assertThat(told.get()).isInstanceOf(Boom.class);
            assertThat(pair.server.isClosed()).isTrue();
            assertThatThrownBy(() -> SocketPair.send(pair.server, SocketPair.bytes("reply"), session.get()))
                    .isInstanceOf(SocketException.class).hasMessageContaining("failed").hasCauseInstanceOf(Boom.class);
            assertThatThrownBy(() -> pair.server.receive(new DatagramPacket(new byte[8], 8)))
                    .isInstanceOf(SocketException.class).hasMessageContaining("failed").hasCauseInstanceOf(Boom.class);
            await().atMost(SocketPair.PATIENCE).until(() -> bindable(port)); // the failed loop closed its channel
        }
    }

    @Test
    void anErrorOnTheIoThreadWakesABlockedReceiverAndFailsSends() throws Exception {
        AtomicReference<Throwable> told = new AtomicReference<>();
        TunnelConfig config = TunnelConfig.client().path(new InetSocketAddress(SocketPair.LOOPBACK, 9))
                .failureHandler(told::set).build();
        TimerErrorEngine engine = new TimerErrorEngine(config);
        try (MultipathSocket socket = new MultipathSocket(config, engine, config.peerAddress())) {
            BlockedReceive receive = BlockedReceive.start(socket);

            engine.failNextTimer();

            assertThat(receive.failure()).isInstanceOf(SocketException.class)
                    .hasMessageContaining("failed").hasCauseInstanceOf(Boom.class);
            await().atMost(SocketPair.PATIENCE).until(() -> told.get() != null);
            assertThat(told.get()).isInstanceOf(Boom.class);
            assertThat(socket.isClosed()).isTrue();
            assertThatThrownBy(() -> SocketPair.send(socket, SocketPair.bytes("x")))
                    .isInstanceOf(SocketException.class).hasCauseInstanceOf(Boom.class);
        }
    }

    private static boolean bindable(int port) {
        try (DatagramChannel channel = DatagramChannel.open()) {
            channel.bind(new InetSocketAddress(SocketPair.LOOPBACK, port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * The smallest engine over the real I/O loop: one channel, a timer every few milliseconds that
     * throws an {@link Error} once asked to. Sending does nothing; receiving waits on the inbox.
     */
    private static final class TimerErrorEngine extends Engine {
        private final DatagramChannel channel;
        private volatile boolean fail;

        TimerErrorEngine(TunnelConfig config) throws IOException {
            super(config);
            channel = openChannel(null);
            channel.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            Selector selector = Selector.open();
            channel.register(selector, SelectionKey.OP_READ);
            start("test-io", selector);
        }

        void failNextTimer() {
            fail = true;
        }

        @Override
        public long onTimer(long nowNanos) {
            if (fail) {
                throw new Boom();
            }
            return nowNanos + 5_000_000;
        }

        @Override
        protected void received(Object endpoint, InetSocketAddress source, ByteBuffer datagram, int length,
                                long nowNanos) {
        }

        @Override
        public void send(byte[] data, int offset, int length, InetAddress address, int port) {
        }

        @Override
        public InetSocketAddress localAddress() {
            return (InetSocketAddress) channel.socket().getLocalSocketAddress();
        }

        @Override
        public List<DatagramChannel> channels() {
            return List.of(channel);
        }

        @Override
        public TunnelStats stats() {
            return snapshot(List.of());
        }
    }
}
