package org.mptunnel.examples.server;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Resolves the domain names of SOCKS destinations at mpserver, so that DNS too happens at the
 * tunnel's far side, off the tunnel's reader thread. Answers are cached (a few hundred names, each
 * for the configured TTL; failures for less), and lookups in flight are bounded: a name beyond the
 * bounds counts as unresolved rather than queueing without limit.
 */
final class NameResolver implements AutoCloseable {

    /** The answer for a name that did not resolve, or could not be looked up now. */
    static final InetAddress[] NONE = new InetAddress[0];
    private static final int CAPACITY = 256;
    private static final int MAX_LOOKUPS = 64;
    private static final int MAX_WAITERS = 16;
    private static final long FAILURE_TTL_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final long ttlNanos;
    private final Function<String, InetAddress[]> lookup;
    /** Least recently used first; guarded by this. */
    private final LinkedHashMap<String, Answer> cache = new LinkedHashMap<>(64, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Answer> eldest) {
            return size() > CAPACITY;
        }
    };
    /** Names being looked up, with who waits for them; guarded by this. */
    private final Map<String, List<Consumer<InetAddress[]>>> inFlight = new HashMap<>();
    private final ThreadPoolExecutor lookups;

    private record Answer(InetAddress[] addresses, long expiresAt) {
    }

    /** @param ttl how long an answer is used */
    NameResolver(Duration ttl) {
        this(ttl, NameResolver::lookUp);
    }

    NameResolver(Duration ttl, Function<String, InetAddress[]> lookup) {
        this.ttlNanos = ttl.toNanos();
        this.lookup = lookup;
        this.lookups = new ThreadPoolExecutor(2, 2, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(MAX_LOOKUPS), r -> {
            Thread t = new Thread(r, "mpserver-resolver");
            t.setDaemon(true);
            return t;
        });
    }

    private static InetAddress[] lookUp(String name) {
        try {
            return InetAddress.getAllByName(name);
        } catch (UnknownHostException | SecurityException e) {
            return NONE;
        }
    }

    /** @return the cached addresses of {@code name} ({@link #NONE} if it did not resolve), or null */
    synchronized InetAddress[] cached(String name, long now) {
        Answer answer = cache.get(name);
        if (answer == null || answer.expiresAt - now < 0) {
            return null;
        }
        return answer.addresses;
    }

    /**
     * Looks {@code name} up in the background and calls {@code whenDone} with the answer, on the
     * resolver's thread ({@link #NONE} at once if too many names or waiters are pending).
     */
    void resolve(String name, Consumer<InetAddress[]> whenDone) {
        synchronized (this) {
            List<Consumer<InetAddress[]>> waiters = inFlight.get(name);
            if (waiters != null) {
                if (waiters.size() < MAX_WAITERS) {
                    waiters.add(whenDone);
                    return;
                }
                waiters = null; // too many waiters: this one gets NONE below
            } else if (inFlight.size() < MAX_LOOKUPS) {
                waiters = new ArrayList<>(2);
                waiters.add(whenDone);
                inFlight.put(name, waiters);
                try {
                    lookups.execute(() -> finish(name, lookup.apply(name)));
                    return;
                } catch (RejectedExecutionException e) {
                    inFlight.remove(name);
                }
            }
        }
        whenDone.accept(NONE);
    }

    private void finish(String name, InetAddress[] addresses) {
        List<Consumer<InetAddress[]>> waiters;
        synchronized (this) {
            long ttl = addresses.length == 0 ? Math.min(ttlNanos, FAILURE_TTL_NANOS) : ttlNanos;
            cache.put(name, new Answer(addresses, System.nanoTime() + ttl));
            waiters = inFlight.remove(name);
        }
        for (Consumer<InetAddress[]> waiter : waiters) {
            waiter.accept(addresses);
        }
    }

    /** @return how many names are cached now */
    synchronized int size() {
        return cache.size();
    }

    @Override
    public void close() {
        lookups.shutdownNow();
    }
}
