package org.mptunnel.internal.engine;

import java.nio.ByteBuffer;
import org.mptunnel.TunnelConfig;
import org.mptunnel.internal.wire.Header;

/**
 * One direct encode buffer per sending thread, shared by all sockets: a datagram is encoded once
 * into it and written from it to every path, with no per-send allocation and no bounce copy in the
 * JDK (which copies heap buffers into a temporary direct one on every write).
 */
final class SendBuffers {

    private static final ThreadLocal<ByteBuffer> BUFFER =
            ThreadLocal.withInitial(() -> Header.allocate(Header.LENGTH + TunnelConfig.MAX_PAYLOAD_LIMIT));

    private SendBuffers() {
    }

    static ByteBuffer get() {
        return BUFFER.get().clear();
    }
}
