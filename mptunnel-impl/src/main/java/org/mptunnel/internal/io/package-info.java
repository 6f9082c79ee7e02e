/**
 * Internal: no compatibility promise, not exported by module {@code org.mptunnel.impl}. The
 * socket's I/O thread (a selector loop) and the bounded hand-off of received datagrams to the
 * application.
 */
package org.mptunnel.internal.io;
