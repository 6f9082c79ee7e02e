package org.mptunnel.examples.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class NameResolverTest {

    private static final InetAddress[] ONE = {InetAddress.getLoopbackAddress()};

    @Test
    void oneLookupServesEveryWaiterAndTheCacheUntilTheTtl() throws Exception {
        AtomicInteger lookups = new AtomicInteger();
        CountDownLatch release = new CountDownLatch(1);
        try (NameResolver resolver = new NameResolver(Duration.ofSeconds(1), name -> {
            lookups.incrementAndGet();
            try {
                release.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return ONE;
        })) {
            List<InetAddress[]> answers = new CopyOnWriteArrayList<>();
            assertThat(resolver.cached("a.example", System.nanoTime())).isNull();
            resolver.resolve("a.example", answers::add);
            resolver.resolve("a.example", answers::add);
            release.countDown();
            await().atMost(Duration.ofSeconds(5)).until(() -> answers.size() == 2);
            assertThat(lookups).hasValue(1);
            assertThat(answers).allSatisfy(a -> assertThat(a).containsExactly(ONE));
            long now = System.nanoTime();
            assertThat(resolver.cached("a.example", now)).containsExactly(ONE);
            assertThat(resolver.cached("a.example", now + Duration.ofSeconds(2).toNanos())).as("after the TTL").isNull();
        }
    }

    @Test
    void failuresAreCachedBrieflyAndTheCacheIsBounded() {
        try (NameResolver resolver = new NameResolver(Duration.ofSeconds(60),
                name -> name.startsWith("bad") ? NameResolver.NONE : ONE)) {
            List<InetAddress[]> answers = new CopyOnWriteArrayList<>();
            resolver.resolve("bad.example", answers::add);
            await().atMost(Duration.ofSeconds(5)).until(() -> answers.size() == 1);
            long now = System.nanoTime();
            assertThat(resolver.cached("bad.example", now)).isEmpty();
            assertThat(resolver.cached("bad.example", now + Duration.ofSeconds(6).toNanos())).isNull();
            for (int batch = 0; batch < 6; batch++) { // 50 at a time: within the bound on lookups in flight
                for (int i = 0; i < 50; i++) {
                    resolver.resolve("n" + batch + "-" + i + ".example", answers::add);
                }
                int expected = 1 + 50 * (batch + 1);
                await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(5))
                        .until(() -> answers.size() == expected);
            }
            assertThat(answers.stream().filter(a -> a.length == 0)).as("only bad.example failed; none refused").hasSize(1);
            assertThat(resolver.size()).isEqualTo(256);
        }
    }
}
