package org.mptunnel.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.DatagramPacket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mptunnel.MultipathDatagramSocket;
import org.mptunnel.internal.bridge.Impairment;
import org.mptunnel.internal.bridge.UdpBridge;

/** A server tells its sessions apart by session id, even when they share a bridge. */
class ManyClientsTest {

    private static final int CLIENTS = 50;
    private static final int REQUESTS = 100;

    @Test
    @Timeout(120)
    void fiftyConcurrentClientsEachGetTheirOwnReplies() throws Exception {
        try (Loopback net = new Loopback()) {
            MultipathDatagramSocket server = net.server();
            UdpBridge sharedBridge = net.bridge(Loopback.addressOf(server), Impairment.NONE);
            List<MultipathDatagramSocket> clients = new ArrayList<>();
            for (int i = 0; i < CLIENTS; i++) {
                clients.add(net.client(List.of(Loopback.addressOf(server), sharedBridge.localAddress())));
            }
            Thread echo = new Thread(() -> echo(server), "echo");
            echo.setDaemon(true);
            echo.start();

            ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
            try {
                List<Future<Integer>> results = new ArrayList<>();
                for (int i = 0; i < CLIENTS; i++) {
                    results.add(pool.submit(requester(clients.get(i), i)));
                }
                for (Future<Integer> result : results) {
                    assertThat(result.get(90, TimeUnit.SECONDS)).as("replies received").isEqualTo(REQUESTS);
                }
            } finally {
                pool.shutdownNow();
            }
            assertThat(server.stats().sessions()).hasSize(CLIENTS);
            System.out.printf("%d clients x %d requests: all %d replies returned to their own client%n",
                    CLIENTS, REQUESTS, CLIENTS * REQUESTS);
        }
    }

    /** Sends numbered requests one at a time and checks that every reply is its own. */
    private static Callable<Integer> requester(MultipathDatagramSocket client, int clientIndex) {
        return () -> {
            client.setSoTimeout(500);
            byte[] reply = new byte[64];
            DatagramPacket in = new DatagramPacket(reply, reply.length);
            int answered = 0;
            for (int n = 0; n < REQUESTS; n++) {
                byte[] request = ByteBuffer.allocate(8).putInt(clientIndex).putInt(n).array();
                for (int attempt = 0; attempt < 10; attempt++) {
                    client.send(new DatagramPacket(request, request.length));
                    try {
                        client.receive(in);
                    } catch (SocketTimeoutException e) {
                        continue; // a loaded machine may drop a datagram in a socket buffer: ask again
                    }
                    ByteBuffer b = ByteBuffer.wrap(reply, 0, in.getLength());
                    assertThat(b.getInt()).as("reply for client %d", clientIndex).isEqualTo(clientIndex);
                    if (b.getInt() == n) {
                        answered++;
                        break;
                    }
                }
            }
            return answered;
        };
    }

    private static void echo(MultipathDatagramSocket server) {
        DatagramPacket packet = new DatagramPacket(new byte[2048], 2048);
        while (!server.isClosed()) {
            try {
                server.receive(packet);
                server.send(packet);
            } catch (Exception e) {
                return;
            }
        }
    }
}
