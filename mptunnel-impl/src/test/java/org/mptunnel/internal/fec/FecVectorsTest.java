package org.mptunnel.internal.fec;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The codec and the group layer against the vectors of make_vectors.py. */
class FecVectorsTest {

    static Stream<FecVectors.Codec> codec() {
        return FecVectors.CODEC.stream();
    }

    static Stream<FecVectors.Group> group() {
        return FecVectors.GROUP.stream();
    }

    @Test
    void theVectorsAreAllThere() {
        assertThat(FecVectors.CODEC).hasSize(11);
        assertThat(FecVectors.GROUP).hasSize(4);
        assertThat(FecVectors.CODEC).allSatisfy(v -> {
            assertThat(v.data().length).isEqualTo(v.k());
            assertThat(v.repair().length).isEqualTo(v.m());
        });
    }

    @ParameterizedTest
    @MethodSource("codec")
    void encodesTheExpectedRepairs(FecVectors.Codec v) {
        ReedSolomon rs = new ReedSolomon(v.k(), v.m(), 1);
        byte[][] repair = new byte[v.m()][v.length()];
        rs.encode(v.data(), v.k(), repair, v.m(), v.length());
        for (int i = 0; i < v.m(); i++) {
            assertThat(repair[i]).as("repair %d", i).isEqualTo(v.repair()[i]);
        }
    }

    /** The last min(k, m) data shards lost, rebuilt from the vector's repairs. */
    @ParameterizedTest
    @MethodSource("codec")
    void rebuildsLostDataFromTheExpectedRepairs(FecVectors.Codec v) {
        ReedSolomon rs = new ReedSolomon(v.k(), v.m(), 1);
        byte[][] data = new byte[v.k()][];
        boolean[] present = new boolean[v.k()];
        int lost = Math.min(v.k(), v.m());
        for (int j = 0; j < v.k(); j++) {
            present[j] = j < v.k() - lost;
            data[j] = present[j] ? v.data()[j].clone() : new byte[v.length()];
        }
        boolean[] repairPresent = new boolean[v.m()];
        Arrays.fill(repairPresent, true);
        assertThat(rs.decode(data, present, v.k(), v.repair(), repairPresent, v.m(), v.length())).isEqualTo(lost);
        assertThat(data).isDeepEqualTo(v.data());
    }

    /** A full group (k = k') and the same datagrams in a group closed early by a larger encoder. */
    @ParameterizedTest
    @MethodSource("group")
    void encoderProducesTheExpectedRepairPayloads(FecVectors.Group v) {
        int count = v.payloads().length;
        FecEncoder full = new FecEncoder(count, v.m(), 64);
        FecEncoder larger = new FecEncoder(count + 3, v.m(), 64);
        for (byte[] p : v.payloads()) {
            full.add(ByteBuffer.wrap(p));
            larger.add(ByteBuffer.wrap(p));
        }
        assertThat(larger.closeGroup()).isTrue();
        for (int i = 0; i < v.m(); i++) {
            assertThat(bytes(full.repair(i))).as("repair %d", i).isEqualTo(v.repair()[i]);
            assertThat(bytes(larger.repair(i))).as("repair %d, group closed early", i).isEqualTo(v.repair()[i]);
        }
    }

    /** Every datagram but the first lost, and as many as the repairs allow, rebuilt by the decoder. */
    @ParameterizedTest
    @MethodSource("group")
    void decoderRebuildsFromTheExpectedRepairPayloads(FecVectors.Group v) {
        int count = v.payloads().length;
        int lost = Math.min(count, v.m());
        List<byte[]> rebuilt = new ArrayList<>(Arrays.asList(new byte[count][]));
        FecDecoder decoder = new FecDecoder(8, 4, 64, 2, (g, index, p) -> rebuilt.set(index, bytes(p)));
        for (int j = lost; j < count; j++) {
            decoder.data(5, j, ByteBuffer.wrap(v.payloads()[j]));
        }
        for (byte[] r : v.repair()) {
            decoder.repair(5, ByteBuffer.wrap(r));
        }
        assertThat(decoder.datagramsRecovered()).isEqualTo(lost);
        for (int j = 0; j < lost; j++) {
            assertThat(rebuilt.get(j)).as("datagram %d", j).isEqualTo(v.payloads()[j]);
        }
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }
}
