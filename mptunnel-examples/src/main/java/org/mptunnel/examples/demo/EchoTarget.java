package org.mptunnel.examples.demo;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/** A UDP echo service on loopback: what the demo's tunnel leads to. */
public final class EchoTarget implements AutoCloseable {

    private final DatagramSocket socket;
    private final Thread thread;

    private EchoTarget(DatagramSocket socket) {
        this.socket = socket;
        this.thread = new Thread(this::run, "echo-" + socket.getLocalPort());
        this.thread.setDaemon(true);
    }

    /** Binds a free loopback port and starts echoing. */
    public static EchoTarget start() throws IOException {
        DatagramSocket socket = new DatagramSocket(null);
        socket.setReceiveBufferSize(4 << 20);
        socket.setSendBufferSize(4 << 20);
        socket.bind(new InetSocketAddress(Loopback.ADDRESS, 0));
        EchoTarget echo = new EchoTarget(socket);
        echo.thread.start();
        return echo;
    }

    /** @return where to send */
    public InetSocketAddress address() {
        return (InetSocketAddress) socket.getLocalSocketAddress();
    }

    private void run() {
        byte[] buffer = new byte[65_535];
        DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
        while (!socket.isClosed()) {
            packet.setData(buffer);
            try {
                socket.receive(packet);
                socket.send(packet); // the packet still carries its sender: back it goes
            } catch (IOException e) {
                return;
            }
        }
    }

    @Override
    public void close() {
        socket.close();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
