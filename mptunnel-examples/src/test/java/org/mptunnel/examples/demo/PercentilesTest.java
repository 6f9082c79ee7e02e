package org.mptunnel.examples.demo;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PercentilesTest {

    @Test
    void nearestRank() {
        long[] samples = new long[100];
        for (int i = 0; i < samples.length; i++) {
            samples[i] = 100 - i; // unsorted on purpose
        }
        Percentiles p = new Percentiles(samples);
        assertThat(p.at(0.50)).isEqualTo(50);
        assertThat(p.at(0.99)).isEqualTo(99);
        assertThat(p.at(1.0)).isEqualTo(100);
        assertThat(new Percentiles(new long[] {7}).at(0.99)).isEqualTo(7);
        assertThat(new Percentiles(new long[0]).at(0.5)).isEqualTo(-1);
    }
}
