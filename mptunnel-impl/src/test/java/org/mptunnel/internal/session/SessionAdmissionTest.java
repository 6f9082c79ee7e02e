package org.mptunnel.internal.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

class SessionAdmissionTest {

    private static final InetSocketAddress ONE = new InetSocketAddress(InetAddress.getLoopbackAddress(), 40_001);
    private static final InetSocketAddress OTHER = new InetSocketAddress(address("127.0.0.2"), 40_002);
    private static final long SECOND = 1_000_000_000L;

    @Test
    void aSourceMayOpenABurstThenOnlyAtTheRefillRate() {
        SessionAdmission admission = new SessionAdmission();
        long now = 5 * SECOND;
        for (int i = 0; i < SessionAdmission.BURST; i++) {
            assertThat(admission.tryAdmit(ONE, now)).as("session %d of the burst", i).isTrue();
        }
        assertThat(admission.tryAdmit(ONE, now)).as("one more at once").isFalse();
        assertThat(admission.tryAdmit(ONE, now + SECOND / SessionAdmission.PER_SECOND - 1)).isFalse();
        assertThat(admission.tryAdmit(ONE, now + SECOND / SessionAdmission.PER_SECOND)).as("after one refill").isTrue();
        assertThat(admission.tryAdmit(ONE, now + SECOND / SessionAdmission.PER_SECOND)).isFalse();
    }

    @Test
    void aFullBucketDoesNotGrowBeyondTheBurst() {
        SessionAdmission admission = new SessionAdmission();
        long later = 1_000 * SECOND;
        int admitted = 0;
        while (admission.tryAdmit(ONE, later)) {
            admitted++;
        }
        assertThat(admitted).isEqualTo(SessionAdmission.BURST);
    }

    @Test
    void sourcesHaveTheirOwnBuckets() {
        SessionAdmission admission = new SessionAdmission();
        long now = 5 * SECOND;
        while (admission.tryAdmit(ONE, now)) {
            // drain ONE
        }
        // OTHER may collide with ONE in the seeded table; across many fresh tables most do not.
        int independent = 0;
        for (int trial = 0; trial < 20; trial++) {
            SessionAdmission fresh = new SessionAdmission();
            while (fresh.tryAdmit(ONE, now)) {
                // drain ONE
            }
            if (fresh.tryAdmit(OTHER, now)) {
                independent++;
            }
        }
        assertThat(independent).isGreaterThanOrEqualTo(18);
    }

    @Test
    void thePortsOfOneAddressShareItsBucket() {
        SessionAdmission admission = new SessionAdmission();
        long now = 5 * SECOND;
        int admitted = 0;
        for (int port = 1024; port < 1024 + 10 * SessionAdmission.BURST; port++) {
            if (admission.tryAdmit(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), now)) {
                admitted++;
            }
        }
        assertThat(admitted).isEqualTo(SessionAdmission.BURST);
    }

    @Test
    void theAddressesOfOneIpv6Slash64ShareItsBucket() {
        SessionAdmission admission = new SessionAdmission();
        long now = 5 * SECOND;
        int admitted = 0;
        for (int host = 1; host <= 10 * SessionAdmission.BURST; host++) {
            if (admission.tryAdmit(new InetSocketAddress(address("2001:db8::" + Integer.toHexString(host)), 4000), now)) {
                admitted++;
            }
        }
        assertThat(admitted).isEqualTo(SessionAdmission.BURST);
    }

    private static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
