package org.mptunnel.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import org.junit.jupiter.api.Test;

class FailedOpenBudgetTest {

    private static final long SECOND = 1_000_000_000L;
    private static final int FORGERY = 60_040;

    private final FailedOpenBudget budget = new FailedOpenBudget(42);

    /** Fails {@code FORGERY}-byte opens from {@code source} at {@code now} until it is refused; @return how many failed. */
    private int failUntilRefused(InetSocketAddress source, boolean knownPath, long now) {
        int failed = 0;
        while (!budget.refuses(source, knownPath, now)) {
            budget.failed(source, knownPath, FORGERY, now);
            failed++;
            assertThat(failed).as("refused within its burst").isLessThan(1_000);
        }
        return failed;
    }

    @Test
    void aSourceIsRefusedOnceItsFailuresExceedTheBurstAndAgainOnceTheyDrained() throws Exception {
        InetSocketAddress attacker = at("192.0.2.7", 5000);
        assertThat(budget.refuses(attacker, false, 0)).isFalse();
        assertThat(failUntilRefused(attacker, false, 0)).isEqualTo((int) (FailedOpenBudget.BURST_BYTES / FORGERY) + 1);
        assertThat(budget.refuses(attacker, false, SECOND / 100)).isTrue();
        // The debt above the burst is less than one forgery: it drains at 256 KiB/s.
        long drained = (long) FORGERY * SECOND / FailedOpenBudget.BYTES_PER_SECOND + 1;
        assertThat(budget.refuses(attacker, false, drained)).isFalse();
        budget.failed(attacker, false, FORGERY, drained);
        assertThat(budget.refuses(attacker, false, drained)).as("at most one more per drained forgery").isTrue();
    }

    @Test
    void smallForgeriesAreChargedTheFixedCostOfAnOpen() throws Exception {
        InetSocketAddress attacker = at("192.0.2.7", 5000);
        int failed = 0;
        while (!budget.refuses(attacker, false, 0)) {
            budget.failed(attacker, false, 40, 0);
            failed++;
        }
        assertThat(failed).isEqualTo((int) (FailedOpenBudget.BURST_BYTES / FailedOpenBudget.MIN_CHARGE) + 1);
    }

    @Test
    void anotherSourceKeepsItsBudget() throws Exception {
        InetSocketAddress attacker = at("192.0.2.7", 5000);
        InetSocketAddress other = otherSlot(attacker, "198.51.100.", false);
        failUntilRefused(attacker, false, 0);
        assertThat(budget.refuses(other, false, 0)).isFalse();
        budget.failed(other, false, FORGERY, 0);
        assertThat(budget.refuses(other, false, 0)).isFalse();
    }

    @Test
    void everyPortOfASourceAndEveryAddressOfAnIpv6SlashSixtyFourIsOneSource() throws Exception {
        failUntilRefused(at("192.0.2.7", 5000), false, 0);
        assertThat(budget.refuses(at("192.0.2.7", 5001), false, 0)).isTrue();
        InetSocketAddress first = at("2001:db8:1:2::1", 5000);
        failUntilRefused(first, false, 0);
        assertThat(budget.refuses(at("2001:db8:1:2:ffff:ffff:ffff:fffe", 6000), false, 0)).isTrue();
        assertThat(budget.refuses(otherSlot(first, "2001:db8:1:3::", false), false, 0)).isFalse();
    }

    @Test
    void aKnownPathIsChargedByItsOwnAddressNotByItsSources() throws Exception {
        InetSocketAddress attacker = at("192.0.2.7", 5000);
        InetSocketAddress path = at("192.0.2.7", 6000);
        failUntilRefused(attacker, false, 0);
        assertThat(budget.refuses(path, true, 0)).as("a path behind the attacker's address").isFalse();
        InetSocketAddress otherPath = otherSlot(path, "192.0.2.", true);
        failUntilRefused(path, true, 0);
        assertThat(budget.refuses(otherPath, true, 0)).isFalse();
    }

    private static InetSocketAddress at(String address, int port) throws UnknownHostException {
        return new InetSocketAddress(InetAddress.getByName(address), port);
    }

    /** @return an address of {@code prefix} and a number, at the same port, whose slot is not {@code source}'s (fixed seed) */
    private InetSocketAddress otherSlot(InetSocketAddress source, String prefix, boolean knownPath)
            throws UnknownHostException {
        for (int i = 1; ; i++) {
            InetSocketAddress candidate = at(prefix + i, source.getPort());
            if (budget.slot(candidate, knownPath) != budget.slot(source, knownPath)) {
                return candidate;
            }
        }
    }
}
