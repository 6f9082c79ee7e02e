/**
 * Internal: no compatibility promise, not exported by module {@code org.mptunnel.impl}. Codecs of
 * protocol version 1 (docs/PROTOCOL.md): the 24-byte header and the keepalive payload.
 */
package org.mptunnel.internal.wire;
