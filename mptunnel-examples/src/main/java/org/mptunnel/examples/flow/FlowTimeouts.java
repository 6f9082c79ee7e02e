package org.mptunnel.examples.flow;

import java.time.Duration;

/**
 * How long a flow may stay silent before mpclient forgets it and mpserver closes its socket, the
 * way connection tracking times out UDP (Linux conntrack: 30 s, 120 s): a flow that saw a single
 * exchange (datagrams one way, or a request and its reply) gets the short timeout, so that a DNS
 * resolver's one-query ports go quickly; once the application sends again after a reply it is a
 * conversation and gets the long one.
 *
 * @param singleExchange the timeout of a flow that saw at most one exchange
 * @param established    the timeout of a flow that sent again after a reply
 */
public record FlowTimeouts(Duration singleExchange, Duration established) {

    /** Default of {@link #singleExchange}: at 500 one-query flows a second, 5,000 live. */
    public static final Duration DEFAULT_SINGLE_EXCHANGE = Duration.ofSeconds(10);
    /** Default of {@link #established}: conntrack's. */
    public static final Duration DEFAULT_ESTABLISHED = Duration.ofSeconds(120);
    /** The defaults. */
    public static final FlowTimeouts DEFAULT = new FlowTimeouts(DEFAULT_SINGLE_EXCHANGE, DEFAULT_ESTABLISHED);

    /** @throws IllegalArgumentException if a timeout is not positive */
    public FlowTimeouts {
        if (singleExchange.isZero() || singleExchange.isNegative() || established.isZero() || established.isNegative()) {
            throw new IllegalArgumentException("flow timeouts must be longer than 0");
        }
    }

    /** @return how often a sweep should look for idle flows: a quarter of the shorter timeout, 10 ms to 1 s */
    public long sweepNanos() {
        long shorter = Math.min(singleExchange.toNanos(), established.toNanos());
        return Math.max(Duration.ofMillis(10).toNanos(), Math.min(Duration.ofSeconds(1).toNanos(), shorter / 4));
    }
}
