package org.mptunnel.internal.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class SessionAddressTest {

    private static InetAddress literal(String address) throws UnknownHostException {
        return InetAddress.getByName(address); // literals only: no name lookup
    }

    @ParameterizedTest
    @ValueSource(longs = {0, 1, -1, Long.MIN_VALUE, Long.MAX_VALUE, 0x0123_4567_89AB_CDEFL})
    void namesTheSessionInTheLow64BitsOfTheDiscardPrefix(long id) {
        InetSocketAddress address = SessionAddress.of(id);

        assertThat(address.getAddress()).isInstanceOf(Inet6Address.class);
        assertThat(address.getPort()).isEqualTo(9).isEqualTo(SessionAddress.PORT);
        assertThat(address.isUnresolved()).isFalse();
        ByteBuffer bytes = ByteBuffer.wrap(address.getAddress().getAddress());
        assertThat(bytes.getLong(0)).isEqualTo(0x0100_0000_0000_0000L);
        assertThat(bytes.getLong(8)).isEqualTo(id);
        assertThat(SessionAddress.isSessionAddress(address.getAddress())).isTrue();
    }

    @Test
    void hasTheExpectedTextForm() throws UnknownHostException {
        InetSocketAddress address = SessionAddress.of(0x0001_0002_0003_0004L);

        assertThat(address.getAddress()).isEqualTo(literal("100::1:2:3:4"));
        assertThat(address.getAddress().getHostAddress()).isEqualTo("100:0:0:0:1:2:3:4");
    }

    @Test
    void equalIdsGiveEqualAddressesAndDifferentIdsDifferentOnes() {
        assertThat(SessionAddress.of(77)).isEqualTo(SessionAddress.of(77));
        assertThat(SessionAddress.of(77).getAddress()).isNotEqualTo(SessionAddress.of(78).getAddress());
        assertThat(SessionAddress.of(1).getAddress()).isNotEqualTo(SessionAddress.of(1L << 56).getAddress());
    }

    @ParameterizedTest
    @ValueSource(strings = {"100::", "100::5", "100::ffff:ffff:ffff:ffff", "100:0:0:0:8000::"})
    void recognisesEveryAddressInTheSessionPrefix(String address) throws UnknownHostException {
        assertThat(SessionAddress.isSessionAddress(literal(address))).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "127.0.0.1", "1.0.0.0", "0.0.0.0", // IPv4
            "::ffff:1.0.0.0",                  // IPv4-mapped: Java makes it an Inet4Address
            "::1", "::", "1::",
            "100:0:0:1::5", "100:1::", "100:0:1::", "100:0:0:8000::",
            "101::5", "8100::", "ff00::", "fe80::100:0:0:5"})
    void rejectsAddressesOutsideTheSessionPrefix(String address) throws UnknownHostException {
        assertThat(SessionAddress.isSessionAddress(literal(address))).isFalse();
    }

    @Property(tries = 500, seed = "20240631")
    void everyIdRoundTrips(@ForAll long id) {
        InetAddress address = SessionAddress.of(id).getAddress();

        assertThat(SessionAddress.isSessionAddress(address)).isTrue();
        assertThat(ByteBuffer.wrap(address.getAddress()).getLong(8)).isEqualTo(id);
    }

    @Property(tries = 500, seed = "20240632")
    void anyChangeInTheUpper64BitsLeavesThePrefix(@ForAll long id, @ForAll @Size(value = 8) byte[] xorMask)
            throws UnknownHostException {
        byte[] bytes = SessionAddress.of(id).getAddress().getAddress();
        boolean changed = false;
        for (int i = 0; i < 8; i++) {
            bytes[i] ^= xorMask[i];
            changed |= xorMask[i] != 0;
        }

        assertThat(SessionAddress.isSessionAddress(InetAddress.getByAddress(bytes))).isEqualTo(!changed);
    }
}
