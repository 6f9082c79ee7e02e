package org.mptunnel.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.mptunnel.OrderedDelivery;
import org.mptunnel.Redundancy;
import org.mptunnel.TunnelConfig;

/** The warm-up runs every round trip in each wire format and mode the tools can be started in. */
class WarmupTest {

    private static final InetSocketAddress UNUSED = new InetSocketAddress("127.0.0.1", 9);

    static Stream<TunnelConfig> configurations() {
        byte[] key = new byte[TunnelConfig.PRE_SHARED_KEY_LENGTH];
        Arrays.fill(key, (byte) 7);
        return Stream.of(
                TunnelConfig.client().path(UNUSED).build(),
                TunnelConfig.client().path(UNUSED).preSharedKey(key).build(),
                TunnelConfig.client().path(UNUSED).preSharedKey(key).aeadSuite(TunnelConfig.AeadSuite.CHACHA20_POLY1305).build(),
                TunnelConfig.client().path(UNUSED).wireFormat(TunnelConfig.WireFormat.LEGACY).build(),
                TunnelConfig.client().path(UNUSED).wireFormat(TunnelConfig.WireFormat.LEGACY_PLAIN).build(),
                TunnelConfig.client().path(UNUSED).redundancy(Redundancy.adaptive(0.001))
                        .keepaliveInterval(Duration.ofMillis(10)).build(),
                TunnelConfig.client().path(UNUSED).orderedDelivery(OrderedDelivery.fixed(Duration.ofMillis(30)))
                        .jmx(true).build(),
                TunnelConfig.server(0).preSharedKey(key).build());
    }

    @ParameterizedTest
    @MethodSource("configurations")
    void everyRoundTripCompletes(TunnelConfig like) {
        assertThat(Warmup.run(like)).isEqualTo(Warmup.ROUND_TRIPS);
    }
}
