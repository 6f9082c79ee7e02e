package org.mptunnel.internal.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;
import org.mptunnel.internal.path.Path;

/** A client session's paths changed at run time: new arrays for senders, and the adaptive choice kept true. */
class ClientPathsTest {

    private static Path path(int index) {
        return new Path(index, new InetSocketAddress(InetAddress.getLoopbackAddress(), 4000 + index), null, true, 0);
    }

    @Test
    void anAddedPathIsAppendedAndARemovedOneLeavesTheAdaptiveChoiceToo() {
        Path a = path(0);
        Path b = path(1);
        Path c = path(2);
        Session session = new Session(1, SessionAddress.of(1), 64, new Path[] {a, b}, null, 2, new TunnelCounters(), 0);
        Path[] before = session.paths();

        session.addPath(c);
        assertThat(session.paths()).containsExactly(a, b, c);
        assertThat(before).as("a sender's array is never changed in place").containsExactly(a, b);

        session.sendOn(new Path[] {b, c});
        session.removePath(b);
        assertThat(session.paths()).containsExactly(a, c);
        assertThat(session.sendPaths()).containsExactly(c);

        session.removePath(c);
        assertThat(session.sendPaths()).as("nothing left of the choice: every path").isNull();
        assertThat(session.paths()).containsExactly(a);

        session.removePath(c);
        assertThat(session.paths()).as("removing a path it does not have changes nothing").containsExactly(a);
    }
}
