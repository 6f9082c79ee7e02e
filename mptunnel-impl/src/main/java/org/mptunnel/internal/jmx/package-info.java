/**
 * Internal: no compatibility promise. The JMX MXBean a socket publishes when
 * {@code TunnelConfig.Builder.jmx(true)} is set; exported only because the platform MBean server
 * reads it reflectively from an unnamed module.
 */
package org.mptunnel.internal.jmx;
