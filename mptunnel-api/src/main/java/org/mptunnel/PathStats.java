package org.mptunnel;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;

/**
 * One path of a session, as seen at the moment of the snapshot.
 *
 * @param remote            where this side sends the path's copies: a bridge or the peer itself
 * @param up                whether the path is used for sending; a path is down once it has heard
 *                          nothing for the dead timeout, and up again as soon as it hears anything
 * @param datagramsSent     datagrams written to this path (data and keepalives)
 * @param bytesSent         wire bytes written to this path
 * @param sendErrors        datagrams this path failed to send (an ICMP error, a full socket buffer)
 * @param datagramsReceived valid datagrams read from this path
 * @param bytesReceived     wire bytes of those datagrams
 * @param firstDeliveries   data datagrams whose first copy arrived on this path
 * @param duplicatesDropped data datagrams on this path that another path had already delivered
 * @param smoothedRttNanos  smoothed round-trip time in nanoseconds, or -1 before the first sample
 * @param probeLoss         smoothed share of this side's keepalives on this path that went
 *                          unanswered, 0 to 1: <em>round-trip</em> loss (the probe and its answer
 *                          each cross the path once), averaged over roughly the last 32 probes; -1
 *                          until a probe has been answered or timed out, and always on a server,
 *                          which does not probe
 * @param validated         whether the path may carry data without limit: a client's paths always;
 *                          on a server, once the address has echoed a path challenge (until then
 *                          it is sent at most as many bytes as it sent; docs/PROTOCOL.md, "Path
 *                          validation")
 * @param measuredLoss      smoothed share of this side's data datagrams sent on this path that did
 *                          not arrive, 0 to 1, as the peer reports it per path (one-way, data
 *                          itself, over roughly the last 1,024 datagrams of the path); -1 until
 *                          two reports have counted data sent, and always with a peer that does
 *                          not report per path (docs/PROTOCOL.md, "Per-path reports")
 */
public record PathStats(
        InetSocketAddress remote,
        boolean up,
        long datagramsSent,
        long bytesSent,
        long sendErrors,
        long datagramsReceived,
        long bytesReceived,
        long firstDeliveries,
        long duplicatesDropped,
        long smoothedRttNanos,
        double probeLoss,
        boolean validated,
        double measuredLoss) {

    /**
     * A path without a per-path loss measurement.
     *
     * @param remote            where this side sends the path's copies
     * @param up                whether the path is used for sending
     * @param datagramsSent     datagrams written to this path
     * @param bytesSent         wire bytes written to this path
     * @param sendErrors        datagrams this path failed to send
     * @param datagramsReceived valid datagrams read from this path
     * @param bytesReceived     wire bytes of those datagrams
     * @param firstDeliveries   data datagrams whose first copy arrived on this path
     * @param duplicatesDropped data datagrams on this path that another path had already delivered
     * @param smoothedRttNanos  smoothed round-trip time in nanoseconds, or -1
     * @param probeLoss         smoothed round-trip loss of this side's keepalives, or -1
     * @param validated         whether the path may carry data without limit
     */
    public PathStats(InetSocketAddress remote, boolean up, long datagramsSent, long bytesSent, long sendErrors,
                     long datagramsReceived, long bytesReceived, long firstDeliveries, long duplicatesDropped,
                     long smoothedRttNanos, double probeLoss, boolean validated) {
        this(remote, up, datagramsSent, bytesSent, sendErrors, datagramsReceived, bytesReceived, firstDeliveries,
                duplicatesDropped, smoothedRttNanos, probeLoss, validated, -1);
    }

    /**
     * A validated path: a client's, or one whose address has echoed a challenge.
     *
     * @param remote            where this side sends the path's copies
     * @param up                whether the path is used for sending
     * @param datagramsSent     datagrams written to this path
     * @param bytesSent         wire bytes written to this path
     * @param sendErrors        datagrams this path failed to send
     * @param datagramsReceived valid datagrams read from this path
     * @param bytesReceived     wire bytes of those datagrams
     * @param firstDeliveries   data datagrams whose first copy arrived on this path
     * @param duplicatesDropped data datagrams on this path that another path had already delivered
     * @param smoothedRttNanos  smoothed round-trip time in nanoseconds, or -1
     * @param probeLoss         smoothed round-trip loss of this side's keepalives, or -1
     */
    public PathStats(InetSocketAddress remote, boolean up, long datagramsSent, long bytesSent, long sendErrors,
                     long datagramsReceived, long bytesReceived, long firstDeliveries, long duplicatesDropped,
                     long smoothedRttNanos, double probeLoss) {
        this(remote, up, datagramsSent, bytesSent, sendErrors, datagramsReceived, bytesReceived, firstDeliveries,
                duplicatesDropped, smoothedRttNanos, probeLoss, true, -1);
    }

    /** @return the smoothed round-trip time, empty until the path has been measured */
    public Optional<Duration> smoothedRtt() {
        return smoothedRttNanos < 0 ? Optional.empty() : Optional.of(Duration.ofNanos(smoothedRttNanos));
    }

    /**
     * The one-way loss implied by {@link #probeLoss()} if both directions lose independently and
     * equally: {@code 1 - sqrt(1 - probeLoss)}. This is what a data datagram sent on this path is
     * expected to suffer, and what adaptive redundancy plans with.
     *
     * @return the estimated one-way loss, 0 to 1, or -1 if the path has no probe estimate
     */
    public double estimatedLoss() {
        return probeLoss < 0 ? -1 : 1 - Math.sqrt(1 - Math.min(probeLoss, 1));
    }
}
