/**
 * Internal: no compatibility promise; exported only to the tools and benchmarks. A plain UDP relay
 * that can drop (independently or in bursts), delay, duplicate and reorder datagrams, with a
 * bounded number of upstream sockets: the bridge of the tests, the demo and the {@code mpbridge}
 * tool.
 */
package org.mptunnel.internal.bridge;
