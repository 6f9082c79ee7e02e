package org.mptunnel.examples.snippets;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The README's library examples are these compiled files' marked lines, to the character. */
class ReadmeSnippetsTest {

    private static final Path MODULE = Path.of(System.getProperty("basedir", "."));
    private static final Path SNIPPETS = MODULE.resolve("src/main/java/org/mptunnel/examples/snippets");
    private static final Path README = MODULE.resolve("../README.md");

    @ParameterizedTest
    @ValueSource(strings = {"ReadmeClient.java", "ReadmeServer.java"})
    void readmeShowsTheCompiledExample(String file) throws IOException {
        String snippet = markedLines(Files.readAllLines(SNIPPETS.resolve(file)));
        assertThat(snippet.lines().count()).as("lines of " + file).isBetween(5L, 13L);
        assertThat(Files.readString(README)).as("README.md must contain, as a java block, the marked lines of " + file)
                .contains("```java\n" + snippet + "```\n");
    }

    /** The lines between the markers, without the indentation they share, each ending in a newline. */
    static String markedLines(List<String> lines) {
        int begin = indexOfMarker(lines, "// README-BEGIN");
        int end = indexOfMarker(lines, "// README-END");
        List<String> region = lines.subList(begin + 1, end);
        int indent = region.stream().filter(l -> !l.isBlank())
                .mapToInt(l -> l.length() - l.stripLeading().length()).min().orElse(0);
        StringBuilder text = new StringBuilder();
        for (String line : region) {
            text.append(line.isBlank() ? "" : line.substring(indent)).append('\n');
        }
        return text.toString();
    }

    private static int indexOfMarker(List<String> lines, String marker) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).strip().equals(marker)) {
                return i;
            }
        }
        throw new AssertionError("no line '" + marker + "'");
    }
}
