package org.mptunnel.internal.legacy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Golden tests against datagrams captured between the original C mpclient and mpserver
 * (src/test/resources/legacy-vectors/README.md): every one decodes to the payload the test client
 * sent, and our encoder, given the captured id and IV, reproduces it byte for byte.
 */
class LegacyVectorsTest {

    private static final Pattern LINE = Pattern.compile(
            "\\{\\s*\"direction\":\\s*\"(client_to_server|server_to_client)\",\\s*"
                    + "\"encrypt\":\\s*(true|false),\\s*\"wire_hex\":\\s*\"([0-9a-f]*)\"\\s*}");

    /** The payloads the C test client sent, in order; the echo server sent each one back. */
    static final List<byte[]> PAYLOADS = List.of(
            ascii("hello"),
            ascii("A"),
            allBytes(),
            ascii("mptunnel legacy vector ".repeat(40)),
            new byte[1400],
            ascii("second hello"));

    record Vector(String file, int line, String direction, boolean encrypt, byte[] wire) {
        @Override
        public String toString() {
            return file + ":" + line + " " + direction;
        }
    }

    static List<Vector> load(String file) throws IOException {
        List<Vector> vectors = new ArrayList<>();
        try (InputStream in = LegacyVectorsTest.class.getResourceAsStream("/legacy-vectors/" + file)) {
            assertThat(in).as(file).isNotNull();
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            String text;
            int line = 0;
            while ((text = reader.readLine()) != null) {
                line++;
                if (text.isBlank()) {
                    continue;
                }
                Matcher m = LINE.matcher(text.strip());
                assertThat(m.matches()).as("%s:%d parses", file, line).isTrue();
                vectors.add(new Vector(file, line, m.group(1), Boolean.parseBoolean(m.group(2)),
                        HexFormat.of().parseHex(m.group(3))));
            }
        }
        return vectors;
    }

    static Stream<Arguments> everyVector() throws IOException {
        List<Arguments> all = new ArrayList<>();
        for (String file : List.of("plain.jsonl", "obfuscated.jsonl")) {
            List<Vector> vectors = load(file);
            // Each file alternates: a client datagram, then the echo the server sent back.
            int[] counts = new int[2];
            for (Vector v : vectors) {
                int dir = v.direction().equals("client_to_server") ? 0 : 1;
                int n = counts[dir]++;
                all.add(Arguments.of(v, n + 1, PAYLOADS.get(n)));
            }
        }
        return all.stream();
    }

    @Test
    void bothFilesHoldEveryPayloadInEachDirection() throws IOException {
        for (String file : List.of("plain.jsonl", "obfuscated.jsonl")) {
            List<Vector> vectors = load(file);
            assertThat(vectors).as(file).hasSize(2 * PAYLOADS.size());
            assertThat(vectors).filteredOn(v -> v.direction().equals("client_to_server")).hasSize(PAYLOADS.size());
            assertThat(vectors).allSatisfy(v -> assertThat(v.encrypt()).isEqualTo(file.equals("obfuscated.jsonl")));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("everyVector")
    void decodesToTheListedPayload(Vector v, int expectedId, byte[] expectedPayload) {
        ByteBuffer buffer = direct(v.wire());

        int type = LegacyHeader.check(buffer, v.wire().length, v.encrypt());

        assertThat(type).isEqualTo(LegacyHeader.TYPE_DATA);
        assertThat(LegacyHeader.id(buffer)).as("id: each side numbers its own datagrams from 1").isEqualTo(expectedId);
        assertThat(LegacyHeader.buflen(buffer)).isEqualTo(expectedPayload.length);
        byte[] payload = new byte[v.wire().length - LegacyHeader.LENGTH];
        buffer.get(LegacyHeader.LENGTH, payload);
        assertThat(payload).isEqualTo(expectedPayload);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("everyVector")
    void encodingTheSamePayloadWithTheCapturedIdAndIvReproducesTheCapture(Vector v, int id, byte[] payload) {
        // The IV is written verbatim: the real IV when obfuscated; in plain captures, whatever the
        // C server left in the field (the client's plain datagrams carry 0, as ours do).
        int iv = ByteBuffer.wrap(v.wire()).order(ByteOrder.LITTLE_ENDIAN).getInt(0);
        ByteBuffer out = direct(new byte[LegacyHeader.LENGTH + payload.length]);
        out.put(LegacyHeader.LENGTH, payload);

        LegacyHeader.encode(out, v.encrypt(), iv, LegacyHeader.TYPE_DATA, id, payload.length);

        byte[] encoded = new byte[out.capacity()];
        out.get(0, encoded);
        assertThat(HexFormat.of().formatHex(encoded)).isEqualTo(HexFormat.of().formatHex(v.wire()));
    }

    @Test
    void plainClientDatagramsCarryAZeroIv() throws IOException {
        assertThat(load("plain.jsonl")).filteredOn(v -> v.direction().equals("client_to_server"))
                .allSatisfy(v -> assertThat(Arrays.copyOf(v.wire(), 4)).containsExactly(0, 0, 0, 0));
    }

    @Test
    void obfuscatedCapturesAreNotReadableAsPlain() throws IOException {
        // Guards against a decoder that ignores the obfuscation flag: without restoring, no
        // obfuscated capture has a consistent header.
        for (Vector v : load("obfuscated.jsonl")) {
            assertThat(LegacyHeader.check(direct(v.wire()), v.wire().length, false)).as(v.toString())
                    .isEqualTo(LegacyHeader.MALFORMED);
        }
    }

    private static ByteBuffer direct(byte[] bytes) {
        ByteBuffer buffer = ByteBuffer.allocateDirect(bytes.length); // big-endian, as the engine's
        buffer.put(0, bytes);
        return buffer;
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
