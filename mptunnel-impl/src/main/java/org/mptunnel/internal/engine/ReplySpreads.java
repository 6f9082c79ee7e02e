package org.mptunnel.internal.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.mptunnel.internal.path.Counter;
import org.mptunnel.internal.schedule.ReplySpread;
import org.mptunnel.internal.session.Session;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A server's {@link ReplySpread}s, one per session whose replies are coded, revised in turn on the
 * I/O thread's timer within a share of that thread's time: a plan takes 0.3 to 15 ms (k:m up to
 * 32:16 over up to {@value ReplySpread#MAX_PATHS} paths), any client that codes makes one due every
 * second, and this thread also reads every datagram. Plans past the share wait their turn,
 * counted ({@code TunnelStats.replyPlansDeferred}), and said in one INFO line a minute at most;
 * the session that waited is the first of the next turn. I/O thread only.
 */
final class ReplySpreads {

    /** The share of the I/O thread's time all sessions' plans may take together, measured. */
    static final double SHARE = 0.02;
    /** The most planning time saved up: a second's worth. */
    static final long BURST_NANOS = (long) (SHARE * 1e9);
    /** Plans that waited are said at most this often. */
    static final long DEFERRED_LOG_NANOS = TimeUnit.MINUTES.toNanos(1);

    private static final Logger LOG = LoggerFactory.getLogger(ReplySpreads.class);

    private final List<ReplySpread> spreads = new ArrayList<>();
    /** Measures what each plan took. */
    private final LongSupplier clock;
    private long budgetNanos = BURST_NANOS;
    private long refilledAt;
    private boolean started;
    private int cursor;
    /** Spreads planned. */
    final Counter plans = new Counter();
    /** Plans that were due but waited for the budget: the socket's count. */
    private final Counter deferred;
    /** Lines that said plans waited, and when the last was written. */
    long deferredLines;
    private long deferredLoggedAt;
    private long deferredAtLastLine;

    /** @param deferred counts the plans that waited for the budget */
    ReplySpreads(LongSupplier clock, Counter deferred) {
        this.clock = clock;
        this.deferred = deferred;
    }

    /** The session's replies are coded from now on. */
    void add(Session session) {
        spreads.add(new ReplySpread(session));
    }

    /** The session left the table. */
    void remove(Session session) {
        spreads.removeIf(spread -> spread.session() == session);
    }

    /** Revises the spreads that are due, in turn over the sessions, within {@link #SHARE} of the time. */
    void onTimer(long now) {
        int count = spreads.size();
        if (count == 0) {
            return;
        }
        if (started) {
            budgetNanos = (long) Math.min(BURST_NANOS, budgetNanos + (double) (now - refilledAt) * SHARE);
        }
        started = true;
        refilledAt = now;
        for (int n = 0; n < count; n++) {
            int i = (cursor + n) % count;
            ReplySpread spread = spreads.get(i);
            if (!spread.due(now)) {
                continue;
            }
            if (budgetNanos <= 0) {
                deferred.increment();
                cursor = i;
                logDeferred(now);
                return;
            }
            long start = clock.getAsLong();
            spread.revise(now);
            budgetNanos -= clock.getAsLong() - start;
            plans.increment();
        }
        cursor = 0;
    }

    private void logDeferred(long now) {
        if (deferredLines > 0 && now - deferredLoggedAt < DEFERRED_LOG_NANOS) {
            return;
        }
        long waited = deferred.get();
        LOG.info("planning the spread of coded replies over the paths takes more than its {} % of the I/O "
                        + "thread: {} plans waited their turn since the last such line ({} sessions' replies coded; "
                        + "the next line in a minute at the earliest)", Math.round(SHARE * 100),
                waited - deferredAtLastLine, spreads.size());
        deferredLines++;
        deferredLoggedAt = now;
        deferredAtLastLine = waited;
    }
}
