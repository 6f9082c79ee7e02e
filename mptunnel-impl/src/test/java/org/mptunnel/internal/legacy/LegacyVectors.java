package org.mptunnel.internal.legacy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The captures of the original C mptunnel in src/test/resources/legacy-vectors (see the README
 * there), read without a JSON library: each line is one flat object of three known fields.
 */
public final class LegacyVectors {

    public static final String PLAIN = "plain.jsonl";
    public static final String OBFUSCATED = "obfuscated.jsonl";

    private static final Pattern LINE = Pattern.compile(
            "\\{\\s*\"direction\":\\s*\"(client_to_server|server_to_client)\",\\s*"
                    + "\"encrypt\":\\s*(true|false),\\s*\"wire_hex\":\\s*\"([0-9a-f]*)\"\\s*}");

    /** The payloads the C test client sent, in order; the echo server sent each one back. */
    public static final List<byte[]> PAYLOADS = List.of(
            ascii("hello"),
            ascii("A"),
            allBytes(),
            ascii("mptunnel legacy vector ".repeat(40)),
            new byte[1400],
            ascii("second hello"));

    /** One captured datagram. */
    public record Vector(String file, int line, boolean clientToServer, boolean obfuscated, byte[] wire) {
        @Override
        public String toString() {
            return file + ":" + line + (clientToServer ? " client_to_server" : " server_to_client");
        }
    }

    private LegacyVectors() {
    }

    /** @return every datagram of the file, in capture order */
    public static List<Vector> load(String file) {
        List<Vector> vectors = new ArrayList<>();
        try (InputStream in = LegacyVectors.class.getResourceAsStream("/legacy-vectors/" + file)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource legacy-vectors/" + file);
            }
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            String text;
            int line = 0;
            while ((text = reader.readLine()) != null) {
                line++;
                if (text.isBlank()) {
                    continue;
                }
                Matcher m = LINE.matcher(text.strip());
                if (!m.matches()) {
                    throw new IllegalStateException(file + ":" + line + " does not parse: " + text);
                }
                vectors.add(new Vector(file, line, m.group(1).equals("client_to_server"),
                        Boolean.parseBoolean(m.group(2)), HexFormat.of().parseHex(m.group(3))));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return vectors;
    }

    /** @return the datagrams of one direction, in capture order */
    public static List<Vector> load(String file, boolean clientToServer) {
        return load(file).stream().filter(v -> v.clientToServer() == clientToServer).toList();
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] allBytes() {
        byte[] b = new byte[256];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) i;
        }
        return b;
    }
}
