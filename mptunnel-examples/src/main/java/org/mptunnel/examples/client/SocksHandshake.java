package org.mptunnel.examples.client;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import org.mptunnel.examples.socks.SocksUdp;

/**
 * The server side of one SOCKS5 handshake (RFC 1928 greeting and request, RFC 1929 when
 * credentials are required), fed bytes as they arrive on a non-blocking connection: it consumes
 * whole messages only and never waits, so no thread is held by a slow or silent client.
 */
final class SocksHandshake {

    static final int VERSION = 5;
    static final int REP_GENERAL_FAILURE = 0x01;
    /** The longest message: RFC 1929's VER ULEN UNAME PLEN PASSWD. */
    static final int MAX_MESSAGE = 3 + 255 + 255;
    private static final int NO_AUTHENTICATION = 0x00;
    private static final int USERNAME_PASSWORD = 0x02;
    private static final int NO_ACCEPTABLE_METHOD = 0xFF;
    private static final int CMD_UDP_ASSOCIATE = 3;
    private static final int REP_COMMAND_NOT_SUPPORTED = 0x07;
    private static final int REP_ADDRESS_TYPE_NOT_SUPPORTED = 0x08;

    /** What the connection must do after {@link #feed}. */
    enum Step {
        /** Wait for more bytes. */
        MORE,
        /** Write {@link #reply()}, then feed again: the client may already have sent its next message. */
        REPLY,
        /** Write {@link #reply()} (perhaps empty), then close: see {@link #refusal()}. */
        REFUSE,
        /** The UDP ASSOCIATE request is complete: {@link #requestedAddress()}, {@link #requestedPort()}. */
        ASSOCIATE
    }

    /** Why a handshake was refused. */
    enum Refusal {
        NOT_SOCKS5, NO_ACCEPTABLE_METHOD, BAD_CREDENTIALS, BAD_REQUEST, COMMAND_NOT_SUPPORTED
    }

    private enum Phase { GREETING, AUTH, REQUEST, DONE }

    private final SocksServer.Credentials credentials;
    private Phase phase = Phase.GREETING;
    private byte[] reply = new byte[0];
    private Refusal refusal;
    private byte[] requestedAddress;
    private int requestedAddressType;
    private int requestedPort;

    /** @param credentials the required credentials, or null for no authentication */
    SocksHandshake(SocksServer.Credentials credentials) {
        this.credentials = credentials;
    }

    /**
     * Consumes the next complete message in {@code in} (read mode), if there is one.
     *
     * @return what to do next
     */
    Step feed(ByteBuffer in) {
        return switch (phase) {
            case GREETING -> greeting(in);
            case AUTH -> authentication(in);
            case REQUEST -> request(in);
            case DONE -> throw new IllegalStateException("the handshake is over");
        };
    }

    /** @return the bytes to write for the last {@link Step#REPLY} or {@link Step#REFUSE} */
    byte[] reply() {
        return reply;
    }

    /** @return why the last {@link Step#REFUSE} refused */
    Refusal refusal() {
        return refusal;
    }

    /** @return the request's DST.ADDR: 4 or 16 bytes, or a domain name's bytes */
    byte[] requestedAddress() {
        return requestedAddress;
    }

    /** @return whether the request named an IP address (not a domain name) that is not all zeros */
    boolean requestedIp() {
        if (requestedAddressType == SocksUdp.ATYP_DOMAIN) {
            return false;
        }
        for (byte b : requestedAddress) {
            if (b != 0) {
                return true;
            }
        }
        return false;
    }

    /** @return the request's DST.PORT: where the client will send from, or 0 if it does not know yet */
    int requestedPort() {
        return requestedPort;
    }

    private Step greeting(ByteBuffer in) {
        if (in.remaining() >= 1 && unsigned(in, 0) != VERSION) {
            return refuse(Refusal.NOT_SOCKS5, new byte[0]); // no reply a non-SOCKS5 client would understand
        }
        if (in.remaining() < 2 || in.remaining() < 2 + unsigned(in, 1)) {
            return Step.MORE;
        }
        int count = unsigned(in, 1);
        int wanted = credentials == null ? NO_AUTHENTICATION : USERNAME_PASSWORD;
        boolean offered = false;
        for (int i = 0; i < count; i++) {
            offered |= unsigned(in, 2 + i) == wanted;
        }
        in.position(in.position() + 2 + count);
        if (!offered) {
            return refuse(Refusal.NO_ACCEPTABLE_METHOD, new byte[] {VERSION, (byte) NO_ACCEPTABLE_METHOD});
        }
        phase = credentials == null ? Phase.REQUEST : Phase.AUTH;
        reply = new byte[] {VERSION, (byte) wanted};
        return Step.REPLY;
    }

    private Step authentication(ByteBuffer in) {
        if (in.remaining() < 2) {
            return Step.MORE;
        }
        int userLength = unsigned(in, 1);
        if (in.remaining() < 3 + userLength) {
            return Step.MORE;
        }
        int passwordLength = unsigned(in, 2 + userLength);
        if (in.remaining() < 3 + userLength + passwordLength) {
            return Step.MORE;
        }
        int version = unsigned(in, 0);
        byte[] user = new byte[userLength];
        byte[] password = new byte[passwordLength];
        in.position(in.position() + 2);
        in.get(user);
        in.position(in.position() + 1);
        in.get(password);
        // Both compared, in constant time, so that timing tells nothing of which was wrong.
        boolean userOk = MessageDigest.isEqual(user, credentials.user());
        boolean passwordOk = MessageDigest.isEqual(password, credentials.password());
        boolean ok = version == 1 && userOk & passwordOk;
        if (!ok) {
            return refuse(Refusal.BAD_CREDENTIALS, new byte[] {1, 1});
        }
        phase = Phase.REQUEST;
        reply = new byte[] {1, 0};
        return Step.REPLY;
    }

    private Step request(ByteBuffer in) {
        if (in.remaining() < 4) {
            return Step.MORE;
        }
        int version = unsigned(in, 0);
        int command = unsigned(in, 1);
        int addressType = unsigned(in, 3);
        if (version != VERSION) {
            return refuse(Refusal.BAD_REQUEST, failure(REP_GENERAL_FAILURE));
        }
        int addressStart = 4;
        int addressLength;
        switch (addressType) {
            case SocksUdp.ATYP_IPV4 -> addressLength = 4;
            case SocksUdp.ATYP_IPV6 -> addressLength = 16;
            case SocksUdp.ATYP_DOMAIN -> {
                if (in.remaining() < 5) {
                    return Step.MORE;
                }
                addressStart = 5;
                addressLength = unsigned(in, 4);
            }
            default -> {
                return refuse(Refusal.BAD_REQUEST, failure(REP_ADDRESS_TYPE_NOT_SUPPORTED));
            }
        }
        if (in.remaining() < addressStart + addressLength + 2) {
            return Step.MORE;
        }
        if (command != CMD_UDP_ASSOCIATE) {
            in.position(in.position() + addressStart + addressLength + 2);
            // CONNECT, BIND: this proxy carries UDP only
            return refuse(Refusal.COMMAND_NOT_SUPPORTED, failure(REP_COMMAND_NOT_SUPPORTED));
        }
        requestedAddressType = addressType;
        requestedAddress = new byte[addressLength];
        in.position(in.position() + addressStart);
        in.get(requestedAddress);
        requestedPort = in.getShort() & 0xFFFF;
        phase = Phase.DONE;
        return Step.ASSOCIATE;
    }

    private Step refuse(Refusal why, byte[] bytes) {
        phase = Phase.DONE;
        refusal = why;
        reply = bytes;
        return Step.REFUSE;
    }

    private static int unsigned(ByteBuffer in, int index) {
        return in.get(in.position() + index) & 0xFF;
    }

    /** @return a reply with code {@code code} and BND 0.0.0.0:0 */
    static byte[] failure(int code) {
        return new byte[] {VERSION, (byte) code, 0, SocksUdp.ATYP_IPV4, 0, 0, 0, 0, 0, 0};
    }

    /** @return the success reply naming {@code address}:{@code port} */
    static byte[] success(byte[] address, int port) {
        byte[] reply = new byte[6 + address.length];
        reply[0] = VERSION;
        reply[3] = (byte) (address.length == 4 ? SocksUdp.ATYP_IPV4 : SocksUdp.ATYP_IPV6);
        System.arraycopy(address, 0, reply, 4, address.length);
        reply[reply.length - 2] = (byte) (port >>> 8);
        reply[reply.length - 1] = (byte) port;
        return reply;
    }
}
