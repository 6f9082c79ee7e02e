package org.mptunnel.internal.fec;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The known-answer vectors of src/test/resources/fec/vectors.txt, computed by make_vectors.py next
 * to it (an independent implementation; the format is described there).
 */
final class FecVectors {

    /** A raw codec vector: k data shards of one length, the m repairs expected. */
    record Codec(int k, int m, int length, byte[][] data, byte[][] repair) {
        @Override
        public String toString() {
            return "codec k=" + k + " m=" + m + " length=" + length;
        }
    }

    /** A group of datagrams of any lengths, the m repair payloads expected. */
    record Group(int m, byte[][] payloads, byte[][] repair) {
        @Override
        public String toString() {
            return "group k'=" + payloads.length + " m=" + m;
        }
    }

    static final List<Codec> CODEC = new ArrayList<>();
    static final List<Group> GROUP = new ArrayList<>();

    static {
        List<String[]> lines = new ArrayList<>();
        try (InputStream in = FecVectors.class.getResourceAsStream("/fec/vectors.txt")) {
            if (in == null) {
                throw new IllegalStateException("missing test resource fec/vectors.txt");
            }
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
            String line;
            while ((line = reader.readLine()) != null) {
                if (!line.isBlank() && !line.startsWith("#")) {
                    lines.add(line.strip().split(" "));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        int at = 0;
        while (at < lines.size()) {
            String[] head = lines.get(at++);
            List<byte[]> payloads = new ArrayList<>();
            List<byte[]> repairs = new ArrayList<>();
            while (at < lines.size() && lines.get(at)[0].length() == 1) {
                String[] entry = lines.get(at++);
                byte[] bytes = HexFormat.of().parseHex(entry.length > 1 ? entry[1] : "");
                (entry[0].equals("r") ? repairs : payloads).add(bytes);
            }
            byte[][] p = payloads.toArray(byte[][]::new);
            byte[][] r = repairs.toArray(byte[][]::new);
            switch (head[0]) {
                case "codec" -> CODEC.add(new Codec(Integer.parseInt(head[1]), Integer.parseInt(head[2]),
                        Integer.parseInt(head[3]), p, r));
                case "group" -> GROUP.add(new Group(Integer.parseInt(head[1]), p, r));
                default -> throw new IllegalStateException("unknown record " + head[0]);
            }
        }
    }

    private FecVectors() {
    }
}
