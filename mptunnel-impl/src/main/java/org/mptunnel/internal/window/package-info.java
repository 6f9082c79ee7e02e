/**
 * Internal: no compatibility promise, not exported by module {@code org.mptunnel.impl}. The RFC
 * 6479 sliding-window duplicate filter: the first copy of each sequence number wins.
 */
package org.mptunnel.internal.window;
