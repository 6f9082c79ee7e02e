package org.mptunnel.examples.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The non-blocking SOCKS5 handshake: whole messages only, whatever pieces the bytes come in. */
class SocksHandshakeTest {

    private static final byte[] GREETING = {5, 2, 0, 2};
    private static final byte[] REQUEST = {5, 3, 0, 1, 10, 0, 0, 7, 0x13, (byte) 0x88};

    @Test
    void bytesOneAtATimeAskForMoreUntilAMessageIsWhole() {
        SocksHandshake handshake = new SocksHandshake(null);
        ByteBuffer in = ByteBuffer.allocate(64);
        for (int i = 0; i < GREETING.length - 1; i++) {
            in.put(GREETING[i]).flip();
            assertThat(handshake.feed(in)).isEqualTo(SocksHandshake.Step.MORE);
            assertThat(in.position()).as("nothing consumed").isZero();
            in.compact();
        }
        in.put(GREETING[GREETING.length - 1]).flip();
        assertThat(handshake.feed(in)).isEqualTo(SocksHandshake.Step.REPLY);
        assertThat(handshake.reply()).containsExactly(5, 0);
        in.compact();
        for (int i = 0; i < REQUEST.length - 1; i++) {
            in.put(REQUEST[i]).flip();
            assertThat(handshake.feed(in)).isEqualTo(SocksHandshake.Step.MORE);
            in.compact();
        }
        in.put(REQUEST[REQUEST.length - 1]).flip();
        assertThat(handshake.feed(in)).isEqualTo(SocksHandshake.Step.ASSOCIATE);
        assertThat(handshake.requestedIp()).isTrue();
        assertThat(handshake.requestedAddress()).containsExactly(10, 0, 0, 7);
        assertThat(handshake.requestedPort()).isEqualTo(5000);
    }

    @Test
    void pipelinedMessagesAreTakenOneAtATime() {
        SocksHandshake handshake = new SocksHandshake(credentials("alice", "s3cret"));
        byte[] auth = {1, 5, 'a', 'l', 'i', 'c', 'e', 6, 's', '3', 'c', 'r', 'e', 't'};
        ByteBuffer in = ByteBuffer.allocate(64).put(GREETING).put(auth).put(REQUEST).flip();
        assertThat(handshake.feed(in)).isEqualTo(SocksHandshake.Step.REPLY);
        assertThat(handshake.reply()).containsExactly(5, 2);
        assertThat(handshake.feed(in)).isEqualTo(SocksHandshake.Step.REPLY);
        assertThat(handshake.reply()).containsExactly(1, 0);
        assertThat(handshake.feed(in)).isEqualTo(SocksHandshake.Step.ASSOCIATE);
        assertThat(in.hasRemaining()).isFalse();
    }

    @Test
    void refusalsSayWhy() {
        assertThat(refusal(null, new byte[] {4, 1}).refusal()).isEqualTo(SocksHandshake.Refusal.NOT_SOCKS5);
        SocksHandshake noMethod = refusal(credentials("u", "p"), new byte[] {5, 1, 0});
        assertThat(noMethod.refusal()).isEqualTo(SocksHandshake.Refusal.NO_ACCEPTABLE_METHOD);
        assertThat(noMethod.reply()).containsExactly(5, 0xFF);
        SocksHandshake wrong = refusal(credentials("u", "p"), new byte[] {5, 1, 2, 1, 1, 'u', 1, 'x'});
        assertThat(wrong.refusal()).isEqualTo(SocksHandshake.Refusal.BAD_CREDENTIALS);
        SocksHandshake connect = refusal(null, new byte[] {5, 1, 0, 5, 1, 0, 1, 127, 0, 0, 1, 0, 80});
        assertThat(connect.refusal()).isEqualTo(SocksHandshake.Refusal.COMMAND_NOT_SUPPORTED);
        assertThat(connect.reply()[1]).isEqualTo((byte) 7);
        SocksHandshake badType = refusal(null, new byte[] {5, 1, 0, 5, 3, 0, 9});
        assertThat(badType.refusal()).isEqualTo(SocksHandshake.Refusal.BAD_REQUEST);
        assertThat(badType.reply()[1]).isEqualTo((byte) 8);
    }

    /** Feeds {@code bytes} until the handshake refuses. */
    private static SocksHandshake refusal(SocksServer.Credentials credentials, byte[] bytes) {
        SocksHandshake handshake = new SocksHandshake(credentials);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        SocksHandshake.Step step;
        while ((step = handshake.feed(in)) == SocksHandshake.Step.REPLY) {
            // the greeting was accepted: go on to the next message
        }
        assertThat(step).isEqualTo(SocksHandshake.Step.REFUSE);
        return handshake;
    }

    private static SocksServer.Credentials credentials(String user, String password) {
        return new SocksServer.Credentials(user.getBytes(StandardCharsets.UTF_8),
                password.getBytes(StandardCharsets.UTF_8));
    }
}
