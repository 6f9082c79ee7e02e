package org.mptunnel.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class SendBuffersTest {

    @BeforeEach
    void freeThePlace() {
        SendBuffers.freeOwner();
    }

    @Test
    void theFirstSenderKeepsItsOwnBufferOnTheFastPlace() {
        ByteBuffer first = SendBuffers.get();

        assertThat(SendBuffers.owner()).isSameAs(Thread.currentThread());
        assertThat(SendBuffers.get()).isSameAs(first); // taken from the place now, the same buffer
    }

    @Test
    void anotherThreadEncodesIntoItsOwnBufferAndLeavesALiveOwnerInPlace() throws Exception {
        ByteBuffer mine = SendBuffers.get();

        ByteBuffer theirs = onAnotherThread();

        assertThat(theirs).isNotSameAs(mine);
        assertThat(SendBuffers.owner()).isSameAs(Thread.currentThread());
        assertThat(SendBuffers.get()).isSameAs(mine);
    }

    @Test
    void aThreadThatKeepsSendingTakesThePlaceFromTheFirst() throws Exception {
        ByteBuffer mine = SendBuffers.get(); // this thread was first, as a tool's warm-up is
        Thread[] owners = new Thread[2];
        Thread other = new Thread(() -> {
            for (int i = 1; i < SendBuffers.CLAIM_AFTER; i++) {
                SendBuffers.get();
            }
            owners[0] = SendBuffers.owner();
            SendBuffers.get();
            owners[1] = SendBuffers.owner();
        }, "busy-sender");
        other.start();
        other.join(10_000);

        assertThat(owners[0]).as("after %d sends", SendBuffers.CLAIM_AFTER - 1).isSameAs(Thread.currentThread());
        assertThat(owners[1]).as("after %d sends", SendBuffers.CLAIM_AFTER).isSameAs(other);
        assertThat(SendBuffers.get()).isSameAs(mine); // this thread still has its own buffer
    }

    @Test
    void aBufferComesBackCleared() {
        SendBuffers.get().position(100).limit(200);

        ByteBuffer again = SendBuffers.get();

        assertThat(again.position()).isZero();
        assertThat(again.limit()).isEqualTo(again.capacity());
    }

    /** Gets a buffer on a new thread, and waits for that thread to end. */
    private static ByteBuffer onAnotherThread() throws InterruptedException {
        AtomicReference<ByteBuffer> got = new AtomicReference<>();
        Thread other = new Thread(() -> got.set(SendBuffers.get()), "other-sender");
        other.start();
        other.join(10_000);
        assertThat(other.isAlive()).isFalse();
        return got.get();
    }
}
