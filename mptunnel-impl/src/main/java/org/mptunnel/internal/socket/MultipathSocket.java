package org.mptunnel.internal.socket;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketOption;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import org.mptunnel.DatagramTooLargeException;
import org.mptunnel.MultipathDatagramSocket;
import org.mptunnel.TunnelConfig;
import org.mptunnel.TunnelPath;
import org.mptunnel.TunnelStats;
import org.mptunnel.internal.engine.ConnectedEngine;
import org.mptunnel.internal.engine.Engine;
import org.mptunnel.internal.io.Frame;
import org.mptunnel.internal.io.Inbox;
import org.mptunnel.internal.jmx.SocketMetrics;

/**
 * The {@code DatagramSocket} contract over an {@link Engine}. Every public method of
 * {@code java.net.DatagramSocket} is overridden, in the order that class declares them, with the
 * JDK's behaviour ({@code sun.nio.ch.DatagramSocketAdaptor} is the reference) where the role allows.
 */
final class MultipathSocket extends MultipathDatagramSocket {

    private static final Set<SocketOption<?>> OPTIONS = Set.of(StandardSocketOptions.SO_SNDBUF,
            StandardSocketOptions.SO_RCVBUF, StandardSocketOptions.SO_REUSEADDR, StandardSocketOptions.SO_BROADCAST,
            StandardSocketOptions.IP_TOS);

    private final TunnelConfig config;
    private final Engine engine;
    private final Inbox inbox;
    /** The client's virtual peer; null on a server. */
    private final InetSocketAddress peer;
    private final int maxPayload;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Serialises receivers, as the JDK's socket does: the inbox has one consumer at a time. */
    private final ReentrantLock receiveLock = new ReentrantLock();
    private volatile int soTimeoutMillis;
    /** The JMX registration, if the configuration asked for one. */
    private final SocketMetrics metrics;

    MultipathSocket(TunnelConfig config, Engine engine, InetSocketAddress peer) {
        this.config = config;
        this.engine = engine;
        this.inbox = engine.inbox();
        this.peer = peer;
        this.maxPayload = config.maxPayloadSize();
        this.metrics = config.jmx() ? SocketMetrics.register(config.role().name().toLowerCase(Locale.ROOT),
                engine.localAddress().getPort(), engine::stats) : null;
    }

    @Override
    public TunnelConfig config() {
        return config;
    }

    @Override
    public TunnelStats stats() {
        return engine.stats();
    }

    @Override
    public List<TunnelPath> paths() {
        return isClient() ? ((ConnectedEngine) engine).paths() : List.of();
    }

    @Override
    public void addPath(TunnelPath path) throws IOException {
        Objects.requireNonNull(path, "path");
        ensureOpen();
        clientEngine().addPath(path);
    }

    @Override
    public boolean removePath(TunnelPath path) {
        Objects.requireNonNull(path, "path");
        return clientEngine().removePath(path);
    }

    private ConnectedEngine clientEngine() {
        if (!isClient()) {
            throw new UnsupportedOperationException("a multipath server learns its paths from its clients");
        }
        return (ConnectedEngine) engine;
    }

    /** For tests in this package: the engine underneath. */
    Engine engine() {
        return engine;
    }

    private boolean isClient() {
        return peer != null;
    }

    private void ensureOpen() throws SocketException {
        if (closed.get()) {
            throw new SocketException("Socket is closed");
        }
        Throwable failure = engine.failure();
        if (failure != null) {
            throw failed(failure);
        }
    }

    /** The socket's I/O thread ended on {@code cause}: the socket is closed, and says why. */
    private static SocketException failed(Throwable cause) {
        SocketException e = new SocketException("Socket failed: its I/O thread stopped on " + cause);
        e.initCause(cause);
        return e;
    }

    /** Always bound: the socket binds when it opens. */
    @Override
    public void bind(SocketAddress addr) throws SocketException {
        ensureOpen();
        throw new SocketException("already bound");
    }

    @Override
    public void connect(InetAddress address, int port) {
        if (address == null) {
            throw new IllegalArgumentException("Address can't be null");
        }
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("connect: " + port);
        }
        try {
            connect(new InetSocketAddress(address, port));
        } catch (SocketException e) {
            throw new UncheckedIOException("connect failed", e);
        }
    }

    /** A client is connected to its peer from the start; connecting it there again is allowed. */
    @Override
    public void connect(SocketAddress addr) throws SocketException {
        if (addr == null) {
            throw new IllegalArgumentException("Address can't be null");
        }
        if (!(addr instanceof InetSocketAddress)) {
            throw new IllegalArgumentException("Unsupported address type");
        }
        ensureOpen();
        if (!isClient()) {
            throw new SocketException("a multipath server serves many sessions and cannot be connected");
        }
        if (!peer.equals(addr)) {
            throw new SocketException("a multipath client is connected to its peer " + peer
                    + " and cannot be connected to " + addr);
        }
    }

    /** Does nothing: a client stays connected to its peer, and a server is never connected. */
    @Override
    public void disconnect() {
    }

    @Override
    public boolean isBound() {
        return true;
    }

    @Override
    public boolean isConnected() {
        return isClient();
    }

    @Override
    public InetAddress getInetAddress() {
        return isClient() ? peer.getAddress() : null;
    }

    @Override
    public int getPort() {
        return isClient() ? peer.getPort() : -1;
    }

    @Override
    public SocketAddress getRemoteSocketAddress() {
        return peer;
    }

    @Override
    public SocketAddress getLocalSocketAddress() {
        return isClosed() ? null : engine.localAddress();
    }

    @Override
    public void send(DatagramPacket p) throws IOException {
        byte[] data = p.getData();
        int offset = p.getOffset();
        int length = p.getLength();
        InetAddress address = p.getAddress();
        int port = p.getPort();
        ensureOpen();
        if (length > maxPayload) {
            throw new DatagramTooLargeException(length, maxPayload);
        }
        if (address == null) {
            if (!isClient()) {
                throw new IllegalArgumentException("Address not set");
            }
            // As the JDK's connected socket does: the packet then names where it went.
            p.setAddress(peer.getAddress());
            p.setPort(peer.getPort());
        } else if (isClient() && (port != peer.getPort() || !address.equals(peer.getAddress()))) {
            throw new IllegalArgumentException("Connected address and packet address differ");
        }
        try {
            engine.send(data, offset, length, address, port);
        } catch (ClosedChannelException e) {
            ensureOpen(); // a failure closed the channels: say so
            throw new SocketException("Socket is closed");
        }
    }

    /**
     * Waits for the next datagram. Honours the packet's offset and capacity (not its last received
     * length); a longer datagram is truncated, as UDP does. An interrupt ends the wait with
     * {@link InterruptedIOException} and leaves the socket open. With a receive handler nothing
     * ever reaches the inbox, so it throws rather than wait forever.
     */
    @Override
    public void receive(DatagramPacket p) throws IOException {
        Objects.requireNonNull(p, "packet");
        ensureOpen();
        if (config.receiveHandler() != null) {
            throw new SocketException("datagrams go to the receive handler: receive() is not available");
        }
        int timeout = soTimeoutMillis;
        long deadline = timeout > 0 ? System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeout) : 0;
        try {
            if (timeout > 0) {
                if (!receiveLock.tryLock(timeout, TimeUnit.MILLISECONDS)) {
                    throw new SocketTimeoutException("Receive timed out");
                }
            } else {
                receiveLock.lockInterruptibly();
            }
        } catch (InterruptedException e) {
            throw interrupted();
        }
        try {
            ensureOpen();
            Frame frame;
            try {
                frame = inbox.take(timeout > 0 ? Math.max(1, deadline - System.nanoTime()) : 0);
            } catch (InterruptedException e) {
                throw interrupted();
            }
            if (frame == null) {
                throw new SocketTimeoutException("Receive timed out");
            }
            if (inbox.isClosedMarker(frame)) {
                Throwable failure = engine.failure();
                throw failure != null ? failed(failure) : new SocketException("Socket closed");
            }
            try {
                int length = frame.copyPayloadTo(p.getData(), p.getOffset(), PacketFields.capacity(p));
                PacketFields.setReceivedLength(p, length);
                p.setSocketAddress(frame.sender());
            } finally {
                inbox.release(frame);
            }
        } finally {
            receiveLock.unlock();
        }
    }

    private static InterruptedIOException interrupted() {
        Thread.currentThread().interrupt();
        return new InterruptedIOException("receive interrupted");
    }

    @Override
    public InetAddress getLocalAddress() {
        if (isClosed()) {
            return null;
        }
        InetSocketAddress local = engine.localAddress();
        return local == null ? null : local.getAddress();
    }

    @Override
    public int getLocalPort() {
        if (isClosed()) {
            return -1;
        }
        InetSocketAddress local = engine.localAddress();
        return local == null ? -1 : local.getPort();
    }

    @Override
    public void setSoTimeout(int timeout) throws SocketException {
        ensureOpen();
        if (timeout < 0) {
            throw new IllegalArgumentException("timeout < 0");
        }
        soTimeoutMillis = timeout;
    }

    @Override
    public int getSoTimeout() throws SocketException {
        ensureOpen();
        return soTimeoutMillis;
    }

    @Override
    public void setSendBufferSize(int size) throws SocketException {
        if (size <= 0) {
            throw new IllegalArgumentException("Invalid send size");
        }
        setSocketOption(StandardSocketOptions.SO_SNDBUF, size);
    }

    @Override
    public int getSendBufferSize() throws SocketException {
        return getSocketOption(StandardSocketOptions.SO_SNDBUF);
    }

    @Override
    public void setReceiveBufferSize(int size) throws SocketException {
        if (size <= 0) {
            throw new IllegalArgumentException("Invalid receive size");
        }
        setSocketOption(StandardSocketOptions.SO_RCVBUF, size);
    }

    @Override
    public int getReceiveBufferSize() throws SocketException {
        return getSocketOption(StandardSocketOptions.SO_RCVBUF);
    }

    @Override
    public void setReuseAddress(boolean on) throws SocketException {
        setSocketOption(StandardSocketOptions.SO_REUSEADDR, on);
    }

    @Override
    public boolean getReuseAddress() throws SocketException {
        return getSocketOption(StandardSocketOptions.SO_REUSEADDR);
    }

    @Override
    public void setBroadcast(boolean on) throws SocketException {
        setSocketOption(StandardSocketOptions.SO_BROADCAST, on);
    }

    @Override
    public boolean getBroadcast() throws SocketException {
        return getSocketOption(StandardSocketOptions.SO_BROADCAST);
    }

    @Override
    public void setTrafficClass(int tc) throws SocketException {
        if (tc < 0 || tc > 255) {
            throw new IllegalArgumentException("tc is not in range 0 -- 255");
        }
        setSocketOption(StandardSocketOptions.IP_TOS, tc);
    }

    @Override
    public int getTrafficClass() throws SocketException {
        return getSocketOption(StandardSocketOptions.IP_TOS);
    }

    /** Stops the I/O thread, releases every port and wakes a thread blocked in {@code receive}. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            if (metrics != null) {
                metrics.unregister();
            }
            engine.close();
        }
    }

    /** @return true once closed, or once the I/O thread failed (see {@code TunnelConfig.Builder.failureHandler}) */
    @Override
    public boolean isClosed() {
        return closed.get() || engine.failure() != null;
    }

    /** @return null: the socket is not backed by one channel */
    @Override
    public DatagramChannel getChannel() {
        return null;
    }

    /** Applies the option to every channel of the socket. */
    @Override
    public <T> MultipathDatagramSocket setOption(SocketOption<T> name, T value) throws IOException {
        Objects.requireNonNull(name, "name");
        if (!OPTIONS.contains(name)) {
            throw new UnsupportedOperationException("'" + name + "' not supported");
        }
        setSocketOption(name, value);
        return this;
    }

    @Override
    public <T> T getOption(SocketOption<T> name) throws IOException {
        Objects.requireNonNull(name, "name");
        if (!OPTIONS.contains(name)) {
            throw new UnsupportedOperationException("'" + name + "' not supported");
        }
        return getSocketOption(name);
    }

    @Override
    public Set<SocketOption<?>> supportedOptions() {
        return OPTIONS;
    }

    @Override
    public void joinGroup(SocketAddress mcastaddr, NetworkInterface netIf) throws IOException {
        ensureOpen();
        throw new SocketException("multicast is not supported by a multipath socket");
    }

    @Override
    public void leaveGroup(SocketAddress mcastaddr, NetworkInterface netIf) throws IOException {
        ensureOpen();
        throw new SocketException("multicast is not supported by a multipath socket");
    }

    private <T> void setSocketOption(SocketOption<T> option, T value) throws SocketException {
        ensureOpen();
        try {
            for (DatagramChannel channel : engine.channels()) {
                channel.setOption(option, value);
            }
        } catch (SocketException e) {
            throw e;
        } catch (IOException e) {
            throw socketException(e);
        }
    }

    private <T> T getSocketOption(SocketOption<T> option) throws SocketException {
        ensureOpen();
        try {
            List<DatagramChannel> channels = engine.channels();
            if (channels.isEmpty()) {
                throw new SocketException("the socket has no path now");
            }
            return channels.get(0).getOption(option);
        } catch (SocketException e) {
            throw e;
        } catch (IOException e) {
            throw socketException(e);
        }
    }

    private static SocketException socketException(IOException cause) {
        SocketException e = new SocketException(cause instanceof ClosedChannelException ? "Socket is closed" : cause.getMessage());
        e.initCause(cause);
        return e;
    }
}
