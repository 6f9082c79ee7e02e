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
 * <p>Not thread-safe: each window is owned by the I/O thread.
 */
public final class DuplicateWindow {

    /** The sequence was not seen before and is now marked. */
    public static final int FRESH = 0;
    /** The sequence was seen before. */
    public static final int DUPLICATE = 1;
    /** The sequence is {@code size} or more behind the newest; it cannot be judged and is refused. */
    public static final int TOO_OLD = 2;

    private static final int WORD_SHIFT = 6;
    private static final int WORD_BITS = 1 << WORD_SHIFT;

    private final long[] words;
    private final int wordMask;
    private final long size;
    private long newest = -1;

    /** @param size how many sequences behind the newest are still judged; at least 64 */
    public DuplicateWindow(int size) {
        if (size < WORD_BITS) {
            throw new IllegalArgumentException("window size must be at least " + WORD_BITS + ", got " + size);
        }
        int wordsNeeded = (size + WORD_BITS - 1) / WORD_BITS + 1;
        this.words = new long[Integer.highestOneBit(wordsNeeded - 1) << 1];
        this.wordMask = words.length - 1;
        this.size = size;
    }

    /**
     * Judges a sequence and, if it is fresh, remembers it.
     *
     * @param sequence a non-negative sequence number
     * @return {@link #FRESH}, {@link #DUPLICATE} or {@link #TOO_OLD}
     */
    public int accept(long sequence) {
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
     * Judges a sequence as {@link #accept} would, but remembers nothing and slides nothing: for a
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
