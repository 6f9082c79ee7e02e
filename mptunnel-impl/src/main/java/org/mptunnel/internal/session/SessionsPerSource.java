package org.mptunnel.internal.session;

import java.util.HashMap;
import java.util.Map;

/**
 * How many live sessions each {@link SourceBlock} holds, so that one host, whatever its number of
 * ports, cannot fill the session table and lock out clients from elsewhere. Exact (a map, not a
 * hashed table: a collision must not refuse an innocent source), and bounded by the table: a block
 * has an entry only while it holds a session.
 *
 * <p>Not thread-safe: the I/O thread owns it.
 */
public final class SessionsPerSource {

    private final int limit;
    private final Map<SourceBlock, int[]> held = new HashMap<>();

    /** @param limit the most sessions one source may hold */
    public SessionsPerSource(int limit) {
        this.limit = limit;
    }

    /** @return whether {@code source} may hold one more session */
    public boolean hasRoom(SourceBlock source) {
        int[] count = held.get(source);
        return count == null || count[0] < limit;
    }

    /** A session of {@code source} was added. */
    public void charge(SourceBlock source) {
        held.computeIfAbsent(source, s -> new int[1])[0]++;
    }

    /** A session of {@code source} left the table. */
    public void release(SourceBlock source) {
        int[] count = held.get(source);
        if (count != null && --count[0] == 0) {
            held.remove(source);
        }
    }

    /** @return how many sources hold a session */
    public int sources() {
        return held.size();
    }
}
