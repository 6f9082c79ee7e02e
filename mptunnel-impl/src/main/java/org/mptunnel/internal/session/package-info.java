/**
 * Internal: no compatibility promise; exported only to the benchmarks. Sessions and the server's
 * bounded session table: lookup by id without allocation, admission limits, session addresses,
 * totals.
 */
package org.mptunnel.internal.session;
