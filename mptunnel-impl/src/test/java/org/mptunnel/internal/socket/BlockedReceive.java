package org.mptunnel.internal.socket;

import static org.awaitility.Awaitility.await;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A {@code receive} running on its own thread, started and awaited until the thread is parked in it:
 * whatever the test then does (close, interrupt, send) reaches a receiver that is really blocked.
 */
final class BlockedReceive {

    private final CompletableFuture<DatagramPacket> result = new CompletableFuture<>();
    private final Thread thread;

    private BlockedReceive(DatagramSocket socket) {
        thread = new Thread(() -> {
            DatagramPacket packet = new DatagramPacket(new byte[256], 256);
            try {
                socket.receive(packet);
                result.complete(packet);
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        }, "blocked-receive");
        thread.setDaemon(true);
    }

    /** Starts {@code socket.receive} on a new thread and returns once that thread waits in it. */
    static BlockedReceive start(DatagramSocket socket) {
        BlockedReceive receive = new BlockedReceive(socket);
        receive.thread.start();
        await().atMost(SocketPair.PATIENCE)
                .failFast("receive returned instead of blocking", receive.result::isDone)
                .until(receive::isParked);
        return receive;
    }

    /** Parked, with or without a deadline: the socket's wait may use either. */
    private boolean isParked() {
        Thread.State state = thread.getState();
        return state == Thread.State.WAITING || state == Thread.State.TIMED_WAITING;
    }

    void interrupt() {
        thread.interrupt();
    }

    /** @return the datagram received, waiting at most {@link SocketPair#PATIENCE} for it */
    DatagramPacket packet() throws InterruptedException, ExecutionException, TimeoutException {
        return result.get(SocketPair.PATIENCE.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** @return what ended the receive, waiting at most {@link SocketPair#PATIENCE} for it to end */
    Throwable failure() throws InterruptedException, TimeoutException {
        try {
            DatagramPacket packet = result.get(SocketPair.PATIENCE.toMillis(), TimeUnit.MILLISECONDS);
            throw new AssertionError("receive returned a datagram of " + packet.getLength() + " bytes instead of failing");
        } catch (ExecutionException e) {
            return e.getCause();
        }
    }
}
