package org.mptunnel.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.File;
import java.net.DatagramPacket;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mptunnel.MultipathDatagramSocket;

/** close() gives back everything open() took: threads, file descriptors, ports. */
class LifecycleTest {

    private static final int CYCLES = 1_000;

    @Test
    @Timeout(120)
    void aThousandOpenSendCloseCyclesLeaveNoThreadOrDescriptorBehind() throws Exception {
        try (Loopback net = new Loopback()) {
            MultipathDatagramSocket server = net.server(b -> b.maxSessions(2 * CYCLES).maxSessionsPerSource(2 * CYCLES));
            cycle(server, 20); // load the classes and the JDK's own lazily opened descriptors first
            long threadsBefore = tunnelThreads();
            int descriptorsBefore = openDescriptors();

            cycle(server, CYCLES);

            await().atMost(Duration.ofSeconds(10)).until(() -> tunnelThreads() == threadsBefore);
            // At most as many as before: the JDK may close one of its own lazily opened descriptors meanwhile.
            assertThat(openDescriptors()).as("open file descriptors").isLessThanOrEqualTo(descriptorsBefore);
            assertThat(server.stats().delivered()).isEqualTo(CYCLES + 20);
            System.out.printf("%d open/send/close cycles: threads %d -> %d, descriptors %d -> %d%n", CYCLES,
                    threadsBefore, tunnelThreads(), descriptorsBefore, openDescriptors());
        }
    }

    /** Each cycle: a client, one datagram received by the server, close. */
    private static void cycle(MultipathDatagramSocket server, int times) throws Exception {
        server.setSoTimeout(5_000);
        DatagramPacket in = new DatagramPacket(new byte[16], 16);
        for (int i = 0; i < times; i++) {
            try (MultipathDatagramSocket client = MultipathDatagramSocket.open(org.mptunnel.TunnelConfig.client()
                    .paths(List.of(Loopback.addressOf(server))).build())) {
                byte[] data = {(byte) i};
                client.send(new DatagramPacket(data, 1));
                server.receive(in);
            }
        }
    }

    private static long tunnelThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("mptunnel-client-")).count();
    }

    private static int openDescriptors() {
        String[] fds = new File("/proc/self/fd").list();
        assertThat(fds).as("/proc/self/fd (Linux)").isNotNull();
        return fds.length;
    }
}
