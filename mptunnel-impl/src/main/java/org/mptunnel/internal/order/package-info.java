/**
 * Ordered delivery: {@link org.mptunnel.internal.order.ReorderBuffer}, one session's datagrams held
 * back behind a gap for a bounded time and released in sequence order.
 */
package org.mptunnel.internal.order;
