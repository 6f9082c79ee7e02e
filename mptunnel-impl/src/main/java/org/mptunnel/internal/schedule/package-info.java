/**
 * Internal: no compatibility promise. Send policies ({@link org.mptunnel.internal.schedule.Scheduler}):
 * every path, or adaptive redundancy's choice of paths.
 */
package org.mptunnel.internal.schedule;
