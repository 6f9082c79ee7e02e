package org.mptunnel.internal.schedule;

import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import org.mptunnel.internal.session.Session;

/** Every datagram on every path that is up: the default, and the only policy of a server. */
public final class AllPaths implements Scheduler {

    public static final AllPaths INSTANCE = new AllPaths();

    private AllPaths() {
    }

    @Override
    public int send(Session session, ByteBuffer datagram) throws ClosedChannelException {
        if (!session.logging()) {
            int sent = Session.transmitOn(session.paths(), datagram);
            if (sent > 0 || !session.logsReplies()) {
                session.countSent(sent);
                return sent;
            }
        }
        // a young session, a path awaiting validation, replies held: see Session.sendLogged
        return session.sendLogged(datagram);
    }
}
