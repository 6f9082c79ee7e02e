package org.mptunnel.internal.legacy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LegacyNumberingTest {

    private static final long WINDOW = 64;
    private static final long SILENCE = 1_000;

    @Test
    void idsStartAtOneAndWrapAsThirtyTwoBits() {
        assertThat(LegacyNumbering.idOf(0)).isEqualTo(1);
        assertThat(LegacyNumbering.idOf(41)).isEqualTo(42);
        assertThat(LegacyNumbering.idOf((1L << 31) - 1)).isEqualTo(Integer.MIN_VALUE);
        assertThat(LegacyNumbering.idOf((1L << 32) - 1)).isZero();
    }

    @Test
    void newerIdsAndAnEmptyWindowAreNeverRestarts() {
        LegacyNumbering n = new LegacyNumbering(WINDOW, SILENCE);
        assertThat(n.isRestart(1, -1, 10 * SILENCE, 0)).isFalse();
        assertThat(n.isRestart(500, 499, 10 * SILENCE, 0)).isFalse();
    }

    @Test
    void aLowIdTooOldForTheWindowIsARestart() {
        LegacyNumbering n = new LegacyNumbering(WINDOW, SILENCE);
        assertThat(n.isRestart(1, 200, 0, 0)).isTrue();
    }

    @Test
    void aTooOldIdBeyondTheFirstWindowIsOnlyTooOld() {
        LegacyNumbering n = new LegacyNumbering(WINDOW, SILENCE);
        assertThat(n.isRestart(WINDOW + 1, 1_000, 0, 0)).isFalse();
    }

    @Test
    void aRepeatedLowIdWithinTheWindowIsADuplicateUnlessThePeerWasSilent() {
        LegacyNumbering n = new LegacyNumbering(WINDOW, SILENCE);
        assertThat(n.isRestart(1, 10, SILENCE - 1, 0)).as("a late copy").isFalse();
        assertThat(n.isRestart(1, 10, SILENCE, 0)).as("after the peer's silence").isTrue();
    }

    @Test
    void judgingByAgeAloneRestartsAtMostOncePerSilence() {
        LegacyNumbering n = new LegacyNumbering(WINDOW, SILENCE);
        assertThat(n.isRestart(1, 5_000, 0, 100)).isTrue();
        // A lagging path's next copies look the same; they must not restart the window again.
        assertThat(n.isRestart(2, 5_001, 0, 100 + SILENCE - 1)).isFalse();
        assertThat(n.isRestart(3, 5_002, 0, 100 + SILENCE)).isTrue();
    }
}
