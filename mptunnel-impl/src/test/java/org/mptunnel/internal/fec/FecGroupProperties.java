package org.mptunnel.internal.fec;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * The sender's encoder and the receiver's decoder end to end, without a wire: groups of datagrams
 * of random lengths, full or closed early (k' &lt; k), each shard lost at random and the rest arriving
 * in random order. A datagram comes back, byte for byte, exactly when it had not arrived by the time
 * its group had k' shards, one of them a repair (a late datagram is rebuilt before it arrives).
 */
class FecGroupProperties {

    private record Arrival(boolean data, int index, byte[] bytes) {
    }

    @Property(tries = 200, seed = "20261205")
    void datagramsMissingWhenTheirGroupHasKShardsAreRebuilt(@ForAll @IntRange(min = 1, max = 12) int k,
                                                           @ForAll @IntRange(min = 1, max = 6) int m,
                                                           @ForAll @IntRange(min = 0, max = 60) int lossPercent,
                                                           @ForAll long seed) {
        Random random = new Random(seed);
        int maxPayload = 300;
        FecEncoder encoder = new FecEncoder(k, m, maxPayload);
        Map<String, byte[]> recovered = new HashMap<>();
        FecDecoder decoder = new FecDecoder(k, m, maxPayload, 4, (group, index, payload) -> {
            byte[] bytes = new byte[payload.remaining()];
            payload.get(bytes);
            assertThat(recovered.put(group + "/" + index, bytes)).as("recovered twice").isNull();
        });
        Map<String, byte[]> expected = new HashMap<>();

        for (int round = 0; round < 20; round++) {
            int count = random.nextInt(3) == 0 ? 1 + random.nextInt(k) : k;
            List<Arrival> arrivals = new ArrayList<>();
            List<byte[]> sent = new ArrayList<>();
            for (int j = 0; j < count; j++) {
                byte[] payload = new byte[random.nextInt(maxPayload + 1)];
                random.nextBytes(payload);
                sent.add(payload);
                ByteBuffer buffer = ByteBuffer.wrap(payload);
                assertThat(encoder.add(buffer)).isEqualTo(j);
                assertThat(buffer.position()).isZero();
                if (random.nextInt(100) >= lossPercent) {
                    arrivals.add(new Arrival(true, j, payload));
                }
            }
            long group = encoder.group();
            assertThat(group).isEqualTo(round);
            if (count < k) {
                assertThat(encoder.closeGroup()).isTrue();
            }
            assertThat(encoder.closeGroup()).isFalse();
            for (int i = 0; i < m; i++) {
                ByteBuffer repair = encoder.repair(i);
                byte[] copy = new byte[repair.remaining()];
                repair.get(copy);
                if (random.nextInt(100) >= lossPercent) {
                    arrivals.add(new Arrival(false, i, copy));
                }
            }
            Collections.shuffle(arrivals, random);

            Set<Integer> dataSeen = new HashSet<>();
            int repairsSeen = 0;
            boolean whole = false;
            for (Arrival a : arrivals) {
                if (a.data()) {
                    decoder.data(group, a.index(), ByteBuffer.wrap(a.bytes()));
                    dataSeen.add(a.index());
                } else {
                    decoder.repair(group, ByteBuffer.wrap(a.bytes()));
                    repairsSeen++;
                }
                if (!whole && repairsSeen > 0 && dataSeen.size() + repairsSeen >= count) {
                    for (int j = 0; j < count; j++) {
                        if (!dataSeen.contains(j)) {
                            expected.put(group + "/" + j, sent.get(j));
                        }
                    }
                }
                whole |= dataSeen.size() + repairsSeen >= count;
            }
        }

        assertThat(recovered.keySet()).isEqualTo(expected.keySet());
        for (Map.Entry<String, byte[]> e : recovered.entrySet()) {
            assertThat(e.getValue()).as(e.getKey()).isEqualTo(expected.get(e.getKey()));
        }
        assertThat(decoder.datagramsRecovered()).isEqualTo(recovered.size());
        assertThat(decoder.malformed()).isZero();
        assertThat(decoder.tooOld()).isZero();
    }
}
