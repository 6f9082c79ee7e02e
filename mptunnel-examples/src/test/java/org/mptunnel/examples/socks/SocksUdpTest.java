package org.mptunnel.examples.socks;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

class SocksUdpTest {

    private static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }

    @Test
    void headerLengthByAddressType() {
        assertThat(SocksUdp.headerLength(bytes(0, 0, 0, 1, 127, 0, 0, 1, 0, 53, 'x'), 0, 11)).isEqualTo(10);
        assertThat(SocksUdp.headerLength(bytes(0, 0, 0, 3, 1, 'a', 0, 53), 0, 8)).isEqualTo(8);
        byte[] v6 = new byte[22];
        v6[3] = 4;
        assertThat(SocksUdp.headerLength(v6, 0, 22)).isEqualTo(22);
        assertThat(SocksUdp.port(bytes(0, 0, 0, 1, 127, 0, 0, 1, 0x12, 0x34), 0, 10)).isEqualTo(0x1234);
    }

    @Test
    void malformedAndFragmented() {
        assertThat(SocksUdp.headerLength(bytes(0, 0, 0), 0, 3)).isEqualTo(SocksUdp.MALFORMED);
        assertThat(SocksUdp.headerLength(bytes(0, 1, 0, 1, 127, 0, 0, 1, 0, 53), 0, 10)).as("RSV").isEqualTo(SocksUdp.MALFORMED);
        assertThat(SocksUdp.headerLength(bytes(0, 0, 1, 1, 127, 0, 0, 1, 0, 53), 0, 10)).isEqualTo(SocksUdp.FRAGMENTED);
        assertThat(SocksUdp.headerLength(bytes(0, 0, 0, 2, 127, 0, 0, 1, 0, 53), 0, 10)).as("ATYP").isEqualTo(SocksUdp.MALFORMED);
        assertThat(SocksUdp.headerLength(bytes(0, 0, 0, 1, 127, 0, 0, 1, 0), 0, 9)).as("truncated").isEqualTo(SocksUdp.MALFORMED);
        assertThat(SocksUdp.headerLength(bytes(0, 0, 0, 3, 0, 0, 53), 0, 7)).as("empty name").isEqualTo(SocksUdp.MALFORMED);
        assertThat(SocksUdp.headerLength(bytes(0, 0, 0, 3, 5, 'a', 0, 53), 0, 8)).as("short name").isEqualTo(SocksUdp.MALFORMED);
    }

    @Test
    void markAndReplyHeader() throws Exception {
        byte[] buffer = new byte[8];
        SocksUdp.writeMark(buffer, 2);
        assertThat(SocksUdp.hasMark(buffer, 2, 6)).isTrue();
        assertThat(SocksUdp.hasMark(buffer, 0, 8)).isFalse();
        assertThat(SocksUdp.hasMark(buffer, 2, 3)).isFalse();
        assertThat(SocksUdp.replyHeader(new InetSocketAddress(InetAddress.getByName("127.0.0.2"), 0x1234)))
                .containsExactly(bytes(0, 0, 0, 1, 127, 0, 0, 2, 0x12, 0x34));
        assertThat(SocksUdp.replyHeader(new InetSocketAddress(InetAddress.getByName("::1"), 53)))
                .hasSize(22).startsWith(bytes(0, 0, 0, 4)).endsWith(bytes(0, 1, 0, 53));
    }
}
