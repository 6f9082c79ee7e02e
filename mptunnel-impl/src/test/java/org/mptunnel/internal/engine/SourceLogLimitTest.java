package org.mptunnel.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;

class SourceLogLimitTest {

    private static final long MINUTE = 60_000_000_000L;

    @Test
    void oneLinePerIntervalPerIpv4AddressAndPerIpv6Slash64() throws Exception {
        SourceLogLimit limit = new SourceLogLimit(MINUTE);
        assertThat(limit.allow(InetAddress.getByName("192.0.2.1"), 0)).isTrue();
        assertThat(limit.allow(InetAddress.getByName("192.0.2.1"), 1)).isFalse();

        // A host with a /64 could otherwise take a line per address of it.
        assertThat(limit.allow(InetAddress.getByName("2001:db8:0:7::1"), 0)).isTrue();
        for (int i = 2; i < 100; i++) {
            assertThat(limit.allow(InetAddress.getByName("2001:db8:0:7::" + Integer.toHexString(i)), 1))
                    .as("another address of the same /64").isFalse();
        }
        assertThat(limit.allow(InetAddress.getByName("2001:db8:0:7::1"), MINUTE)).as("an interval later").isTrue();
    }
}
