package org.mptunnel.internal.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;

class SessionsPerSourceTest {

    @Test
    void aSourceHoldsAtMostItsLimitAndItsEntryGoesWithItsLastSession() throws Exception {
        SourceBlock one = SourceBlock.of(InetAddress.getByName("192.0.2.1"));
        SourceBlock other = SourceBlock.of(InetAddress.getByName("192.0.2.2"));
        SessionsPerSource perSource = new SessionsPerSource(3);
        for (int i = 0; i < 3; i++) {
            assertThat(perSource.hasRoom(one)).isTrue();
            perSource.charge(one);
        }
        assertThat(perSource.hasRoom(one)).isFalse();
        assertThat(perSource.hasRoom(other)).isTrue();

        perSource.release(one);
        assertThat(perSource.hasRoom(one)).isTrue();
        perSource.release(one);
        perSource.release(one);
        assertThat(perSource.sources()).as("no entry for a source without sessions").isZero();
    }
}
