/**
 * Internal: no compatibility promise; exported only to the benchmarks. Every layout of the tunnel
 * formats (docs/PROTOCOL.md): the 24-byte header, the keepalive payload, version 2's sealed
 * datagram and handshake messages.
 */
package org.mptunnel.internal.wire;
