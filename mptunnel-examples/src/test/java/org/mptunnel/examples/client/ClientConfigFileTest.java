package org.mptunnel.examples.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mptunnel.examples.cli.UserError;

class ClientConfigFileTest {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    @Test
    void theShippedSampleLoads() {
        assertThat(ClientConfigFile.load(Path.of("src/main/config/mpclient.conf"))).containsExactly(
                new InetSocketAddress(LOOPBACK, 4000), new InetSocketAddress(LOOPBACK, 4001),
                new InetSocketAddress(LOOPBACK, 4002));
    }

    @Test
    void blankLinesCommentsAndSpacingAreIgnored() {
        List<InetSocketAddress> paths = ClientConfigFile.parse("c.conf",
                List.of("# header", "", "   ", "127.0.0.1\t4000", "  127.0.0.1   4001   # trailing", "#127.0.0.1 4002"));
        assertThat(paths).containsExactly(new InetSocketAddress(LOOPBACK, 4000), new InetSocketAddress(LOOPBACK, 4001));
    }

    @Test
    void mistakesNameTheFileAndLine() {
        assertThatThrownBy(() -> ClientConfigFile.parse("c.conf", List.of("# x", "127.0.0.1")))
                .isInstanceOf(UserError.class).hasMessage("c.conf:2: expected 'HOST PORT', got '127.0.0.1'");
        assertThatThrownBy(() -> ClientConfigFile.parse("c.conf", List.of("127.0.0.1 0")))
                .hasMessage("c.conf:1: port 0 is out of range (1-65535)");
        assertThatThrownBy(() -> ClientConfigFile.parse("c.conf", List.of("127.0.0.1 x")))
                .hasMessage("c.conf:1: 'x' is not a port number");
        assertThatThrownBy(() -> ClientConfigFile.parse("c.conf", List.of("127.0.0.1 4000", "127.0.0.1 4000")))
                .hasMessage("c.conf:2: path 127.0.0.1:4000 is given twice");
        assertThatThrownBy(() -> ClientConfigFile.parse("c.conf", List.of("# nothing")))
                .hasMessageStartingWith("c.conf: no path");
    }
}
