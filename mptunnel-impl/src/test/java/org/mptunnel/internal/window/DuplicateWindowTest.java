package org.mptunnel.internal.window;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mptunnel.internal.window.DuplicateWindow.DUPLICATE;
import static org.mptunnel.internal.window.DuplicateWindow.FRESH;
import static org.mptunnel.internal.window.DuplicateWindow.TOO_OLD;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DuplicateWindowTest {

    private static void acceptAll(DuplicateWindow window, long fromInclusive, long toInclusive) {
        for (long s = fromInclusive; s <= toInclusive; s++) {
            assertThat(window.accept(s)).as("sequence %d", s).isEqualTo(FRESH);
        }
    }

    // --- examples ----------------------------------------------------------------------------

    @Test
    void startsEmpty() {
        DuplicateWindow window = new DuplicateWindow(100);

        assertThat(window.newest()).isEqualTo(-1);
        assertThat(window.size()).isEqualTo(100);
    }

    @ParameterizedTest
    @ValueSource(ints = {63, 1, 0, -64})
    void rejectsWindowSmallerThanOneWord(int size) {
        assertThatThrownBy(() -> new DuplicateWindow(size))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("64")
                .hasMessageContaining(Integer.toString(size));
    }

    @Test
    void firstSequenceIsFreshWhateverItIs() {
        DuplicateWindow atZero = new DuplicateWindow(64);
        DuplicateWindow farOut = new DuplicateWindow(64);

        assertThat(atZero.accept(0)).isEqualTo(FRESH);
        assertThat(farOut.accept(1_000_000)).isEqualTo(FRESH);
        assertThat(farOut.newest()).isEqualTo(1_000_000);
    }

    @Test
    void firstSequenceFarOutStillJudgesTheWindowBehindIt() {
        DuplicateWindow window = new DuplicateWindow(64);
        window.accept(1000);

        assertThat(window.accept(1000 - 63)).isEqualTo(FRESH);
        assertThat(window.accept(1000 - 64)).isEqualTo(TOO_OLD);
    }

    @ParameterizedTest
    @ValueSource(ints = {64, 100, 4096})
    void inOrderSequencesAreAllFreshAndThenDuplicates(int size) {
        DuplicateWindow window = new DuplicateWindow(size);
        acceptAll(window, 0, 3L * size);

        assertThat(window.newest()).isEqualTo(3L * size);
        for (long s = 2L * size + 1; s <= 3L * size; s++) {
            assertThat(window.accept(s)).as("sequence %d", s).isEqualTo(DUPLICATE);
        }
    }

    @Test
    void duplicateOfNewestIsDetected() {
        DuplicateWindow window = new DuplicateWindow(64);
        window.accept(5);

        assertThat(window.accept(5)).isEqualTo(DUPLICATE);
        assertThat(window.newest()).isEqualTo(5);
    }

    @Test
    void reorderedSequenceIsFreshOnceThenDuplicate() {
        DuplicateWindow window = new DuplicateWindow(64);
        window.accept(10);
        window.accept(12);

        assertThat(window.accept(11)).isEqualTo(FRESH);
        assertThat(window.accept(11)).isEqualTo(DUPLICATE);
        assertThat(window.newest()).isEqualTo(12);
    }

    @ParameterizedTest
    @ValueSource(ints = {64, 100, 4096, 1 << 20})
    void oldestSequenceInsideTheWindowIsJudgedAndTheOneBeyondIsTooOld(int size) {
        DuplicateWindow window = new DuplicateWindow(size);
        long newest = 10L * size + 37;
        window.accept(newest);

        assertThat(window.accept(newest - size)).isEqualTo(TOO_OLD);
        assertThat(window.accept(newest - size + 1)).isEqualTo(FRESH);
        assertThat(window.accept(newest - size + 1)).isEqualTo(DUPLICATE);
        assertThat(window.accept(newest - size)).isEqualTo(TOO_OLD);
    }

    @ParameterizedTest
    @ValueSource(ints = {64, 100, 4096, 1 << 20})
    void seenSequenceFallingOutOfTheWindowBecomesTooOld(int size) {
        DuplicateWindow window = new DuplicateWindow(size);
        window.accept(0);
        window.accept(size - 1);
        assertThat(window.accept(0)).isEqualTo(DUPLICATE);

        window.accept(size);

        assertThat(window.accept(0)).isEqualTo(TOO_OLD);
        assertThat(window.accept(1)).isEqualTo(FRESH);
    }

    @ParameterizedTest
    @ValueSource(ints = {64, 100, 4096})
    void jumpFarAheadForgetsEverythingBehindTheNewWindow(int size) {
        DuplicateWindow window = new DuplicateWindow(size);
        acceptAll(window, 0, 2L * size);
        long jump = 2L * size + 100L * size + 5;

        assertThat(window.accept(jump)).isEqualTo(FRESH);

        assertThat(window.accept(2L * size)).isEqualTo(TOO_OLD);
        assertThat(window.accept(jump - size)).isEqualTo(TOO_OLD);
        // never seen, although their ring bits were all set before the jump
        acceptAll(window, jump - size + 1, jump - 1);
    }

    /**
     * A jump of more than the window but less than the ring: the words in between must be cleared
     * even though the ring did not wrap all the way round.
     */
    @ParameterizedTest
    @ValueSource(ints = {64, 100, 4096})
    void jumpOfMoreThanTheWindowButLessThanTheRingClearsTheNewWindow(int size) {
        DuplicateWindow window = new DuplicateWindow(size);
        int ringBits = Integer.highestOneBit((size + 63) / 64) * 2 * 64;
        // fill the whole ring so that every bit is set
        acceptAll(window, 0, ringBits - 1);
        long jump = ringBits - 1 + size + 1;

        assertThat(window.accept(jump)).isEqualTo(FRESH);

        assertThat(window.accept(jump - size)).isEqualTo(TOO_OLD);
        acceptAll(window, jump - size + 1, jump - 1);
    }

    /** Jumps whose sequence lands on ring bits that were set a whole number of laps before. */
    @ParameterizedTest
    @ValueSource(ints = {64, 100, 4096})
    void sequencesAliasingEarlierOnesAfterWholeRingLapsAreFresh(int size) {
        DuplicateWindow window = new DuplicateWindow(size);
        acceptAll(window, 0, size - 1);
        for (int laps = 1; laps <= 4; laps++) {
            long ringBits = 1L << 20; // a multiple of every ring length used here
            long newest = laps * ringBits + size - 1;
            assertThat(window.accept(newest)).isEqualTo(FRESH);
            acceptAll(window, newest - size + 1, newest - 1);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {64, 100, 4096})
    void advancingOneWordAtATimeKeepsTheWholeWindow(int size) {
        DuplicateWindow window = new DuplicateWindow(size);
        for (long newest = 0; newest < 20L * size; newest += 64) {
            assertThat(window.accept(newest)).isEqualTo(FRESH);
            long oldestInside = Math.max(0, newest - size + 1);
            // everything previously accepted and still inside is remembered
            for (long s = newest - 64; s >= oldestInside; s -= 64) {
                assertThat(window.accept(s)).as("sequence %d at newest %d", s, newest).isEqualTo(DUPLICATE);
            }
        }
    }

    @Test
    void largestSequencesWork() {
        DuplicateWindow window = new DuplicateWindow(100);

        assertThat(window.accept(Long.MAX_VALUE - 1)).isEqualTo(FRESH);
        assertThat(window.accept(Long.MAX_VALUE)).isEqualTo(FRESH);
        assertThat(window.accept(Long.MAX_VALUE - 1)).isEqualTo(DUPLICATE);
        assertThat(window.accept(Long.MAX_VALUE - 99)).isEqualTo(FRESH);
        assertThat(window.accept(Long.MAX_VALUE - 100)).isEqualTo(TOO_OLD);
        assertThat(window.accept(0)).isEqualTo(TOO_OLD);
    }

    @Test
    void resetForgetsEverything() {
        DuplicateWindow window = new DuplicateWindow(64);
        acceptAll(window, 1000, 1100);

        window.reset();

        assertThat(window.newest()).isEqualTo(-1);
        assertThat(window.accept(0)).isEqualTo(FRESH);
        assertThat(window.accept(1100)).isEqualTo(FRESH);
        assertThat(window.accept(1099)).isEqualTo(FRESH);
    }

    // --- properties against a reference model ------------------------------------------------

    /** What the window must answer: remembers everything seen, judges by distance to the newest. */
    private static final class Model {
        private final long size;
        private final Set<Long> seen = new HashSet<>();
        private long newest = -1;

        Model(long size) {
            this.size = size;
        }

        int accept(long sequence) {
            if (sequence <= newest && newest - sequence >= size) {
                return TOO_OLD;
            }
            newest = Math.max(newest, sequence);
            return seen.add(sequence) ? FRESH : DUPLICATE;
        }
    }

    @Provide
    Arbitrary<Integer> sizes() {
        return Arbitraries.of(64, 65, 100, 127, 128, 129, 200, 4096);
    }

    /**
     * Steps relative to the newest sequence: mostly small reorderings and repeats, sometimes gaps
     * of about a window, and now and then jumps far past the ring.
     */
    @Provide
    Arbitrary<List<Tuple.Tuple2<Integer, Integer>>> steps() {
        Arbitrary<Tuple.Tuple2<Integer, Integer>> step = Arbitraries.frequencyOf(
                Tuple.of(10, Arbitraries.integers().between(1, 3).map(d -> Tuple.of(0, d))),           // in order
                Tuple.of(6, Arbitraries.integers().between(0, 70).map(d -> Tuple.of(1, d))),           // a bit back
                Tuple.of(4, Arbitraries.integers().between(0, 50).map(d -> Tuple.of(2, d))),           // repeat a recent one
                Tuple.of(3, Arbitraries.integers().between(0, 3).map(d -> Tuple.of(3, d))),            // near the edge
                Tuple.of(2, Arbitraries.integers().between(60, 300).map(d -> Tuple.of(0, d))),         // a gap
                Tuple.of(1, Arbitraries.integers().between(4000, 20_000).map(d -> Tuple.of(0, d))));   // a jump
        return step.list().ofMinSize(1).ofMaxSize(400);
    }

    @Property(tries = 300, seed = "20240611")
    void agreesWithTheReferenceModel(@ForAll("sizes") int size,
                                     @ForAll @LongRange(min = 0, max = 1L << 50) long start,
                                     @ForAll("steps") List<Tuple.Tuple2<Integer, Integer>> steps) {
        DuplicateWindow window = new DuplicateWindow(size);
        Model model = new Model(size);
        List<Long> history = new ArrayList<>();
        long newest = start;
        for (Tuple.Tuple2<Integer, Integer> step : steps) {
            int d = step.get2();
            long sequence = switch (step.get1()) {
                case 0 -> newest + d;
                case 1 -> newest - d;
                case 2 -> history.isEmpty() ? newest : history.get(Math.max(0, history.size() - 1 - d));
                default -> newest - size + d; // straddles the edge: TOO_OLD for 0, inside for 1..3
            };
            sequence = Math.max(0, sequence);
            history.add(sequence);

            int expected = model.accept(sequence);
            assertThat(window.accept(sequence))
                    .as("sequence %d after %d steps, newest %d, size %d", sequence, history.size() - 1, newest, size)
                    .isEqualTo(expected);
            newest = model.newest;
            assertThat(window.newest()).isEqualTo(newest);
        }
    }

    /**
     * Every sequence arrives one to three times (as over several paths), each copy displaced by
     * less than the window: every sequence is delivered exactly once and none is too old.
     */
    @Property(tries = 100, seed = "20240612")
    void boundedReorderingDeliversEverySequenceExactlyOnce(@ForAll("sizes") int size,
                                                           @ForAll @IntRange(min = 1, max = 3000) int count,
                                                           @ForAll @LongRange(min = 0, max = 1L << 40) long start,
                                                           @ForAll long shuffleSeed) {
        Random random = new Random(shuffleSeed);
        List<long[]> arrivals = new ArrayList<>(); // {sequence, arrival key}
        for (long s = start; s < start + count; s++) {
            int copies = 1 + random.nextInt(3);
            for (int c = 0; c < copies; c++) {
                arrivals.add(new long[] {s, s + random.nextInt(size)});
            }
        }
        arrivals.sort(Comparator.comparingLong(a -> a[1]));

        DuplicateWindow window = new DuplicateWindow(size);
        Map<Long, Integer> delivered = new HashMap<>();
        for (long[] arrival : arrivals) {
            int verdict = window.accept(arrival[0]);
            assertThat(verdict).as("sequence %d", arrival[0]).isNotEqualTo(TOO_OLD);
            if (verdict == FRESH) {
                delivered.merge(arrival[0], 1, Integer::sum);
            }
        }

        assertThat(delivered).hasSize(count);
        assertThat(delivered.values()).containsOnly(1);
    }

    @Property(tries = 200, seed = "20240613")
    void everythingBehindTheWindowIsTooOldAndEverythingAheadIsFresh(
            @ForAll("sizes") int size,
            @ForAll @Size(min = 1, max = 50) List<@LongRange(min = 1_000_000, max = 1_100_000) Long> sequences,
            @ForAll @LongRange(min = 0, max = 900_000) long distance) {
        DuplicateWindow window = new DuplicateWindow(size);
        sequences.forEach(window::accept);
        long newest = window.newest();

        assertThat(newest).isEqualTo(sequences.stream().mapToLong(Long::longValue).max().orElseThrow());
        assertThat(window.accept(newest - size - distance)).isEqualTo(TOO_OLD);
        assertThat(window.accept(newest + 1 + distance)).isEqualTo(FRESH);
    }

    /** Seeded: judge says what accept would say, and a judge alone changes nothing. */
    @org.junit.jupiter.api.Test
    void judgeForeseesAcceptAndChangesNothing() {
        Random random = new Random(6479);
        DuplicateWindow window = new DuplicateWindow(256);
        DuplicateWindow twin = new DuplicateWindow(256);
        long base = 0;
        for (int i = 0; i < 100_000; i++) {
            base += random.nextInt(3);
            long sequence = Math.max(0, base + random.nextInt(700) - 500);
            long probe = Math.max(0, base + random.nextInt(700) - 350);
            // A judge only, on one window: the two must still agree afterwards.
            int judged = window.judge(probe);
            assertThat(window.newest()).isEqualTo(twin.newest());
            int verdict = window.judge(sequence);
            assertThat(window.accept(sequence)).isEqualTo(verdict);
            assertThat(twin.accept(sequence)).isEqualTo(verdict);
            assertThat(judged).isBetween(FRESH, TOO_OLD);
        }
    }

    // --- distant numbers (a window confirming jumps) ------------------------------------------

    @Test
    void oneDistantNumberAheadMovesNothing() {
        DuplicateWindow window = new DuplicateWindow(64, true);
        acceptAll(window, 0, 10);

        assertThat(window.accept(1_000_000_000_000L)).isEqualTo(DuplicateWindow.UNCONFIRMED);
        assertThat(window.accept(1_000_000_000_000L)).as("a copy of it").isEqualTo(DUPLICATE);
        assertThat(window.newest()).isEqualTo(10);
        acceptAll(window, 11, 20);
        assertThat(window.accept(5)).isEqualTo(DUPLICATE);
    }

    @Test
    void aSecondDistantNumberNearTheFirstRestartsTheWindowThereAndTheSendersNumbersComeBack() {
        DuplicateWindow window = new DuplicateWindow(64, true);
        acceptAll(window, 0, 100);

        assertThat(window.accept(1_000_000_000_005L)).isEqualTo(DuplicateWindow.UNCONFIRMED);
        assertThat(window.accept(1_000_000_000_000L)).isEqualTo(DuplicateWindow.RESTARTED);
        assertThat(window.newest()).isEqualTo(1_000_000_000_005L);
        assertThat(window.accept(1_000_000_000_005L)).as("the pending one, marked").isEqualTo(DUPLICATE);
        assertThat(window.accept(1_000_000_000_004L)).isEqualTo(FRESH);

        assertThat(window.accept(101)).as("far behind").isEqualTo(DuplicateWindow.UNCONFIRMED);
        assertThat(window.accept(102)).isEqualTo(DuplicateWindow.RESTARTED);
        assertThat(window.accept(101)).isEqualTo(DUPLICATE);
        assertThat(window.accept(100)).isEqualTo(FRESH);
        assertThat(window.accept(102)).isEqualTo(DUPLICATE);
    }

    @Test
    void distantNumbersFarFromEachOtherConfirmNothing() {
        DuplicateWindow window = new DuplicateWindow(64, true);
        acceptAll(window, 0, 10);
        for (long k = 1; k <= 50; k++) {
            assertThat(window.accept(k * 1_000_000)).isEqualTo(DuplicateWindow.UNCONFIRMED);
        }
        assertThat(window.newest()).isEqualTo(10);
    }

    @Test
    void aJumpWithinTheWindowIsTakenAndStragglersBehindItOnlyTooOld() {
        DuplicateWindow window = new DuplicateWindow(64, true);
        acceptAll(window, 0, 10);
        assertThat(window.accept(73)).isEqualTo(FRESH);
        acceptAll(window, 11, 72);
        assertThat(window.accept(74 + DuplicateWindow.FAR_BEHIND - 1)).isEqualTo(DuplicateWindow.UNCONFIRMED);
        acceptAll(window, 74, 200);
        assertThat(window.accept(190)).isEqualTo(DUPLICATE);
        assertThat(window.accept(10)).as("behind, but not distant").isEqualTo(TOO_OLD);
    }

    @Test
    void aWindowThatDoesNotConfirmJumpsTakesThemAtOnce() {
        DuplicateWindow window = new DuplicateWindow(64);
        acceptAll(window, 0, 10);
        assertThat(window.accept(1_000_000_000_000L)).isEqualTo(FRESH);
        assertThat(window.accept(11)).isEqualTo(TOO_OLD);
    }
}
