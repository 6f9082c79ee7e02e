package org.mptunnel.examples.it;

import java.util.ArrayList;
import java.util.List;

/** What a test started (processes, sockets, echoes), closed in reverse order, every one even if some fail. */
final class Started implements AutoCloseable {

    private final List<AutoCloseable> resources = new ArrayList<>();

    /** @return {@code resource}, now closed by {@link #close} */
    <T extends AutoCloseable> T track(T resource) {
        resources.add(resource);
        return resource;
    }

    @Override
    public void close() throws Exception {
        Exception first = null;
        for (int i = resources.size() - 1; i >= 0; i--) {
            try {
                resources.get(i).close();
            } catch (Exception e) {
                first = first == null ? e : first;
            }
        }
        resources.clear();
        if (first != null) {
            throw first;
        }
    }
}
