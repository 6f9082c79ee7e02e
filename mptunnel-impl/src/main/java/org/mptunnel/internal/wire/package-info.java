/**
 * Internal: no compatibility promise; exported only to the benchmarks. Codecs of protocol version
 * 1 (docs/PROTOCOL.md): the 24-byte header and the keepalive payload.
 */
package org.mptunnel.internal.wire;
