package org.mptunnel.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.UnknownHostException;
import org.junit.jupiter.api.Test;

class FailedOpenBudgetTest {

    private static final long SECOND = 1_000_000_000L;
    private static final int FORGERY = 60_040;

    private final FailedOpenBudget budget = new FailedOpenBudget(42);

    /** Fails {@code FORGERY}-byte opens from {@code source} at {@code now} until it is refused; @return how many failed. */
    private int failUntilRefused(InetAddress source, long now) {
        int failed = 0;
        while (!budget.refuses(source, now)) {
            budget.failed(source, FORGERY, now);
            failed++;
            assertThat(failed).as("refused within its burst").isLessThan(1_000);
        }
        return failed;
    }

    @Test
    void aSourceIsRefusedOnceItsFailuresExceedTheBurstAndAgainOnceTheyDrained() throws Exception {
        InetAddress attacker = InetAddress.getByName("192.0.2.7");
        assertThat(budget.refuses(attacker, 0)).isFalse();
        assertThat(failUntilRefused(attacker, 0)).isEqualTo((int) (FailedOpenBudget.BURST_BYTES / FORGERY) + 1);
        assertThat(budget.refuses(attacker, SECOND / 100)).isTrue();
        // The debt above the burst is less than one forgery: it drains at 256 KiB/s.
        long drained = (long) FORGERY * SECOND / FailedOpenBudget.BYTES_PER_SECOND + 1;
        assertThat(budget.refuses(attacker, drained)).isFalse();
        budget.failed(attacker, FORGERY, drained);
        assertThat(budget.refuses(attacker, drained)).as("at most one more per drained forgery").isTrue();
    }

    @Test
    void smallForgeriesAreChargedTheFixedCostOfAnOpen() throws Exception {
        InetAddress attacker = InetAddress.getByName("192.0.2.7");
        int failed = 0;
        while (!budget.refuses(attacker, 0)) {
            budget.failed(attacker, 40, 0);
            failed++;
        }
        assertThat(failed).isEqualTo((int) (FailedOpenBudget.BURST_BYTES / FailedOpenBudget.MIN_CHARGE) + 1);
    }

    @Test
    void anotherSourceKeepsItsBudget() throws Exception {
        InetAddress attacker = InetAddress.getByName("192.0.2.7");
        InetAddress other = otherSlot(attacker, "198.51.100.");
        failUntilRefused(attacker, 0);
        assertThat(budget.refuses(other, 0)).isFalse();
        budget.failed(other, FORGERY, 0);
        assertThat(budget.refuses(other, 0)).isFalse();
    }

    @Test
    void anIpv6SlashSixtyFourIsOneSource() throws Exception {
        InetAddress first = InetAddress.getByName("2001:db8:1:2::1");
        failUntilRefused(first, 0);
        assertThat(budget.refuses(InetAddress.getByName("2001:db8:1:2:ffff:ffff:ffff:fffe"), 0)).isTrue();
        assertThat(budget.refuses(otherSlot(first, "2001:db8:1:3::"), 0)).isFalse();
    }

    /** @return an address made of {@code prefix} and a number whose slot is not {@code source}'s (fixed seed) */
    private InetAddress otherSlot(InetAddress source, String prefix) throws UnknownHostException {
        for (int i = 1; ; i++) {
            InetAddress candidate = InetAddress.getByName(prefix + i);
            if (budget.slot(candidate) != budget.slot(source)) {
                return candidate;
            }
        }
    }
}
