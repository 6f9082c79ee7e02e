package org.mptunnel.examples.socks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class AllowRuleTest {

    private static byte[] ip(String literal) throws Exception {
        return InetAddress.getByName(literal).getAddress();
    }

    @Test
    void ipv4NetworkWithOnePort() throws Exception {
        AllowRule rule = AllowRule.parse("10.1.0.0/16:53");
        assertThat(rule.allows(ip("10.1.200.3"), 53)).isTrue();
        assertThat(rule.allows(ip("10.2.0.1"), 53)).isFalse();
        assertThat(rule.allows(ip("10.1.0.1"), 54)).isFalse();
        assertThat(rule).hasToString("10.1.0.0/16:53");
    }

    @Test
    void oddPrefixAndHostBitsAreMasked() throws Exception {
        AllowRule rule = AllowRule.parse("192.168.1.77/27");
        assertThat(rule).hasToString("192.168.1.64/27");
        assertThat(rule.allows(ip("192.168.1.95"), 9)).isTrue();
        assertThat(rule.allows(ip("192.168.1.96"), 9)).isFalse();
    }

    @Test
    void singleAddressAndPortRange() throws Exception {
        AllowRule rule = AllowRule.parse("127.0.0.1:1000-2000");
        assertThat(rule.allows(ip("127.0.0.1"), 1000)).isTrue();
        assertThat(rule.allows(ip("127.0.0.1"), 2000)).isTrue();
        assertThat(rule.allows(ip("127.0.0.1"), 2001)).isFalse();
        assertThat(rule.allows(ip("127.0.0.2"), 1500)).isFalse();
    }

    @Test
    void ipv6Forms() throws Exception {
        assertThat(AllowRule.parse("::1").allows(ip("::1"), 7)).isTrue();
        AllowRule bracketed = AllowRule.parse("[::1]:53");
        assertThat(bracketed.allows(ip("::1"), 53)).isTrue();
        assertThat(bracketed.allows(ip("::1"), 54)).isFalse();
        AllowRule network = AllowRule.parse("2001:db8::/32:443");
        assertThat(network.allows(ip("2001:db8:ffff::1"), 443)).isTrue();
        assertThat(network.allows(ip("2001:db9::1"), 443)).isFalse();
        assertThat(network.allows(ip("32.1.13.184"), 443)).as("an IPv4 address never matches an IPv6 rule").isFalse();
        assertThat(AllowRule.parse("[2001:db8::]/32:1-2")).hasToString("2001:db8:0:0:0:0:0:0/32:1-2");
    }

    @Test
    void zeroPrefixAllowsEveryAddressOfItsFamily() throws Exception {
        AllowRule rule = AllowRule.parse("0.0.0.0/0:53");
        assertThat(rule.allows(ip("203.0.113.9"), 53)).isTrue();
        assertThat(rule.allows(ip("::1"), 53)).isFalse();
    }

    @Test
    void mistakesAreNamed() {
        assertThatThrownBy(() -> AllowRule.parse("10.0.0.0/33")).hasMessageContaining("prefix length must be 0-32");
        assertThatThrownBy(() -> AllowRule.parse("example.com:53")).hasMessageContaining("is not an IP address");
        assertThatThrownBy(() -> AllowRule.parse("10.0.0.1:70000")).hasMessageContaining("out of range");
        assertThatThrownBy(() -> AllowRule.parse("10.0.0.1:2000-1000")).hasMessageContaining("is empty");
        assertThatThrownBy(() -> AllowRule.parse("10.0.0.1:x")).hasMessageContaining("'x' is not a port");
        assertThatThrownBy(() -> AllowRule.parse("[::1")).hasMessageContaining("no closing ']'");
        assertThatThrownBy(() -> AllowRule.parse("[::1]x")).hasMessageContaining("unexpected 'x'");
    }

    @Test
    void withoutRulesOnlyTheTargetIsAllowed() throws Exception {
        InetSocketAddress target = new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 5000);
        AllowList list = AllowList.of(List.of(), target);
        assertThat(list.allows(InetAddress.getByName("127.0.0.1"), 5000)).isTrue();
        assertThat(list.allows(InetAddress.getByName("127.0.0.1"), 5001)).isFalse();
        assertThat(list.allows(InetAddress.getByName("127.0.0.2"), 5000)).isFalse();
        AllowList rules = AllowList.of(List.of(AllowRule.parse("127.0.0.0/8:53")), target);
        assertThat(rules.allows(InetAddress.getByName("127.0.0.1"), 5000)).as("rules replace the target").isFalse();
        assertThat(rules.allows(InetAddress.getByName("127.9.0.1"), 53)).isTrue();
    }
}
