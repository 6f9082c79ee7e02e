/**
 * Internal: no compatibility promise; exported only to the benchmarks. The socket's I/O thread (a
 * selector loop) and the bounded hand-off of received datagrams to the application.
 */
package org.mptunnel.internal.io;
