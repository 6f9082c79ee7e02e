package org.mptunnel.examples.socks;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The destinations SOCKS traffic may reach through mpserver: the {@code --allow} rules, or, when
 * none are given, only mpserver's own target. Nothing else: mpserver is never an open relay.
 */
public final class AllowList {

    private final List<AllowRule> rules;

    private AllowList(List<AllowRule> rules) {
        this.rules = List.copyOf(rules);
    }

    /** @return the list of {@code rules}, or of {@code target} alone if there are none */
    public static AllowList of(List<AllowRule> rules, InetSocketAddress target) {
        return new AllowList(rules == null || rules.isEmpty() ? List.of(AllowRule.exactly(target)) : rules);
    }

    /** @return whether {@code address}:{@code port} may be reached */
    public boolean allows(InetAddress address, int port) {
        byte[] bytes = address.getAddress();
        for (AllowRule rule : rules) {
            if (rule.allows(bytes, port)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return rules.stream().map(AllowRule::toString).collect(Collectors.joining(", "));
    }
}
