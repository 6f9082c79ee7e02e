/**
 * Internal: no compatibility promise; exported only to the benchmarks. The socket's I/O thread (a
 * selector loop), the I/O seam datagrams are read and written through, and the bounded hand-off of
 * received datagrams to the application.
 */
package org.mptunnel.internal.io;
