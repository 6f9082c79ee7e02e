/**
 * Internal: no compatibility promise, not exported by module {@code org.mptunnel.impl}. The client
 * and server roles: what each datagram type means, fan-out over paths, session and path timers.
 */
package org.mptunnel.internal.engine;
