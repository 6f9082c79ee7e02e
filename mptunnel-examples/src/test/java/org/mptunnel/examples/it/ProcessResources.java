package org.mptunnel.examples.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * A process's threads and open file descriptors, as Linux's {@code /proc/PID} shows them: what a
 * test of a tool under attack holds against the tool's documented bounds.
 *
 * @param threads the process's threads
 * @param fds     its open file descriptors
 */
record ProcessResources(int threads, int fds) {

    static ProcessResources of(ToolProcess tool) throws IOException {
        Path proc = Path.of("/proc", String.valueOf(tool.pid()));
        int threads = Files.readAllLines(proc.resolve("status")).stream()
                .filter(line -> line.startsWith("Threads:"))
                .mapToInt(line -> Integer.parseInt(line.substring("Threads:".length()).trim()))
                .findFirst().orElseThrow();
        try (Stream<Path> fds = Files.list(proc.resolve("fd"))) {
            return new ProcessResources(threads, (int) fds.count());
        }
    }
}
