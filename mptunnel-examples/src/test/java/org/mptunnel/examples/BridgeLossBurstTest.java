package org.mptunnel.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mptunnel.internal.bridge.GilbertElliott;
import picocli.CommandLine.TypeConversionException;

class BridgeLossBurstTest {

    private final BridgeCommand.LossBurstConverter converter = new BridgeCommand.LossBurstConverter();

    @ParameterizedTest
    @ValueSource(strings = {"5%:10", "0.05:10", " 5 % : 10 "})
    void aMeanLossThenAMeanBurst(String value) {
        GilbertElliott model = converter.convert(value);
        assertThat(model.meanLoss()).isCloseTo(0.05, within(1e-12));
        assertThat(model.leaveBad()).isCloseTo(0.1, within(1e-12));
        assertThat(model.lossInBad()).isEqualTo(1);
        assertThat(model.lossInGood()).isZero();
    }

    @Test
    void aBurstNeedNotBeWhole() {
        assertThat(converter.convert("20%:2.5").leaveBad()).isCloseTo(0.4, within(1e-12));
    }

    @ParameterizedTest
    @ValueSource(strings = {"5%", "0.05", ""})
    void aMissingBurstIsRefused(String value) {
        assertThatThrownBy(() -> converter.convert(value)).isInstanceOf(TypeConversionException.class)
                .hasMessage("'" + value + "' is not LOSS:BURST, e.g. 5%:10");
    }

    @ParameterizedTest
    @ValueSource(strings = {"100%:10", "1:10", "-1%:10", "five:10", "5%%:10", "NaN:10"})
    void aLossThatIsNotBelowOneIsRefused(String value) {
        assertThatThrownBy(() -> converter.convert(value)).isInstanceOf(TypeConversionException.class)
                .hasMessageStartingWith("'" + value + "': the mean loss must be at least 0 and below 1");
    }

    @ParameterizedTest
    @ValueSource(strings = {"5%:0.5", "5%:0", "5%:ten", "5%:", "5%:Infinity"})
    void aBurstShorterThanOneIsRefused(String value) {
        assertThatThrownBy(() -> converter.convert(value)).isInstanceOf(TypeConversionException.class)
                .hasMessageStartingWith("'" + value + "': the mean burst must be between 1 and 1e9 datagrams");
    }

    @Test
    void aLossTooHighForItsBurstsIsRefusedWithTheShortestPossible() {
        assertThatThrownBy(() -> converter.convert("60%:1.2")).isInstanceOf(TypeConversionException.class)
                .hasMessage("'60%:1.2': a mean loss of 0.6 needs bursts of at least 1.50 datagrams on average, got 1.2");
    }
}
