package org.mptunnel.examples.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A consumer that is itself a module, {@code requires org.mptunnel;} and nothing else, compiled and
 * run against the built jars on the module path: the engine must be found through its
 * {@code provides} clause, and its internals must stay closed.
 */
class ModulePathIT {

    private static final String MODULE_INFO = """
            module consumer {
                requires org.mptunnel;
            }
            """;

    private static final String MAIN = """
            package consumer;

            import java.net.DatagramPacket;
            import java.net.InetAddress;
            import java.net.InetSocketAddress;
            import java.net.SocketTimeoutException;
            import java.nio.charset.StandardCharsets;
            import org.mptunnel.MultipathDatagramSocket;
            import org.mptunnel.TunnelConfig;

            public final class Main {
                public static void main(String[] args) throws Exception {
                    InetAddress loopback = InetAddress.getLoopbackAddress();
                    try (MultipathDatagramSocket server = MultipathDatagramSocket.open(
                                 TunnelConfig.server(new InetSocketAddress(loopback, 0)).build());
                         MultipathDatagramSocket client = MultipathDatagramSocket.open(TunnelConfig.client()
                                 .path(new InetSocketAddress(loopback, server.getLocalPort()))
                                 .localAddress(loopback)
                                 .build())) {
                        System.out.println("api module: " + MultipathDatagramSocket.class.getModule().getName());
                        System.out.println("engine module: " + client.getClass().getModule().getName());
                        Module engine = client.getClass().getModule();
                        System.out.println("internals exported: " + engine.isExported("org.mptunnel.internal.socket"));
                        server.setSoTimeout(200);
                        client.setSoTimeout(200);
                        byte[] hello = "hello".getBytes(StandardCharsets.US_ASCII);
                        DatagramPacket packet = new DatagramPacket(new byte[64], 64);
                        long deadline = System.nanoTime() + 20_000_000_000L;
                        while (System.nanoTime() < deadline) {
                            client.send(new DatagramPacket(hello, hello.length));
                            try {
                                server.receive(packet);
                                server.send(packet);
                                DatagramPacket reply = new DatagramPacket(new byte[64], 64);
                                client.receive(reply);
                                System.out.println("echo: " + new String(reply.getData(), 0, reply.getLength(),
                                        StandardCharsets.US_ASCII));
                                return;
                            } catch (SocketTimeoutException lost) {
                                // the first datagram may precede the server's first read: send again
                            }
                        }
                        throw new AssertionError("no echo within 20 s");
                    }
                }
            }
            """;

    @Test
    @Timeout(120)
    void aModuleRequiringOnlyTheApiFindsTheEngineOnTheModulePath(@TempDir Path dir) throws Exception {
        Path api = builtJar("mptunnel.apiJar");
        Path impl = builtJar("mptunnel.implJar");
        Path src = dir.resolve("src/consumer");
        Files.createDirectories(src.resolve("consumer"));
        Files.writeString(src.resolve("module-info.java"), MODULE_INFO);
        Files.writeString(src.resolve("consumer/Main.java"), MAIN);
        Path classes = dir.resolve("classes");

        // Compiled against the api alone: the consumer cannot even see the engine.
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        int compiled = javac.run(null, null, null, "-d", classes.toString(), "--module-path", api.toString(),
                src.resolve("module-info.java").toString(), src.resolve("consumer/Main.java").toString());
        assertThat(compiled).as("javac exit status").isZero();

        String modulePath = String.join(File.pathSeparator, classes.toString(), api.toString(), impl.toString(),
                jarOf(org.jctools.queues.MpscArrayQueue.class).toString(),
                jarOf(org.slf4j.LoggerFactory.class).toString());
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        try (ToolProcess consumer = ToolProcess.startCommand(java, "-Xmx64m", "--module-path", modulePath,
                "--module", "consumer/consumer.Main")) {
            int status = consumer.awaitExit(Duration.ofSeconds(60));
            assertThat(status).as(consumer.transcript()).isZero();
            assertThat(consumer.stdout()).as(consumer.transcript()).contains(
                    "api module: org.mptunnel",
                    "engine module: org.mptunnel.impl",
                    "internals exported: false",
                    "echo: hello");
        }
    }

    private static Path builtJar(String property) {
        String path = System.getProperty(property);
        assertThat(path).as("system property " + property + " (set by the failsafe configuration)").isNotNull();
        Path jar = Path.of(path);
        assertThat(jar).as("built jar; run 'mvn verify' from the root").isRegularFile();
        return jar;
    }

    private static Path jarOf(Class<?> type) throws URISyntaxException {
        return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
    }
}
