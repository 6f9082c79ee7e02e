/**
 * Internal: no compatibility promise, not exported by module {@code org.mptunnel.impl}. The
 * {@code DatagramSocket} contract implemented over the engine, and the service provider that
 * {@code MultipathDatagramSocket.open} finds.
 */
package org.mptunnel.internal.socket;
