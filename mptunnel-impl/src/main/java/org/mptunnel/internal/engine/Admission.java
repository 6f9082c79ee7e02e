package org.mptunnel.internal.engine;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import org.mptunnel.internal.session.Session;

/**
 * What may create a session on a {@link ServerEngine}: in v1 the first datagram of an unknown id
 * ({@link FirstDatagramAdmission}), in v2 only an authenticated handshake
 * ({@link HandshakeResponder}). I/O thread only.
 */
interface Admission {

    /** @return the type of the handshake messages this admission answers, or -1 if none */
    int handshakeType();

    /** A datagram of {@link #handshakeType()} from {@code source}, in the inbox's current frame. */
    void onHandshake(InetSocketAddress source, ByteBuffer datagram, int length, long nowNanos);

    /**
     * A valid datagram of an id with no session.
     *
     * @return a new session in the table, or null (counted)
     */
    Session admit(long id, InetSocketAddress source, long nowNanos);

    /** A session left the table, expired or evicted: release what it holds. */
    default void released(Session session) {
    }

    /** The engine is closing. */
    default void close() {
    }
}
