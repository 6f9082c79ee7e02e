/**
 * Internal: no compatibility promise, not exported by module {@code org.mptunnel.impl}. One
 * network path of a session: liveness, round-trip time and per-path counters.
 */
package org.mptunnel.internal.path;
