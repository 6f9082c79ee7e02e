/**
 * Internal: no compatibility promise; exported only to the benchmarks. One engine per role over
 * the seams: a codec per wire format, the one read loop, the client's probing and handshake, the
 * server's session table and admission; the legacy format's engines on the same parts.
 */
package org.mptunnel.internal.engine;
