package org.mptunnel.internal.window;

/**
 * Sliding-window duplicate filter over 64-bit sequence numbers, after RFC 6479: a ring of 64-bit
 * bitmap words indexed by {@code sequence >>> 6}. A sequence is accepted once if it is newer than
 * anything seen, or within {@code size} of the newest and not seen before. Every call is O(1): an
 * advance clears at most the whole ring, whose length is fixed at construction.
 *
 * <p>The ring has one word more than the window needs (rounded up to a power of two), so that
 * sliding forward can clear whole words without forgetting any sequence still inside the window.
 *
 * <p>Distant numbers, in a window made {@code confirmingJumps} (protocol v1, where anyone can forge
 * a number): a number {@code size} or more ahead of the newest, or {@value #FAR_BEHIND} or more
 * behind it, would make the window forget everything the sender is really sending. Such a number
 * is taken ({@link #UNCONFIRMED}: deliver it) but moves nothing; it is remembered as pending, and
 * only a second, different number within {@code size} of it restarts the window there
 * ({@link #RESTARTED}). So one forged datagram does no lasting harm, a window that two forged
 * datagrams did move returns to the sender's numbers after two of the sender's datagrams, and a
 * legitimate jump (a restarted sender, an outage longer than the window) loses nothing.
 *
 * <p>Not thread-safe: each window is owned by the I/O thread.
 */
public final class DuplicateWindow {

    /** The sequence was not seen before and is now marked. */
    public static final int FRESH = 0;
    /** The sequence was seen before. */
    public static final int DUPLICATE = 1;
    /** The sequence is {@code size} or more behind the newest; it cannot be judged and is refused. */
    public static final int TOO_OLD = 2;
    /** A distant number not (yet) confirmed by a second one near it: new, but the window did not move. */
    public static final int UNCONFIRMED = 3;
    /** A distant number near the pending one: the window restarted there, and the number is fresh. */
    public static final int RESTARTED = 4;

    /**
     * How far behind the newest a number must be to count as distant rather than too old: far
     * beyond any lag between paths (a slower path's copies, merely too old, must never restart the
     * window), far below the 10^12 of a forged jump.
     */
    public static final long FAR_BEHIND = 1L << 24;

    private static final int WORD_SHIFT = 6;
    private static final int WORD_BITS = 1 << WORD_SHIFT;

    private final long[] words;
    private final int wordMask;
    private final long size;
    /** How far behind the newest a number is distant: {@link #FAR_BEHIND}, or the size if larger. */
    private final long farBehind;
    private long newest = -1;
    private final boolean confirmingJumps;
    /** The last distant number taken unconfirmed, or -1. */
    private long pending = -1;

    /** @param size how many sequences behind the newest are still judged; at least 64 */
    public DuplicateWindow(int size) {
        this(size, false);
    }

    /**
     * @param size            how many sequences behind the newest are still judged; at least 64
     * @param confirmingJumps whether a distant number needs a second one near it before the window
     *                        moves (see the class comment); for numbers that are not authenticated
     */
    public DuplicateWindow(int size, boolean confirmingJumps) {
        this.confirmingJumps = confirmingJumps;
        if (size < WORD_BITS) {
            throw new IllegalArgumentException("window size must be at least " + WORD_BITS + ", got " + size);
        }
        int wordsNeeded = (size + WORD_BITS - 1) / WORD_BITS + 1;
        this.words = new long[Integer.highestOneBit(wordsNeeded - 1) << 1];
        this.wordMask = words.length - 1;
        this.size = size;
        this.farBehind = Math.max(size, FAR_BEHIND);
    }

    /**
     * Judges a sequence and, if it is fresh, remembers it.
     *
     * @param sequence a non-negative sequence number
     * @return {@link #FRESH}, {@link #DUPLICATE} or {@link #TOO_OLD}; in a window confirming jumps
     *         also {@link #UNCONFIRMED} or {@link #RESTARTED}
     */
    public int accept(long sequence) {
        long ahead = sequence - newest;
        if (confirmingJumps && newest >= 0 && (ahead >= size || -ahead >= farBehind)) {
            return distant(sequence);
        }
        return mark(sequence);
    }

    private int distant(long sequence) {
        if (sequence == pending) {
            return DUPLICATE;
        }
        if (pending < 0 || Math.abs(sequence - pending) >= size) {
            pending = sequence;
            return UNCONFIRMED;
        }
        long confirmed = pending;
        reset();
        mark(confirmed);
        mark(sequence);
        return RESTARTED;
    }

    private int mark(long sequence) {
        if (sequence > newest) {
            slideTo(sequence);
        } else if (newest - sequence >= size) {
            return TOO_OLD;
        }
        int word = (int) (sequence >>> WORD_SHIFT) & wordMask;
        long bit = 1L << sequence; // shifts use the low six bits only
        long bits = words[word];
        if ((bits & bit) != 0) {
            return DUPLICATE;
        }
        words[word] = bits | bit;
        return FRESH;
    }

    /**
     * Judges a sequence as {@link #accept} would in a window that does not confirm jumps, but
     * remembers nothing and slides nothing: for a
     * look before a datagram has been authenticated (protocol v2), when nothing may change yet, so
     * that copies already delivered are dropped without the cost of opening them.
     *
     * @param sequence a non-negative sequence number
     * @return {@link #FRESH}, {@link #DUPLICATE} or {@link #TOO_OLD}
     */
    public int judge(long sequence) {
        if (sequence > newest) {
            return FRESH;
        }
        if (newest - sequence >= size) {
            return TOO_OLD;
        }
        int word = (int) (sequence >>> WORD_SHIFT) & wordMask;
        return (words[word] & (1L << sequence)) != 0 ? DUPLICATE : FRESH;
    }

    /** @return the newest sequence accepted, or -1 before the first */
    public long newest() {
        return newest;
    }

    /** @return how many sequences behind the newest are still judged */
    public long size() {
        return size;
    }

    /** Forgets everything, as for a new peer. */
    public void reset() {
        java.util.Arrays.fill(words, 0L);
        newest = -1;
        pending = -1;
    }

    private void slideTo(long sequence) {
        // newest is -1 at the start: its word is -1 (arithmetic shift), so the first advance clears
        // from word 0 on, which is nothing more than the already zero ring.
        long fromWord = newest >> WORD_SHIFT;
        long toWord = sequence >>> WORD_SHIFT;
        long advance = Math.min(toWord - fromWord, words.length);
        for (long i = 1; i <= advance; i++) {
            words[(int) (fromWord + i) & wordMask] = 0L;
        }
        newest = sequence;
    }
}
