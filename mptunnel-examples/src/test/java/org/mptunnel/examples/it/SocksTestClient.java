package org.mptunnel.examples.it;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A SOCKS5 client written for the tests from RFC 1928 and RFC 1929: the TCP handshake byte by
 * byte, then UDP datagrams with the SOCKS UDP header. No library, so that what is tested is the
 * wire, not someone's idea of it.
 */
final class SocksTestClient implements AutoCloseable {

    static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    final Socket control;
    final DataInputStream in;
    final OutputStream out;
    private DatagramSocket udp;
    private InetSocketAddress relay;

    /** A reply's source as its SOCKS header names it, and its data. */
    record Reply(InetSocketAddress source, String data) {
    }

    SocksTestClient(int port) throws IOException {
        control = new Socket(LOOPBACK, port);
        control.setSoTimeout(5_000);
        in = new DataInputStream(control.getInputStream());
        out = control.getOutputStream();
    }

    /** Sends raw bytes on the control connection. */
    SocksTestClient write(int... bytes) throws IOException {
        byte[] b = new byte[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            b[i] = (byte) bytes[i];
        }
        out.write(b);
        out.flush();
        return this;
    }

    /** @return the next {@code n} bytes of the control connection, as unsigned values */
    int[] read(int n) throws IOException {
        int[] values = new int[n];
        for (int i = 0; i < n; i++) {
            values[i] = in.readUnsignedByte();
        }
        return values;
    }

    /** @return whether the server closed the control connection (EOF or reset) within the read timeout */
    boolean closedByServer() throws IOException {
        try {
            return in.read() < 0;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset
        }
    }

    /** Greeting with no authentication, then UDP ASSOCIATE naming no address; opens the UDP socket. */
    SocksTestClient associate() throws IOException {
        write(5, 1, 0);
        expect(read(2), 5, 0);
        return requestAssociation();
    }

    /** Greeting with username/password, the credentials, then UDP ASSOCIATE. @return the RFC 1929 status */
    int authenticate(String user, String password) throws IOException {
        write(5, 2, 0, 2);
        expect(read(2), 5, 2);
        byte[] u = user.getBytes(StandardCharsets.UTF_8);
        byte[] p = password.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(3 + u.length + p.length);
        b.put((byte) 1).put((byte) u.length).put(u).put((byte) p.length).put(p);
        out.write(b.array());
        out.flush();
        int[] status = read(2);
        if (status[0] != 1) {
            throw new AssertionError("RFC 1929 version " + status[0]);
        }
        return status[1];
    }

    /** UDP ASSOCIATE (after the greeting) with DST 0.0.0.0:0; opens the UDP socket. */
    SocksTestClient requestAssociation() throws IOException {
        write(5, 3, 0, 1, 0, 0, 0, 0, 0, 0);
        int[] head = read(4);
        expect(head, 5, 0, 0, 1);
        int[] address = read(4);
        int[] port = read(2);
        byte[] ip = new byte[4];
        for (int i = 0; i < 4; i++) {
            ip[i] = (byte) address[i];
        }
        relay = new InetSocketAddress(InetAddress.getByAddress(ip), (port[0] << 8) | port[1]);
        udp = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0));
        return this;
    }

    InetSocketAddress relay() {
        return relay;
    }

    DatagramSocket udp() {
        return udp;
    }

    /** Sends {@code data} to {@code destination} through the association. */
    void send(InetSocketAddress destination, String data) throws IOException {
        byte[] ip = destination.getAddress().getAddress();
        ByteBuffer b = ByteBuffer.allocate(4 + ip.length + 2 + data.length());
        b.put(new byte[] {0, 0, 0, (byte) (ip.length == 4 ? 1 : 4)}).put(ip).putShort((short) destination.getPort())
                .put(data.getBytes(StandardCharsets.US_ASCII));
        sendRaw(b.array());
    }

    /** Sends {@code data} to the domain name {@code host}:{@code port} through the association. */
    void sendToName(String host, int port, String data) throws IOException {
        byte[] name = host.getBytes(StandardCharsets.US_ASCII);
        ByteBuffer b = ByteBuffer.allocate(5 + name.length + 2 + data.length());
        b.put(new byte[] {0, 0, 0, 3, (byte) name.length}).put(name).putShort((short) port)
                .put(data.getBytes(StandardCharsets.US_ASCII));
        sendRaw(b.array());
    }

    /** Sends a datagram to the relay as it is, header and all. */
    void sendRaw(byte[] datagram) throws IOException {
        udp.send(new DatagramPacket(datagram, datagram.length, relay));
    }

    /** @return the next reply, or null if none comes within {@code timeoutMillis} */
    Reply receive(int timeoutMillis) throws IOException {
        udp.setSoTimeout(timeoutMillis);
        byte[] buffer = new byte[2048];
        DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
        try {
            udp.receive(packet);
        } catch (SocketTimeoutException e) {
            return null;
        }
        if (!packet.getSocketAddress().equals(relay)) {
            throw new AssertionError("a datagram from " + packet.getSocketAddress() + ", not the relay " + relay);
        }
        if (buffer[0] != 0 || buffer[1] != 0 || buffer[2] != 0) {
            throw new AssertionError("bad RSV/FRAG in reply: " + Arrays.toString(Arrays.copyOf(buffer, 4)));
        }
        int length = switch (buffer[3]) {
            case 1 -> 4;
            case 4 -> 16;
            default -> throw new AssertionError("reply with ATYP " + buffer[3]);
        };
        InetAddress source = InetAddress.getByAddress(Arrays.copyOfRange(buffer, 4, 4 + length));
        int port = ((buffer[4 + length] & 0xFF) << 8) | (buffer[5 + length] & 0xFF);
        String data = new String(buffer, 6 + length, packet.getLength() - 6 - length, StandardCharsets.US_ASCII);
        return new Reply(new InetSocketAddress(source, port), data);
    }

    private static void expect(int[] actual, int... expected) {
        if (!Arrays.equals(actual, expected)) {
            throw new AssertionError("expected " + Arrays.toString(expected) + ", got " + Arrays.toString(actual));
        }
    }

    @Override
    public void close() throws IOException {
        control.close();
        if (udp != null) {
            udp.close();
        }
    }
}
