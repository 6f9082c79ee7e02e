package org.mptunnel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class TunnelConfigTest {

    private static final InetSocketAddress A = new InetSocketAddress(InetAddress.getLoopbackAddress(), 4000);
    private static final InetSocketAddress B = new InetSocketAddress(InetAddress.getLoopbackAddress(), 4001);
    private static final InetSocketAddress C = new InetSocketAddress(InetAddress.getLoopbackAddress(), 2000);

    private static TunnelConfig.ClientBuilder client() {
        return TunnelConfig.client().path(A);
    }

    // --- defaults ----------------------------------------------------------------------------

    @Test
    void receiveHandlerIsNoneByDefaultAndCopiesKeepEverythingElse() {
        DatagramHandler handler = (payload, from) -> { };
        TunnelConfig plain = TunnelConfig.server(0).maxSessions(7).keepaliveInterval(Duration.ofMillis(50)).build();
        TunnelConfig withHandler = plain.withReceiveHandler(handler);

        assertThat(plain.receiveHandler()).isNull();
        assertThat(TunnelConfig.client().path(A).receiveHandler(handler).build().receiveHandler()).isSameAs(handler);
        assertThat(withHandler.receiveHandler()).isSameAs(handler);
        assertThat(withHandler.withReceiveHandler(null).toString()).isEqualTo(plain.toString());
        assertThat(withHandler.maxSessions()).isEqualTo(7);
        assertThat(withHandler.keepaliveInterval()).isEqualTo(Duration.ofMillis(50));
    }

    @Test
    void clientDefaults() {
        TunnelConfig config = TunnelConfig.client().path(A).path(B).build();

        assertThat(config.role()).isEqualTo(TunnelConfig.Role.CLIENT);
        assertThat(config.paths()).containsExactly(A, B);
        assertThat(config.peerAddress()).isEqualTo(A);
        assertThat(config.bindAddress()).isEqualTo(new InetSocketAddress(0));
        assertThat(config.keepaliveInterval()).isEqualTo(Duration.ofSeconds(1));
        assertThat(config.deadTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(config.duplicateWindow()).isEqualTo(4096);
        assertThat(config.receiveQueueCapacity()).isEqualTo(1024);
        assertThat(config.maxPayloadSize()).isEqualTo(TunnelConfig.MAX_PAYLOAD_LIMIT);
        assertThat(config.wireFormat()).isEqualTo(TunnelConfig.WireFormat.MPTUNNEL_V1);
        assertThat(config.maxSessions()).isEqualTo(1);
        assertThat(config.maxPathsPerSession()).isEqualTo(2);
    }

    @Test
    void serverDefaults() {
        TunnelConfig config = TunnelConfig.server(2000).build();

        assertThat(config.role()).isEqualTo(TunnelConfig.Role.SERVER);
        assertThat(config.paths()).isEmpty();
        assertThat(config.peerAddress()).isNull();
        assertThat(config.bindAddress()).isEqualTo(new InetSocketAddress(2000));
        assertThat(config.keepaliveInterval()).isEqualTo(Duration.ofSeconds(1));
        assertThat(config.deadTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(config.duplicateWindow()).isEqualTo(4096);
        assertThat(config.receiveQueueCapacity()).isEqualTo(1024);
        assertThat(config.maxPayloadSize()).isEqualTo(TunnelConfig.MAX_PAYLOAD_LIMIT);
        assertThat(config.maxSessions()).isEqualTo(1024);
        assertThat(config.maxPathsPerSession()).isEqualTo(8);
        assertThat(config.sessionIdleTimeout()).isEqualTo(Duration.ofSeconds(60));
    }

    @Test
    void deadTimeoutDefaultsToThreeKeepaliveIntervals() {
        TunnelConfig config = client().keepaliveInterval(Duration.ofMillis(250)).build();

        assertThat(config.deadTimeout()).isEqualTo(Duration.ofMillis(750));
    }

    @Test
    void explicitDeadTimeoutWinsWhicheverOrderTheOptionsAreSet() {
        TunnelConfig config = client().deadTimeout(Duration.ofSeconds(5)).keepaliveInterval(Duration.ofSeconds(2)).build();

        assertThat(config.keepaliveInterval()).isEqualTo(Duration.ofSeconds(2));
        assertThat(config.deadTimeout()).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void maxPayloadLimitIsTheLargestIpv4UdpPayloadLessTheHeader() {
        assertThat(TunnelConfig.MAX_PAYLOAD_LIMIT).isEqualTo(65_507 - 24).isEqualTo(65_483);
    }

    @Test
    void settersAreKeptAsGiven() {
        TunnelConfig config = client()
                .keepaliveInterval(Duration.ofMillis(100))
                .deadTimeout(Duration.ofMillis(350))
                .duplicateWindow(100)
                .receiveQueueCapacity(7)
                .maxPayloadSize(1400)
                .localAddress(InetAddress.getLoopbackAddress())
                .build();

        assertThat(config.keepaliveInterval()).isEqualTo(Duration.ofMillis(100));
        assertThat(config.deadTimeout()).isEqualTo(Duration.ofMillis(350));
        assertThat(config.duplicateWindow()).isEqualTo(100);
        assertThat(config.receiveQueueCapacity()).isEqualTo(7);
        assertThat(config.maxPayloadSize()).isEqualTo(1400);
        assertThat(config.bindAddress()).isEqualTo(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));

        TunnelConfig server = TunnelConfig.server(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .maxSessions(3).maxPathsPerSession(2).sessionIdleTimeout(Duration.ofSeconds(10)).build();

        assertThat(server.bindAddress()).isEqualTo(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        assertThat(server.maxSessions()).isEqualTo(3);
        assertThat(server.maxPathsPerSession()).isEqualTo(2);
        assertThat(server.sessionIdleTimeout()).isEqualTo(Duration.ofSeconds(10));
    }

    // --- paths and peer ----------------------------------------------------------------------

    @Test
    void clientWithoutPathIsRejected() {
        assertThatThrownBy(() -> TunnelConfig.client().build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("path");
    }

    @Test
    void duplicatePathIsRejected() {
        TunnelConfig.ClientBuilder builder = TunnelConfig.client().path(A).path(B);

        assertThatThrownBy(() -> builder.path(new InetSocketAddress(InetAddress.getLoopbackAddress(), 4000)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("path")
                .hasMessageContaining("twice");
        assertThatThrownBy(() -> TunnelConfig.client().paths(List.of(A, B, A)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void pathWithoutPortIsRejected() {
        assertThatThrownBy(() -> TunnelConfig.client().path(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("port");
    }

    @Test
    void nullPathIsRejectedWithItsName() {
        assertThatThrownBy(() -> TunnelConfig.client().path((InetSocketAddress) null))
                .isInstanceOf(NullPointerException.class)
                .hasMessageContaining("path");
        assertThatThrownBy(() -> TunnelConfig.client().path((TunnelPath) null))
                .isInstanceOf(NullPointerException.class)
                .hasMessageContaining("path");
    }

    // --- per-path local addresses -------------------------------------------------------------

    @Test
    void pathsToOneAddressFromDifferentLocalAddressesAreDifferentPaths() throws Exception {
        InetSocketAddress wifi = new InetSocketAddress(InetAddress.getByName("192.0.2.10"), 0);
        InetSocketAddress lte = new InetSocketAddress(InetAddress.getByName("198.51.100.7"), 5000);
        TunnelConfig config = TunnelConfig.client()
                .path(TunnelPath.to(C).from(wifi))
                .path(TunnelPath.to(C).from(lte))
                .path(TunnelPath.to(C).via("wwan0"))
                .path(C)
                .localAddress(InetAddress.getByName("192.0.2.99"))
                .build();

        assertThat(config.paths()).containsExactly(C, C, C, C);
        assertThat(config.tunnelPaths()).extracting(TunnelPath::localAddress).containsExactly(wifi, lte, null, null);
        assertThat(config.tunnelPaths()).extracting(TunnelPath::interfaceName).containsExactly(null, null, "wwan0", null);
        assertThat(config.bindAddress()).as("the default for paths without their own")
                .isEqualTo(new InetSocketAddress(InetAddress.getByName("192.0.2.99"), 0));
        assertThat(config.peerAddress()).isEqualTo(C);
        assertThatThrownBy(() -> TunnelConfig.client().path(TunnelPath.to(C).from(wifi)).path(TunnelPath.to(C).from(wifi)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("given twice");
        assertThatThrownBy(() -> TunnelConfig.client().path(C).path(TunnelPath.to(C)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("given twice");
    }

    @Test
    void aTunnelPathIsCheckedAndComparedByAllItsParts() throws Exception {
        InetSocketAddress local = new InetSocketAddress(InetAddress.getByName("192.0.2.10"), 0);
        assertThat(TunnelPath.to(C).from(local)).isEqualTo(TunnelPath.to(C).from(local))
                .hasSameHashCodeAs(TunnelPath.to(C).from(local))
                .isNotEqualTo(TunnelPath.to(C)).isNotEqualTo(TunnelPath.to(C).via("eth0"));
        assertThat(TunnelPath.to(C).via("eth0").from(local).interfaceName()).as("the last choice wins").isNull();
        assertThat(TunnelPath.to(C).from(local)).hasToString(C + " from " + local);
        assertThatThrownBy(() -> TunnelPath.to(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no port");
        assertThatThrownBy(() -> TunnelPath.to(C).from(new InetSocketAddress(InetAddress.getByName("::1"), 0)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("same family");
        assertThatThrownBy(() -> TunnelPath.to(C).from(InetSocketAddress.createUnresolved("wifi.example", 0)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not resolved");
        assertThatThrownBy(() -> TunnelPath.to(C).via(" ")).isInstanceOf(IllegalArgumentException.class);
        assertThat(TunnelPath.to(C).from(new InetSocketAddress(5000)).localAddress().getPort())
                .as("the wildcard address fits either family").isEqualTo(5000);
    }

    @Test
    void aClientHasAtMostMaxPaths() {
        TunnelConfig.ClientBuilder builder = TunnelConfig.client();
        for (int port = 1; port <= TunnelConfig.MAX_PATHS; port++) {
            builder.path(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        }
        assertThatThrownBy(() -> builder.path(new InetSocketAddress(InetAddress.getLoopbackAddress(), 9999)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at most 64 paths");
    }

    @Test
    void peerDefaultsToTheFirstPath() {
        assertThat(TunnelConfig.client().path(B).path(A).path(C).build().peerAddress()).isEqualTo(B);
    }

    @Test
    void explicitPeerIsKept() {
        assertThat(TunnelConfig.client().path(A).path(B).peerAddress(C).build().peerAddress()).isEqualTo(C);
    }

    @Test
    void pathsKeepTheirOrderAndCannotBeChangedAfterwards() {
        TunnelConfig.ClientBuilder builder = TunnelConfig.client().paths(List.of(C, A));
        TunnelConfig config = builder.build();
        builder.path(B);

        assertThat(config.paths()).containsExactly(C, A);
        assertThat(config.maxPathsPerSession()).isEqualTo(2);
        assertThatThrownBy(() -> config.paths().add(B)).isInstanceOf(UnsupportedOperationException.class);
    }

    // --- validation of single options ---------------------------------------------------------

    static Stream<Arguments> invalidOptions() {
        return Stream.of(
                invalid("keepaliveInterval", b -> b.keepaliveInterval(Duration.ofMillis(9))),
                invalid("keepaliveInterval", b -> b.keepaliveInterval(Duration.ofSeconds(-1))),
                invalid("deadTimeout", b -> b.deadTimeout(Duration.ofMillis(19))),
                invalid("duplicateWindow", b -> b.duplicateWindow(63)),
                invalid("duplicateWindow", b -> b.duplicateWindow((1 << 20) + 1)),
                invalid("receiveQueueCapacity", b -> b.receiveQueueCapacity(0)),
                invalid("receiveQueueCapacity", b -> b.receiveQueueCapacity((1 << 16) + 1)),
                invalid("maxPayloadSize", b -> b.maxPayloadSize(0)),
                invalid("maxPayloadSize", b -> b.maxPayloadSize(TunnelConfig.LEGACY_MAX_PAYLOAD_LIMIT + 1)),
                invalid("maxSessions", b -> b.maxSessions(0)),
                invalid("maxSessions", b -> b.maxSessions((1 << 20) + 1)),
                invalid("maxPathsPerSession", b -> b.maxPathsPerSession(0)),
                invalid("maxPathsPerSession", b -> b.maxPathsPerSession(65)),
                invalid("sessionIdleTimeout", b -> b.sessionIdleTimeout(Duration.ofMillis(19))));
    }

    private static Arguments invalid(String option, Consumer<TunnelConfig.ServerBuilder> setter) {
        return Arguments.of(option, setter);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidOptions")
    void outOfRangeOptionIsRejectedWithItsName(String option, Consumer<TunnelConfig.ServerBuilder> setter) {
        assertThatThrownBy(() -> setter.accept(TunnelConfig.server(0)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(option);
    }

    @Test
    void everyBoundaryValueIsAccepted() {
        assertThatCode(() -> TunnelConfig.server(0)
                .keepaliveInterval(Duration.ofMillis(10))
                .deadTimeout(Duration.ofMillis(20))
                .sessionIdleTimeout(Duration.ofMillis(20))
                .duplicateWindow(64).duplicateWindow(1 << 20)
                .receiveQueueCapacity(1).receiveQueueCapacity(1 << 16)
                .maxPayloadSize(1).maxPayloadSize(TunnelConfig.MAX_PAYLOAD_LIMIT)
                .maxSessions(1).maxSessions(1 << 20)
                .maxPathsPerSession(1).maxPathsPerSession(64)
                .build())
                .doesNotThrowAnyException();
        assertThatCode(() -> TunnelConfig.server(65_535).build()).doesNotThrowAnyException();
    }

    @ParameterizedTest
    @ValueSource(ints = {-1, 65_536})
    void outOfRangePortIsRejected(int port) {
        assertThatThrownBy(() -> TunnelConfig.server(port))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("port");
    }

    @Test
    void nullOptionsAreRejectedWithTheirNames() {
        assertThatThrownBy(() -> client().keepaliveInterval(null)).hasMessageContaining("keepaliveInterval");
        assertThatThrownBy(() -> client().deadTimeout(null)).hasMessageContaining("deadTimeout");
        assertThatThrownBy(() -> client().wireFormat(null)).hasMessageContaining("wireFormat");
        assertThatThrownBy(() -> client().peerAddress(null)).hasMessageContaining("peerAddress");
        assertThatThrownBy(() -> client().localAddress(null)).hasMessageContaining("localAddress");
        assertThatThrownBy(() -> TunnelConfig.server(0).sessionIdleTimeout(null)).hasMessageContaining("sessionIdleTimeout");
        assertThatThrownBy(() -> TunnelConfig.server(null)).hasMessageContaining("bindAddress");
    }

    // --- validation of combinations -----------------------------------------------------------

    @ParameterizedTest
    @ValueSource(longs = {500, 499, 20})
    void deadTimeoutNotLongerThanTheKeepaliveIsRejected(long deadMillis) {
        TunnelConfig.ClientBuilder builder = client()
                .keepaliveInterval(Duration.ofMillis(500))
                .deadTimeout(Duration.ofMillis(deadMillis));

        assertThatThrownBy(builder::build)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("deadTimeout")
                .hasMessageContaining("keepaliveInterval");
    }

    @Test
    void deadTimeoutJustLongerThanTheKeepaliveIsAccepted() {
        assertThat(client().keepaliveInterval(Duration.ofMillis(500)).deadTimeout(Duration.ofMillis(501)).build()
                .deadTimeout()).isEqualTo(Duration.ofMillis(501));
    }

    @Test
    void serverRejectsSessionIdleTimeoutShorterThanTheDeadTimeout() {
        TunnelConfig.ServerBuilder builder = TunnelConfig.server(0)
                .deadTimeout(Duration.ofSeconds(5))
                .sessionIdleTimeout(Duration.ofMillis(4_999));

        assertThatThrownBy(builder::build)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("sessionIdleTimeout")
                .hasMessageContaining("deadTimeout");
    }

    @Test
    void serverRejectsADefaultDeadTimeoutThatOutlastsTheSessionIdleTimeout() {
        // 30 s keepalive: the default dead timeout of 90 s exceeds the default 60 s session idle timeout
        TunnelConfig.ServerBuilder builder = TunnelConfig.server(0).keepaliveInterval(Duration.ofSeconds(30));

        assertThatThrownBy(builder::build)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("sessionIdleTimeout");
    }

    @Test
    void serverAcceptsSessionIdleTimeoutEqualToTheDeadTimeout() {
        TunnelConfig config = TunnelConfig.server(0)
                .deadTimeout(Duration.ofSeconds(5))
                .sessionIdleTimeout(Duration.ofSeconds(5))
                .build();

        assertThat(config.sessionIdleTimeout()).isEqualTo(config.deadTimeout());
    }

    // --- wire format --------------------------------------------------------------------------

    @Test
    void serverDefaultsToTheV1WireFormat() {
        assertThat(TunnelConfig.server(0).build().wireFormat()).isEqualTo(TunnelConfig.WireFormat.MPTUNNEL_V1);
    }

    @Test
    void legacyMaxPayloadLimitIsTheLargestIpv4UdpPayloadLessTheLegacyHeader() {
        assertThat(TunnelConfig.LEGACY_MAX_PAYLOAD_LIMIT).isEqualTo(65_507 - 16).isEqualTo(65_491);
        assertThat(TunnelConfig.WireFormat.LEGACY.maxPayloadLimit()).isEqualTo(65_491);
        assertThat(TunnelConfig.WireFormat.LEGACY_PLAIN.maxPayloadLimit()).isEqualTo(65_491);
        assertThat(TunnelConfig.WireFormat.MPTUNNEL_V1.maxPayloadLimit()).isEqualTo(TunnelConfig.MAX_PAYLOAD_LIMIT);
    }

    @ParameterizedTest
    @ValueSource(strings = {"LEGACY", "LEGACY_PLAIN"})
    void legacyFormatDefaultsToItsOwnPayloadLimitOnBothRoles(TunnelConfig.WireFormat format) {
        TunnelConfig client = client().wireFormat(format).build();
        TunnelConfig server = TunnelConfig.server(0).wireFormat(format).build();

        assertThat(client.wireFormat()).isEqualTo(format);
        assertThat(server.wireFormat()).isEqualTo(format);
        assertThat(client.maxPayloadSize()).isEqualTo(TunnelConfig.LEGACY_MAX_PAYLOAD_LIMIT);
        assertThat(server.maxPayloadSize()).isEqualTo(TunnelConfig.LEGACY_MAX_PAYLOAD_LIMIT);
    }

    @Test
    void payloadLimitIsCheckedAgainstTheFormatWhateverTheOrderOfTheSetters() {
        int legacyOnly = TunnelConfig.MAX_PAYLOAD_LIMIT + 1;

        assertThat(client().maxPayloadSize(legacyOnly).wireFormat(TunnelConfig.WireFormat.LEGACY).build()
                .maxPayloadSize()).isEqualTo(legacyOnly);
        assertThat(client().wireFormat(TunnelConfig.WireFormat.LEGACY_PLAIN)
                .maxPayloadSize(TunnelConfig.LEGACY_MAX_PAYLOAD_LIMIT).build().maxPayloadSize())
                .isEqualTo(TunnelConfig.LEGACY_MAX_PAYLOAD_LIMIT);
        assertThatThrownBy(() -> client().maxPayloadSize(legacyOnly).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("maxPayloadSize")
                .hasMessageContaining("MPTUNNEL_V1");
        assertThatThrownBy(() -> TunnelConfig.server(0).wireFormat(TunnelConfig.WireFormat.LEGACY)
                .maxPayloadSize(legacyOnly).wireFormat(TunnelConfig.WireFormat.MPTUNNEL_V1).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("maxPayloadSize");
    }

    @ParameterizedTest(name = "MPTUNNEL_ENCRYPT={0}")
    @ValueSource(strings = {"0", "00", "", "no", " 0", "-0", "+0", "0x1", "\t0"})
    void mptunnelEncryptThatAtoiReadsAsZeroMeansPlain(String value) {
        assertThat(TunnelConfig.WireFormat.legacyFor(value)).isEqualTo(TunnelConfig.WireFormat.LEGACY_PLAIN);
    }

    @ParameterizedTest(name = "MPTUNNEL_ENCRYPT={0}")
    @ValueSource(strings = {"1", "2", "-1", " 1", "01", "1yes", "10", "007"})
    void mptunnelEncryptThatAtoiReadsAsNonZeroMeansObfuscated(String value) {
        assertThat(TunnelConfig.WireFormat.legacyFor(value)).isEqualTo(TunnelConfig.WireFormat.LEGACY);
    }

    @Test
    void unsetMptunnelEncryptMeansObfuscated() {
        assertThat(TunnelConfig.WireFormat.legacyFor(null)).isEqualTo(TunnelConfig.WireFormat.LEGACY);
    }

    @Test
    void onlyTheLegacyFormatsAreLegacy() {
        assertThat(TunnelConfig.WireFormat.MPTUNNEL_V1.isLegacy()).isFalse();
        assertThat(TunnelConfig.WireFormat.LEGACY.isLegacy()).isTrue();
        assertThat(TunnelConfig.WireFormat.LEGACY_PLAIN.isLegacy()).isTrue();
    }

    @Test
    void redundancyIsAllPathsUnlessAClientChoosesAdaptive() {
        assertThat(client().build().redundancy()).isEqualTo(Redundancy.ALL_PATHS);
        assertThat(TunnelConfig.server(0).build().redundancy()).isEqualTo(Redundancy.ALL_PATHS);
        TunnelConfig adaptive = client().redundancy(Redundancy.adaptive()).build();
        assertThat(adaptive.redundancy().isAdaptive()).isTrue();
        assertThat(adaptive.redundancy().targetLoss()).isEqualTo(Redundancy.DEFAULT_TARGET_LOSS);
        assertThat(adaptive.toString()).contains("ADAPTIVE");
    }

    @Test
    void adaptiveFecTakesAGroupDeadlineWithinTheLimitsOfFixedFec() {
        assertThat(Redundancy.fecAdaptive(0.001).groupDeadline())
                .isEqualTo(Duration.ofMillis(Redundancy.DEFAULT_FEC_DEADLINE_MILLIS));
        Redundancy slower = Redundancy.fecAdaptive(0.0001, Duration.ofMillis(10));
        assertThat(slower.isFecAdaptive()).isTrue();
        assertThat(slower.targetLoss()).isEqualTo(0.0001);
        assertThat(slower.groupDeadline()).isEqualTo(Duration.ofMillis(10));
        assertThat(client().redundancy(slower).build().redundancy()).isEqualTo(slower);
        for (Duration outside : new Duration[] {Duration.ofNanos(99_999), Duration.ofMillis(1_001)}) {
            assertThatThrownBy(() -> Redundancy.fecAdaptive(0.001, outside))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("100 µs to 1 s");
        }
        assertThatThrownBy(() -> Redundancy.fecAdaptive(0.001, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("groupDeadline");
    }

    @ParameterizedTest
    @ValueSource(doubles = {0, 1, -0.1, 1.5, Double.NaN})
    void adaptiveTargetLossIsAProbabilityStrictlyBetweenZeroAndOne(double target) {
        assertThatThrownBy(() -> Redundancy.adaptive(target))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("targetLoss");
    }

    @Test
    void redundancyRejectsATargetForAllPathsAndNeedsKeepalives() {
        assertThatThrownBy(() -> new Redundancy(Redundancy.Mode.ALL_PATHS, 0.01))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Redundancy(null, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> client().wireFormat(TunnelConfig.WireFormat.LEGACY)
                .redundancy(Redundancy.adaptive()).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("keepalives");
    }

    // --- pre-shared key (protocol v2) ---------------------------------------------------------

    private static byte[] key(int length) {
        byte[] key = new byte[length];
        for (int i = 0; i < length; i++) {
            key[i] = (byte) (0xA0 + i);
        }
        return key;
    }

    @Test
    void noPreSharedKeyByDefaultMeansPlaintextVersion1() {
        TunnelConfig config = client().build();

        assertThat(config.encrypted()).isFalse();
        assertThat(config.preSharedKey()).isNull();
        assertThat(config.aeadSuite()).isEqualTo(TunnelConfig.AeadSuite.AES_256_GCM);
        assertThat(config.rekeyAfter()).isEqualTo(Duration.ofMinutes(2));
        assertThat(config.rekeyAfterDatagrams()).isEqualTo(1L << 32);
        assertThat(config.toString()).doesNotContain("preSharedKey");
    }

    @Test
    void preSharedKeyIsCopiedInAndOut() {
        byte[] given = key(32);
        TunnelConfig.ClientBuilder builder = client().preSharedKey(given);
        given[0] = 0;
        TunnelConfig config = builder.build();
        byte[] out = config.preSharedKey();
        out[1] = 0;

        assertThat(config.encrypted()).isTrue();
        assertThat(config.preSharedKey()).isEqualTo(key(32));
        assertThat(config.withReceiveHandler((p, f) -> { }).preSharedKey()).isEqualTo(key(32));
        assertThat(client().preSharedKey(key(32)).preSharedKey(null).build().encrypted()).isFalse();
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 16, 31, 33, 64})
    void preSharedKeyOfAnotherLengthIsRejectedClearly(int length) {
        assertThatThrownBy(() -> client().preSharedKey(key(length)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("preSharedKey must be exactly 32 bytes, got " + length);
    }

    @Test
    void toStringNeverPrintsTheKey() {
        byte[] key = key(32);
        String text = TunnelConfig.server(0).preSharedKey(key).build().toString();

        assertThat(text).contains("preSharedKey=<set>").contains("AES_256_GCM");
        StringBuilder hex = new StringBuilder();
        for (byte b : key) {
            hex.append(String.format("%02x", b));
        }
        assertThat(text.toLowerCase(java.util.Locale.ROOT)).doesNotContain(hex.substring(0, 8))
                .doesNotContain(java.util.Arrays.toString(key)).doesNotContain(String.valueOf(key[0]) + ",");
    }

    @Test
    void encryptionLowersThePayloadLimitByTheTag() {
        assertThat(TunnelConfig.ENCRYPTED_MAX_PAYLOAD_LIMIT).isEqualTo(65_483 - 16);
        assertThat(client().preSharedKey(key(32)).build().maxPayloadSize())
                .isEqualTo(TunnelConfig.ENCRYPTED_MAX_PAYLOAD_LIMIT);
        assertThat(client().preSharedKey(key(32)).maxPayloadSize(1400).build().maxPayloadSize()).isEqualTo(1400);
        assertThatThrownBy(() -> client().maxPayloadSize(TunnelConfig.MAX_PAYLOAD_LIMIT).preSharedKey(key(32)).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxPayloadSize").hasMessageContaining("pre-shared key")
                .hasMessageContaining(String.valueOf(TunnelConfig.ENCRYPTED_MAX_PAYLOAD_LIMIT));
    }

    @Test
    void preSharedKeyNeedsTheVersion1WireFormat() {
        assertThatThrownBy(() -> TunnelConfig.server(0).wireFormat(TunnelConfig.WireFormat.LEGACY)
                .preSharedKey(key(32)).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("pre-shared key");
    }

    @Test
    void rekeyOptionsAreKeptAndChecked() {
        TunnelConfig config = client().preSharedKey(key(32)).aeadSuite(TunnelConfig.AeadSuite.CHACHA20_POLY1305)
                .rekeyAfter(Duration.ofSeconds(1)).rekeyAfterDatagrams(1_000).build();

        assertThat(config.aeadSuite()).isEqualTo(TunnelConfig.AeadSuite.CHACHA20_POLY1305);
        assertThat(config.rekeyAfter()).isEqualTo(Duration.ofSeconds(1));
        assertThat(config.rekeyAfterDatagrams()).isEqualTo(1_000);
        assertThatCode(() -> client().rekeyAfterDatagrams(1L << 62)).doesNotThrowAnyException();
        assertThatThrownBy(() -> client().rekeyAfter(Duration.ofMillis(999)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("rekeyAfter");
        assertThatThrownBy(() -> client().rekeyAfterDatagrams(999))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("rekeyAfterDatagrams");
        assertThatThrownBy(() -> client().rekeyAfterDatagrams((1L << 62) + 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("rekeyAfterDatagrams");
        assertThatThrownBy(() -> client().aeadSuite(null)).hasMessageContaining("aeadSuite");
        assertThatThrownBy(() -> client().rekeyAfter(null)).hasMessageContaining("rekeyAfter");
    }

    // --- ordered delivery ----------------------------------------------------------------------

    @Test
    void orderedDeliveryIsOffUnlessChosenOnEitherRole() {
        assertThat(client().build().orderedDelivery()).isEqualTo(OrderedDelivery.OFF);
        assertThat(client().build().toString()).doesNotContain("orderedDelivery");
        TunnelConfig server = TunnelConfig.server(0).orderedDelivery(OrderedDelivery.auto()).build();
        assertThat(server.orderedDelivery().mode()).isEqualTo(OrderedDelivery.Mode.AUTO);
        assertThat(server.orderedDelivery().maxWait()).isEqualTo(OrderedDelivery.DEFAULT_AUTO_CAP);
        assertThat(server.orderedDelivery().maxHeld()).isEqualTo(OrderedDelivery.DEFAULT_MAX_HELD);
        assertThat(server.withReceiveHandler((p, f) -> { }).orderedDelivery()).isEqualTo(server.orderedDelivery());
        assertThat(server.toString()).contains("orderedDelivery=OrderedDelivery[mode=AUTO");
        TunnelConfig legacy = client().wireFormat(TunnelConfig.WireFormat.LEGACY)
                .orderedDelivery(OrderedDelivery.fixed(Duration.ofMillis(30)).withMaxHeld(100)).build();
        assertThat(legacy.orderedDelivery().maxWait()).isEqualTo(Duration.ofMillis(30));
        assertThat(legacy.orderedDelivery().maxHeld()).as("rounded up to a power of two").isEqualTo(128);
    }

    @Test
    void orderedDeliveryRefusesWaitsAndBoundsOutOfRange() {
        assertThatThrownBy(() -> OrderedDelivery.fixed(Duration.ZERO))
                .hasMessage("ordered delivery wait must be between 1 ms and 10 s, got 0 ms");
        assertThatThrownBy(() -> OrderedDelivery.auto(Duration.ofSeconds(11)))
                .hasMessage("ordered delivery wait must be between 1 ms and 10 s, got 11000 ms");
        assertThatThrownBy(() -> OrderedDelivery.auto().withMaxHeld(1))
                .hasMessage("ordered delivery maxHeld must be between 2 and 65536, got 1");
        assertThatThrownBy(() -> OrderedDelivery.OFF.withMaxHeld(16)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new OrderedDelivery(OrderedDelivery.Mode.OFF, Duration.ofMillis(5), 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> client().orderedDelivery(null)).isInstanceOf(NullPointerException.class);
    }
}
