/**
 * Internal: no compatibility promise; exported only to the benchmarks. The client and server
 * roles: what each datagram type means, fan-out over paths, session and path timers.
 */
package org.mptunnel.internal.engine;
