/**
 * Internal: no compatibility promise; exported only to the benchmarks. The RFC 6479 sliding-window
 * duplicate filter: the first copy of each sequence number wins.
 */
package org.mptunnel.internal.window;
