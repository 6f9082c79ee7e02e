package org.mptunnel.internal.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class SheddingWarningTest {

    private static final long SECOND = 1_000_000_000L;

    private final SheddingWarning warning =
            new SheddingWarning(Duration.ofSeconds(10), new ClientLimits(4096, 1024, Duration.ofSeconds(120)));

    @Test
    void oneLinePerIntervalSayingWhatHappenedSinceTheLast() {
        long t = 123 * SECOND;
        assertThat(warning.next(t, 0, 0, null)).as("nothing to say").isNull();
        assertThat(warning.next(t + SECOND, 5, 0, null)).isEqualTo("5 clients lost their upstream socket to new clients"
                + " (5 in all; at most 4096 clients, 1024 per IPv4 address or IPv6 /64, the least recently active give way)");
        assertThat(warning.next(t + 2 * SECOND, 900, 0, null)).as("too soon after the last").isNull();
        assertThat(warning.next(t + 10 * SECOND, 20_000, 0, null)).as("still too soon").isNull();
        assertThat(warning.next(t + 11 * SECOND, 20_000, 0, null)).startsWith("19995 clients lost")
                .contains("(20000 in all;").endsWith(" in the last 10 s");
        assertThat(warning.next(t + 30 * SECOND, 20_000, 0, null)).as("nothing new").isNull();
        assertThat(warning.next(t + 31 * SECOND, 20_000, 2, new IOException("Too many open files")))
                .isEqualTo("2 new clients got no upstream socket and lost their datagram (2 in all; last:"
                        + " java.io.IOException: Too many open files) in the last 20 s");
    }
}
