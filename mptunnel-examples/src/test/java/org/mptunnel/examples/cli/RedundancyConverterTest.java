package org.mptunnel.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.mptunnel.Redundancy;
import picocli.CommandLine.TypeConversionException;

class RedundancyConverterTest {

    private final RedundancyConverter converter = new RedundancyConverter();

    @ParameterizedTest
    @CsvSource({
            "adaptive, 0.001",
            "adaptive:0.001, 0.001",
            "ADAPTIVE:0.03, 0.03",
            "adaptive:0.1%, 0.001",
            "adaptive:5%, 0.05",
            "adaptive:.5, 0.5",
            "adaptive:1e-4, 0.0001",
    })
    void adaptiveWithATarget(String value, double target) {
        assertThat(converter.convert(value)).isEqualTo(Redundancy.adaptive(target));
    }

    @ParameterizedTest
    @ValueSource(strings = {"all", "ALL", " all "})
    void allPaths(String value) {
        assertThat(converter.convert(value)).isEqualTo(Redundancy.ALL_PATHS);
    }

    @ParameterizedTest
    @ValueSource(strings = {"adaptive:0", "adaptive:1", "adaptive:100%", "adaptive:-0.1", "adaptive:", "adaptive:abc",
            "adaptive:NaN", "adaptive:Infinity", "adaptive:0x1p-3", "adaptive:0.1%%"})
    void aTargetOutsideZeroToOneIsRefused(String value) {
        assertThatThrownBy(() -> converter.convert(value)).isInstanceOf(TypeConversionException.class)
                .hasMessageContaining("the adaptive target must be a loss above 0 and below 1");
    }

    @ParameterizedTest
    @ValueSource(strings = {"some", "adaptiv", "adaptive0.1", "", "all:0.1"})
    void anUnknownModeIsRefused(String value) {
        assertThatThrownBy(() -> converter.convert(value)).isInstanceOf(TypeConversionException.class)
                .hasMessageContaining("is not a redundancy: give all, adaptive[:TARGET], fec:K:M[:DEADLINE] or "
                        + "fec-adaptive[:TARGET[:DEADLINE]]");
    }

    @ParameterizedTest
    @CsvSource({
            "fec-adaptive, 0.001",
            "FEC-ADAPTIVE:0.01, 0.01",
            "fec-adaptive:0.5%, 0.005",
            "fec-adaptive:1e-4, 0.0001",
    })
    void adaptiveFecWithATarget(String value, double target) {
        Redundancy redundancy = converter.convert(value);
        assertThat(redundancy).isEqualTo(Redundancy.fecAdaptive(target));
        assertThat(redundancy.isFecAdaptive()).isTrue();
        assertThat(RedundancyConverter.format(redundancy)).startsWith("adaptive FEC, target");
    }

    @ParameterizedTest
    @ValueSource(strings = {"fec-adaptive:0", "fec-adaptive:1", "fec-adaptive:100%", "fec-adaptive:", "fec-adaptive:x",
            "fec-adaptive:-0.1", "fec-adaptive:NaN"})
    void anAdaptiveFecTargetOutsideZeroToOneIsRefused(String value) {
        assertThatThrownBy(() -> converter.convert(value)).isInstanceOf(TypeConversionException.class)
                .hasMessageContaining("the fec-adaptive target must be a loss above 0 and below 1");
    }

    @ParameterizedTest
    @CsvSource({
            "fec-adaptive:0.1%:10ms, 0.001, 10000",
            "FEC-ADAPTIVE:0.0001:2.5MS, 0.0001, 2500",
            "fec-adaptive:0.01:1s, 0.01, 1000000",
    })
    void adaptiveFecWithATargetAndADeadline(String value, double target, long deadlineMicros) {
        Redundancy redundancy = converter.convert(value);
        assertThat(redundancy).isEqualTo(Redundancy.fecAdaptive(target, java.time.Duration.ofNanos(deadlineMicros * 1_000)));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
            "fec-adaptive:0.1%:2s | 'fec-adaptive:0.1%:2s': the group deadline must be 100 µs to 1 s",
            "fec-adaptive:0.1%:0.05ms | the group deadline must be 100 µs to 1 s",
            "fec-adaptive:0.1%:5 | '5' is not a duration",
            "fec-adaptive:0.1%: | '' is not a duration",
            "fec-adaptive:0.1%:5ms:1 | '5ms:1' is not a duration",
            "fec-adaptive::5ms | the fec-adaptive target must be a loss above 0 and below 1",
            "fec-adaptive:2:5ms | the fec-adaptive target must be a loss above 0 and below 1",
    })
    void badAdaptiveFecDeadlinesAreRefusedSayingTheLimits(String value, String message) {
        assertThatThrownBy(() -> converter.convert(value)).isInstanceOf(TypeConversionException.class)
                .hasMessageContaining(message);
    }

    @ParameterizedTest
    @ValueSource(strings = {"fec-adaptiv", "fec-adaptive0.1", "fecadaptive"})
    void aMisspeltAdaptiveFecIsRefused(String value) {
        assertThatThrownBy(() -> converter.convert(value)).isInstanceOf(TypeConversionException.class)
                .hasMessageContaining("is not a redundancy");
    }

    @ParameterizedTest
    @CsvSource({
            "fec:8:4, 8, 4, 5000",
            "FEC:1:1, 1, 1, 5000",
            "fec:32:16:2ms, 32, 16, 2000",
            "fec:4:2:0.5ms, 4, 2, 500",
    })
    void fecWithKMAndADeadline(String value, int k, int m, long deadlineMicros) {
        assertThat(converter.convert(value))
                .isEqualTo(Redundancy.fec(k, m, java.time.Duration.ofNanos(deadlineMicros * 1_000)));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "fec:0:4 | k (data datagrams per group) must be 1 to 32, got 0",
            "fec:33:4 | k (data datagrams per group) must be 1 to 32, got 33",
            "fec:8:0 | m (repair datagrams per group) must be 1 to 16, got 0",
            "fec:8:17 | m (repair datagrams per group) must be 1 to 16, got 17",
            "fec:8 | give fec:K:M or fec:K:M:DEADLINE",
            "fec:8:4:2:1 | give fec:K:M or fec:K:M:DEADLINE",
            "fec:-1:4 | give fec:K:M or fec:K:M:DEADLINE",
            "fec:a:b | give fec:K:M or fec:K:M:DEADLINE",
            "fec:8:4:2s | the group deadline must be 100 µs to 1 s",
    })
    void badFecRatesAreRefusedSayingTheLimits(String value, String message) {
        assertThatThrownBy(() -> converter.convert(value)).isInstanceOf(TypeConversionException.class)
                .hasMessageContaining(message);
    }
}
