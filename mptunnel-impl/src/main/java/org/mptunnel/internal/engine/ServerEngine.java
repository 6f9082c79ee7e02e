package org.mptunnel.internal.engine;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import org.mptunnel.TunnelConfig;
import org.mptunnel.internal.path.Path;
import org.mptunnel.internal.session.Session;
import org.mptunnel.internal.session.SessionAdmission;
import org.mptunnel.internal.wire.Header;
import org.mptunnel.internal.wire.Probe;

/**
 * The server role: one bound channel, many sessions. A session is found by the id in each datagram,
 * not by its source, and learns a path for every source address its datagrams come from.
 */
public final class ServerEngine extends SessionServerEngine {

    private final SessionAdmission admission = new SessionAdmission();

    private ServerEngine(TunnelConfig config, DatagramChannel channel) {
        super(config, channel);
    }

    /** Binds the server's channel and starts the I/O thread. */
    public static ServerEngine open(TunnelConfig config) throws IOException {
        return open(config, ServerEngine::new);
    }

    @Override
    public void send(byte[] data, int offset, int length, InetAddress address, int port) throws IOException {
        Session session = replyTarget(address, port);
        if (session != null) {
            session.fanOut(encodeData(session, data, offset, length));
        }
    }

    @Override
    protected void onDatagram(InetSocketAddress source, ByteBuffer datagram, int length, long now) {
        int type = Header.check(datagram, length);
        if (type == Header.MALFORMED || type == Header.TYPE_KEEPALIVE_ACK) {
            totals.malformed.increment(); // acks only ever go to clients
            return;
        }
        if (type == Header.TYPE_KEEPALIVE && !Probe.keepaliveValid(datagram)) {
            totals.malformed.increment();
            return;
        }
        long id = Header.sessionId(datagram);
        Session session = sessions.get(id);
        if (session == null) {
            session = openSession(id, source, now);
            if (session == null) {
                return;
            }
        }
        Path path = session.pathFrom(source, now);
        path.heard(now, length);
        session.heard(now);
        if (type == Header.TYPE_DATA) {
            admitData(session, path, datagram, length, session.address());
        } else {
            long reportedRttMicros = Probe.smoothedRttMicros(datagram);
            if (reportedRttMicros > 0) {
                path.rttReported(reportedRttMicros * 1_000);
            }
            // The receiver's report: what the client needs to measure its data's loss.
            Probe.turnIntoAck(datagram, epoch, session.receivedInbound(), session.newestInbound() + 1);
            try {
                path.transmit(datagram);
            } catch (IOException e) {
                // closed: the loop is stopping
            }
        }
    }

    /** A new session for the first datagram of an unknown id, if the source's rate and the table allow. */
    private Session openSession(long id, InetSocketAddress source, long now) {
        if (!admission.tryAdmit(source, now)) {
            totals.sessionsRefused.increment();
            return null;
        }
        return makeRoom(now) ? add(newSession(id, now)) : null;
    }
}
