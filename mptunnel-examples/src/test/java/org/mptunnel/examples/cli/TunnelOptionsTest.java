package org.mptunnel.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mptunnel.OrderedDelivery;
import org.mptunnel.TunnelConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

class TunnelOptionsTest {

    /** The options as mpserver mixes them in, followed by positionals as mpserver has them. */
    @Command(name = "tool")
    static final class Tool {
        @Mixin
        TunnelOptions options;
        @Parameters
        List<String> positionals;
    }

    private static Tool parse(String... args) {
        Tool tool = new Tool();
        new CommandLine(tool).parseArgs(args);
        return tool;
    }

    @Test
    void orderedIsOffUnlessGiven() {
        Tool tool = parse("2000", "127.0.0.1", "1194");

        assertThat(tool.options.ordered).isNull();
        assertThat(tool.options.applyTo(TunnelConfig.server(0)).build().orderedDelivery())
                .isEqualTo(OrderedDelivery.OFF);
    }

    @Test
    void orderedAloneIsAutomaticAndLeavesTheNextArgumentToThePositionals() {
        Tool tool = parse("--ordered", "2000", "127.0.0.1", "1194");

        assertThat(tool.options.ordered).isEqualTo(OrderedDelivery.auto());
        assertThat(tool.positionals).containsExactly("2000", "127.0.0.1", "1194");
        assertThat(parse("--ordered=auto", "1").options.ordered).isEqualTo(OrderedDelivery.auto());
        assertThat(parse("--ordered", "mpclient.conf").positionals).containsExactly("mpclient.conf");
        assertThat(parse("--ordered").options.ordered).isEqualTo(OrderedDelivery.auto());
    }

    @Test
    void orderedWithAWaitIsFixedAndReachesTheConfiguration() {
        Tool tool = parse("--ordered=30ms", "2000");

        assertThat(tool.options.ordered).isEqualTo(OrderedDelivery.fixed(Duration.ofMillis(30)));
        assertThat(tool.options.applyTo(TunnelConfig.client().path(new java.net.InetSocketAddress("127.0.0.1", 4000)))
                .build().orderedDelivery().maxWait()).isEqualTo(Duration.ofMillis(30));
    }

    @Test
    void aBadWaitIsAUserErrorNamingTheOptionAndTheValue() {
        assertThatThrownBy(() -> parse("--ordered=30x", "2000"))
                .isInstanceOf(ParameterException.class)
                .hasMessage("Invalid value for option '--ordered': '30x' is not a wait: give 'auto' or a duration, e.g. 30ms");
        assertThatThrownBy(() -> parse("--ordered=20s", "2000"))
                .isInstanceOf(ParameterException.class)
                .hasMessageContaining("ordered delivery wait must be between 1 ms and 10 s, got 20000 ms");
    }

    @Test
    void orderedMaxBytesSetsTheBudgetAndNeedsOrdered() {
        TunnelConfig config = parse("--ordered=30ms", "--ordered-max-bytes", "512k", "2000").options
                .applyTo(TunnelConfig.server(0)).build();
        assertThat(config.orderedDelivery().maxHeldBytes()).isEqualTo(512 * 1024);
        assertThat(config.orderedDelivery().maxWait()).isEqualTo(Duration.ofMillis(30));
        assertThat(parse("--ordered", "2000").options.applyTo(TunnelConfig.server(0)).build().orderedDelivery()
                .maxHeldBytes()).isEqualTo(OrderedDelivery.DEFAULT_MAX_HELD_BYTES);

        assertThatThrownBy(() -> parse("--ordered-max-bytes", "1m", "2000").options.applyTo(TunnelConfig.server(0)))
                .isInstanceOf(UserError.class).hasMessage("--ordered-max-bytes needs --ordered");
        assertThatThrownBy(() -> parse("--ordered", "--ordered-max-bytes", "1k", "2000").options
                .applyTo(TunnelConfig.server(0)))
                .isInstanceOf(UserError.class).hasMessageStartingWith("--ordered-max-bytes: ordered delivery maxHeldBytes");
        assertThatThrownBy(() -> parse("--ordered", "--ordered-max-bytes", "lots", "2000"))
                .isInstanceOf(ParameterException.class).hasMessageContaining("'lots' is not a size");
    }
}
