package org.mptunnel.internal.socket;

import java.lang.reflect.Field;
import java.net.DatagramPacket;
import org.slf4j.LoggerFactory;

/**
 * Reads a {@link DatagramPacket}'s buffer capacity and sets its received length the way the JDK's
 * own sockets do. The public API cannot: {@code setLength} also shrinks the capacity, so a packet
 * reused for a second {@code receive} would truncate to the first datagram's length. The JDK keeps
 * the two apart in the private fields {@code length} and {@code bufLength}; this class reaches them
 * through {@code sun.misc.Unsafe} (module {@code jdk.unsupported}), which needs no
 * {@code --add-opens}.
 *
 * <p>Where that is unavailable it falls back to the public API, whose only difference is the
 * truncation described above.
 */
final class PacketFields {

    private static final sun.misc.Unsafe UNSAFE;
    private static final long LENGTH_OFFSET;
    private static final long BUF_LENGTH_OFFSET;

    static {
        sun.misc.Unsafe unsafe = null;
        long length = -1;
        long bufLength = -1;
        try {
            Field theUnsafe = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
            theUnsafe.setAccessible(true);
            unsafe = (sun.misc.Unsafe) theUnsafe.get(null);
            length = unsafe.objectFieldOffset(DatagramPacket.class.getDeclaredField("length"));
            bufLength = unsafe.objectFieldOffset(DatagramPacket.class.getDeclaredField("bufLength"));
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            unsafe = null;
            LoggerFactory.getLogger(PacketFields.class).warn(
                    "DatagramPacket capacity is not reachable ({}); a reused packet will be limited to its last length", e.toString());
        }
        UNSAFE = unsafe;
        LENGTH_OFFSET = length;
        BUF_LENGTH_OFFSET = bufLength;
    }

    private PacketFields() {
    }

    /** @return how many bytes a receive may write into the packet, from its offset */
    static int capacity(DatagramPacket packet) {
        return UNSAFE != null ? UNSAFE.getInt(packet, BUF_LENGTH_OFFSET) : packet.getLength();
    }

    /** Sets the length of a received datagram, keeping the packet's capacity for the next receive. */
    static void setReceivedLength(DatagramPacket packet, int length) {
        if (UNSAFE != null) {
            UNSAFE.putInt(packet, LENGTH_OFFSET, length);
        } else {
            packet.setLength(length);
        }
    }
}
