package org.mptunnel.internal.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;

class SourceBlockTest {

    @Test
    void oneBlockPerIpv4Address() throws Exception {
        assertThat(block("192.0.2.1")).isEqualTo(block("192.0.2.1")).isNotEqualTo(block("192.0.2.2"));
        assertThat(block("255.255.255.255").bits()).isEqualTo(0xFFFF_FFFFL);
    }

    @Test
    void oneBlockPerIpv6Slash64() throws Exception {
        assertThat(block("2001:db8::1")).isEqualTo(block("2001:db8::ffff:1234:5678:9abc"));
        assertThat(block("2001:db8::1")).isNotEqualTo(block("2001:db8:0:1::1"));
        assertThat(block("::1")).isNotEqualTo(block("0.0.0.1"));
    }

    /** Dual-stack sockets report IPv4 clients as IPv4-mapped addresses; the JDK gives them as IPv4. */
    @Test
    void anIpv4MappedAddressIsItsIpv4Address() throws Exception {
        assertThat(block("::ffff:192.0.2.1")).isEqualTo(block("192.0.2.1"));
    }

    @Test
    void anAddressHashesAsItsBlockWithoutMakingIt() throws Exception {
        for (String literal : new String[] {"192.0.2.1", "255.255.255.255", "2001:db8::ffff:1234:5678:9abc", "::1"}) {
            InetAddress address = InetAddress.getByName(literal);
            assertThat(SourceBlock.mix(address, 42)).as(literal).isEqualTo(SourceBlock.of(address).mix(42));
        }
    }

    private static SourceBlock block(String literal) throws Exception {
        return SourceBlock.of(InetAddress.getByName(literal));
    }
}
