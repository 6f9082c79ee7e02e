/**
 * Internal: no compatibility promise, not exported by module {@code org.mptunnel.impl}. The C
 * mptunnel's own wire format (its header, numbering and LFSR obfuscation), for talking to C peers.
 */
package org.mptunnel.internal.legacy;
