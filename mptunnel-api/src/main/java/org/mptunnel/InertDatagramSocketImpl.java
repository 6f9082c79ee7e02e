package org.mptunnel;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocketImpl;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketAddress;
import java.net.SocketException;

/**
 * The implementation handed to {@link java.net.DatagramSocket}'s constructor so that the parent
 * opens no file descriptor of its own. {@link MultipathDatagramSocket} overrides every public
 * method, so none of these is reached in normal use; each refuses rather than act half-initialised.
 */
final class InertDatagramSocketImpl extends DatagramSocketImpl {

    private static SocketException refused() {
        return new SocketException("not supported by a multipath socket");
    }

    @Override
    protected void create() {
        // Nothing to create: the engine owns the real channels.
    }

    @Override
    protected void bind(int lport, InetAddress laddr) throws SocketException {
        throw refused();
    }

    @Override
    protected void send(DatagramPacket p) throws IOException {
        throw refused();
    }

    @Override
    protected int peek(InetAddress i) throws IOException {
        throw refused();
    }

    @Override
    protected int peekData(DatagramPacket p) throws IOException {
        throw refused();
    }

    @Override
    protected void receive(DatagramPacket p) throws IOException {
        throw refused();
    }

    @Override
    @Deprecated
    protected void setTTL(byte ttl) throws IOException {
        throw refused();
    }

    @Override
    @Deprecated
    protected byte getTTL() throws IOException {
        throw refused();
    }

    @Override
    protected void setTimeToLive(int ttl) throws IOException {
        throw refused();
    }

    @Override
    protected int getTimeToLive() throws IOException {
        throw refused();
    }

    @Override
    protected void join(InetAddress inetaddr) throws IOException {
        throw refused();
    }

    @Override
    protected void leave(InetAddress inetaddr) throws IOException {
        throw refused();
    }

    @Override
    protected void joinGroup(SocketAddress mcastaddr, NetworkInterface netIf) throws IOException {
        throw refused();
    }

    @Override
    protected void leaveGroup(SocketAddress mcastaddr, NetworkInterface netIf) throws IOException {
        throw refused();
    }

    @Override
    protected void close() {
        // Nothing was opened.
    }

    @Override
    public void setOption(int optID, Object value) throws SocketException {
        throw refused();
    }

    @Override
    public Object getOption(int optID) throws SocketException {
        throw refused();
    }
}
