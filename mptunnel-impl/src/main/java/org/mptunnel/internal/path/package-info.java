/**
 * Internal: no compatibility promise; exported only to the benchmarks. One network path of a
 * session: liveness, round-trip time and per-path counters.
 */
package org.mptunnel.internal.path;
