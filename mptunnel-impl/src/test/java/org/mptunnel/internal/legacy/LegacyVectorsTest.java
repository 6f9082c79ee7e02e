package org.mptunnel.internal.legacy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.mptunnel.internal.legacy.LegacyVectors.Vector;

/**
 * Golden tests against datagrams captured between the original C mpclient and mpserver
 * (src/test/resources/legacy-vectors/README.md): every one decodes to the payload the test client
 * sent, and our encoder, given the captured id and IV, reproduces it byte for byte.
 */
class LegacyVectorsTest {

    static Stream<Arguments> everyVector() throws IOException {
        List<Arguments> all = new ArrayList<>();
        for (String file : List.of(LegacyVectors.PLAIN, LegacyVectors.OBFUSCATED)) {
            List<Vector> vectors = LegacyVectors.load(file);
            // Each file alternates: a client datagram, then the echo the server sent back.
            int[] counts = new int[2];
            for (Vector v : vectors) {
                int dir = v.clientToServer() ? 0 : 1;
                int n = counts[dir]++;
                all.add(Arguments.of(v, n + 1, LegacyVectors.PAYLOADS.get(n)));
            }
        }
        return all.stream();
    }

    @Test
    void bothFilesHoldEveryPayloadInEachDirection() throws IOException {
        for (String file : List.of(LegacyVectors.PLAIN, LegacyVectors.OBFUSCATED)) {
            List<Vector> vectors = LegacyVectors.load(file);
            assertThat(vectors).as(file).hasSize(2 * LegacyVectors.PAYLOADS.size());
            assertThat(vectors).filteredOn(v -> v.clientToServer()).hasSize(LegacyVectors.PAYLOADS.size());
            assertThat(vectors).allSatisfy(v -> assertThat(v.obfuscated()).isEqualTo(file.equals(LegacyVectors.OBFUSCATED)));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("everyVector")
    void decodesToTheListedPayload(Vector v, int expectedId, byte[] expectedPayload) {
        ByteBuffer buffer = direct(v.wire());

        int type = LegacyHeader.check(buffer, v.wire().length, v.obfuscated());

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

        LegacyHeader.encode(out, v.obfuscated(), iv, LegacyHeader.TYPE_DATA, id, payload.length);

        byte[] encoded = new byte[out.capacity()];
        out.get(0, encoded);
        assertThat(HexFormat.of().formatHex(encoded)).isEqualTo(HexFormat.of().formatHex(v.wire()));
    }

    @Test
    void plainClientDatagramsCarryAZeroIv() throws IOException {
        assertThat(LegacyVectors.load("plain.jsonl")).filteredOn(v -> v.clientToServer())
                .allSatisfy(v -> assertThat(Arrays.copyOf(v.wire(), 4)).containsExactly(0, 0, 0, 0));
    }

    @Test
    void obfuscatedCapturesAreNotReadableAsPlain() throws IOException {
        // Guards against a decoder that ignores the obfuscation flag: without restoring, no
        // obfuscated capture has a consistent header.
        for (Vector v : LegacyVectors.load("obfuscated.jsonl")) {
            assertThat(LegacyHeader.check(direct(v.wire()), v.wire().length, false)).as(v.toString())
                    .isEqualTo(LegacyHeader.MALFORMED);
        }
    }

    private static ByteBuffer direct(byte[] bytes) {
        ByteBuffer buffer = ByteBuffer.allocateDirect(bytes.length); // big-endian, as the engine's
        buffer.put(0, bytes);
        return buffer;
    }
}
