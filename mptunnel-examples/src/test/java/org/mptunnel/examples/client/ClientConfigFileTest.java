package org.mptunnel.examples.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mptunnel.TunnelPath;
import org.mptunnel.examples.cli.UserError;

class ClientConfigFileTest {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    @Test
    void theShippedSampleLoads() {
        assertThat(ClientConfigFile.load(Path.of("src/main/config/mpclient.conf"))).containsExactly(
                TunnelPath.to(new InetSocketAddress(LOOPBACK, 4000)), TunnelPath.to(new InetSocketAddress(LOOPBACK, 4001)),
                TunnelPath.to(new InetSocketAddress(LOOPBACK, 4002)));
    }

    @Test
    void blankLinesCommentsAndSpacingAreIgnored() {
        List<TunnelPath> paths = ClientConfigFile.parse("c.conf",
                List.of("# header", "", "   ", "127.0.0.1\t4000", "  127.0.0.1   4001   # trailing", "#127.0.0.1 4002"));
        assertThat(paths).containsExactly(TunnelPath.to(new InetSocketAddress(LOOPBACK, 4000)),
                TunnelPath.to(new InetSocketAddress(LOOPBACK, 4001)));
    }

    @Test
    void mistakesNameTheFileAndLine() {
        assertThatThrownBy(() -> ClientConfigFile.parse("c.conf", List.of("# x", "127.0.0.1")))
                .isInstanceOf(UserError.class)
                .hasMessage("c.conf:2: expected 'HOST PORT [LOCAL_ADDRESS[:PORT] | %INTERFACE]', got '127.0.0.1'");
        assertThatThrownBy(() -> ClientConfigFile.parse("c.conf", List.of("127.0.0.1 0")))
                .hasMessage("c.conf:1: port 0 is out of range (1-65535)");
        assertThatThrownBy(() -> ClientConfigFile.parse("c.conf", List.of("127.0.0.1 x")))
                .hasMessage("c.conf:1: 'x' is not a port number");
        assertThatThrownBy(() -> ClientConfigFile.parse("c.conf", List.of("127.0.0.1 4000", "127.0.0.1 4000")))
                .hasMessage("c.conf:2: path 127.0.0.1:4000 is given twice");
        assertThatThrownBy(() -> ClientConfigFile.parse("c.conf", List.of("# nothing")))
                .hasMessageStartingWith("c.conf: no path");
    }

    @Test
    void aThirdColumnSaysWhereThePathLeavesFrom() throws Exception {
        InetSocketAddress server = new InetSocketAddress(LOOPBACK, 2000);
        InetSocketAddress v6server = new InetSocketAddress(InetAddress.getByName("::1"), 2000);
        List<TunnelPath> paths = ClientConfigFile.parse("c.conf", List.of(
                "127.0.0.1 2000 127.0.0.2",
                "127.0.0.1 2000 127.0.0.3:5000   # a fixed port",
                "127.0.0.1 2000 %wlan0",
                "127.0.0.1 2000",
                "::1 2000 ::1",
                "::1 2000 [::1]:5001",
                "127.0.0.1 2000 0.0.0.0:5002"));

        assertThat(paths).containsExactly(
                TunnelPath.to(server).from(new InetSocketAddress(InetAddress.getByName("127.0.0.2"), 0)),
                TunnelPath.to(server).from(new InetSocketAddress(InetAddress.getByName("127.0.0.3"), 5000)),
                TunnelPath.to(server).via("wlan0"),
                TunnelPath.to(server),
                TunnelPath.to(v6server).from(new InetSocketAddress(InetAddress.getByName("::1"), 0)),
                TunnelPath.to(v6server).from(new InetSocketAddress(InetAddress.getByName("::1"), 5001)),
                TunnelPath.to(server).from(new InetSocketAddress(InetAddress.getByName("0.0.0.0"), 5002)))
                .hasSize(7);
        assertThat(ClientConfigFile.parse("c.conf", List.of("::1 2000 [::1]"))).as("brackets without a port")
                .containsExactly(TunnelPath.to(v6server).from(new InetSocketAddress(InetAddress.getByName("::1"), 0)));
    }

    @Test
    void aBadThirdColumnNamesTheFileLineAndWhatIsWrong() {
        assertThatThrownBy(() -> ClientConfigFile.parse("c.conf", List.of("127.0.0.1 2000 ::1")))
                .isInstanceOf(UserError.class)
                .hasMessage("c.conf:1: local address ::1 is IPv6 but 127.0.0.1 is IPv4");
        assertThatThrownBy(() -> ClientConfigFile.parse("c.conf", List.of("::1 2000 127.0.0.2")))
                .hasMessage("c.conf:1: local address 127.0.0.2 is IPv4 but ::1 is IPv6");
        assertThatThrownBy(() -> ClientConfigFile.parse("c.conf", List.of("127.0.0.1 2000 wifi.example")))
                .hasMessageStartingWith("c.conf:1: 'wifi.example' is not a local IP address");
        assertThatThrownBy(() -> ClientConfigFile.parse("c.conf", List.of("127.0.0.1 2000 999.1.1.1")))
                .hasMessageStartingWith("c.conf:1: '999.1.1.1' is not a local IP address");
        assertThatThrownBy(() -> ClientConfigFile.parse("c.conf", List.of("127.0.0.1 2000 127.0.0.2:70000")))
                .hasMessage("c.conf:1: port 70000 is out of range (0-65535)");
        assertThatThrownBy(() -> ClientConfigFile.parse("c.conf", List.of("::1 2000 [::1]5000")))
                .hasMessageStartingWith("c.conf:1: '[::1]5000' is not a local address ([IPV6]:PORT)");
        assertThatThrownBy(() -> ClientConfigFile.parse("c.conf", List.of("127.0.0.1 2000 %")))
                .hasMessage("c.conf:1: '%' is not an interface name (%eth0, %wlan0)");
        assertThatThrownBy(() -> ClientConfigFile.parse("c.conf", List.of("127.0.0.1 2000 %eth0", "127.0.0.1 2000 %eth0")))
                .hasMessage("c.conf:2: path 127.0.0.1:2000 %eth0 is given twice");
        assertThatThrownBy(() -> ClientConfigFile.parse("c.conf", List.of("127.0.0.1 2000 127.0.0.2 extra")))
                .hasMessageStartingWith("c.conf:1: expected 'HOST PORT [LOCAL_ADDRESS[:PORT] | %INTERFACE]'");
    }
}
