package org.mptunnel.it;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Waits for a count that other threads make to stop moving. The engines count a datagram just
 * after handing it on, and datagrams may still be in flight on bridges or in an I/O thread, so a
 * count read at once may still grow by something that happened before the moment a test means.
 */
public final class Settled {

    /** How long a count must stay unchanged to be taken as settled. */
    private static final Duration QUIET = Duration.ofMillis(300);

    private Settled() {
    }

    /** @return {@code count} once it has not moved for 300 ms (failing after 20 s if it keeps moving) */
    public static long value(LongSupplier count) {
        AtomicLong last = new AtomicLong(Long.MIN_VALUE);
        await().atMost(Duration.ofSeconds(20)).during(QUIET).until(() -> {
            long now = count.getAsLong();
            return last.getAndSet(now) == now;
        });
        return last.get();
    }
}
