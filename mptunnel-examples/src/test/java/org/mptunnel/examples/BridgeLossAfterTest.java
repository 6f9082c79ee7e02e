package org.mptunnel.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine.TypeConversionException;

class BridgeLossAfterTest {

    private final BridgeCommand.LossAfterConverter converter = new BridgeCommand.LossAfterConverter();

    @Test
    void aDurationThenALoss() {
        assertThat(converter.convert("2s:0.5")).isEqualTo(new BridgeCommand.LossAfter(Duration.ofSeconds(2), 0.5));
        assertThat(converter.convert("1500ms:1")).isEqualTo(new BridgeCommand.LossAfter(Duration.ofMillis(1500), 1.0));
    }

    @ParameterizedTest
    @ValueSource(strings = {"2s:1.5", "2s:-0.1", "2s:", "2s:half", "2s:NaN"})
    void aLossThatIsNotAProbabilityIsRefused(String value) {
        assertThatThrownBy(() -> converter.convert(value)).isInstanceOf(TypeConversionException.class)
                .hasMessageContaining("must be a probability between 0 and 1");
    }

    @ParameterizedTest
    @ValueSource(strings = {"2:0.5", "0.5", "later:0.5"})
    void aMissingOrUnitlessDurationIsRefused(String value) {
        assertThatThrownBy(() -> converter.convert(value)).isInstanceOf(TypeConversionException.class)
                .hasMessageMatching(".*(is not DURATION:P|is not a duration).*");
    }
}
