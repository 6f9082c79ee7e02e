package org.mptunnel.it;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import org.mptunnel.internal.wire.Header;
import org.mptunnel.internal.wire.Probe;

/**
 * Datagrams that no tunnel endpoint may accept: random bytes, and valid headers broken in one
 * field each (magic, version, flags, a payload length that lies, an unknown type, truncation, a
 * keepalive of the wrong size). Deterministic for a seed.
 */
final class Junk {

    private final SplittableRandom random;

    Junk(long seed) {
        this.random = new SplittableRandom(seed);
    }

    /** @return the next malformed datagram */
    byte[] next() {
        int kind = random.nextInt(8);
        if (kind == 0) {
            byte[] bytes = new byte[random.nextInt(0, 200)];
            random.nextBytes(bytes);
            if (bytes.length >= 2 && bytes[0] == 0x4D && bytes[1] == 0x50) {
                bytes[0] = 0; // random bytes that happen to start with the magic: keep them junk
            }
            return bytes;
        }
        int payload = random.nextInt(0, 100);
        ByteBuffer b = ByteBuffer.allocate(Header.LENGTH + payload);
        Header.write(b, Header.TYPE_DATA, random.nextLong(), random.nextLong(0, Long.MAX_VALUE), payload);
        byte[] bytes = b.array();
        switch (kind) {
            case 1:
                bytes[Header.MAGIC_OFFSET + random.nextInt(2)] ^= (byte) random.nextInt(1, 256);
                return bytes;
            case 2:
                bytes[Header.VERSION_OFFSET] = (byte) random.nextInt(2, 256);
                return bytes;
            case 3:
                bytes[Header.FLAGS_OFFSET + random.nextInt(2)] = (byte) random.nextInt(1, 256);
                return bytes;
            case 4:
                int lie = payload + (random.nextBoolean() ? random.nextInt(1, 1000) : -random.nextInt(1, payload + 2));
                b.putShort(Header.PAYLOAD_LENGTH_OFFSET, (short) (lie < 0 ? 0xFFFF : lie));
                return bytes;
            case 5:
                bytes[Header.TYPE_OFFSET] = (byte) (random.nextBoolean() ? random.nextInt(10, 128) : -random.nextInt(1, 129));
                return bytes;
            case 6:
                return java.util.Arrays.copyOf(bytes, random.nextInt(0, Header.LENGTH));
            default:
                bytes[Header.TYPE_OFFSET] = Header.TYPE_KEEPALIVE; // with a payload of the wrong size
                if (payload == Probe.KEEPALIVE_LENGTH) {
                    return java.util.Arrays.copyOf(bytes, bytes.length - 1);
                }
                return bytes;
        }
    }
}
