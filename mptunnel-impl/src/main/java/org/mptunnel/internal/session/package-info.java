/**
 * Internal: no compatibility promise, not exported by module {@code org.mptunnel.impl}. Sessions
 * and the server's bounded session table: lookup by id without allocation, admission limits,
 * session addresses, totals.
 */
package org.mptunnel.internal.session;
