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
    void theNextSenderTakesThePlaceOnceItsOwnerHasEnded() throws Exception {
        ByteBuffer theirs = onAnotherThread(); // the other thread took the place, and has ended

        ByteBuffer mine = SendBuffers.get();

        assertThat(SendBuffers.owner()).isSameAs(Thread.currentThread());
        assertThat(mine).isNotSameAs(theirs);
        assertThat(SendBuffers.get()).isSameAs(mine);
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
