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
        if (session.holding()) {
            return session.sendBehindHeld(datagram); // a new session's first replies go out first
        }
        int sent = Session.transmitOn(session.paths(), datagram);
        if (sent == 0 && session.holdForValidation(datagram)) {
            return 0; // counted when it leaves, or counted already
        }
        session.countSent(sent);
        return sent;
    }
}
