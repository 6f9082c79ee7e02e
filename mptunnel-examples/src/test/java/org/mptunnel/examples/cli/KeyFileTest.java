package org.mptunnel.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeyFileTest {

    private static final String HEX = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    @TempDir
    Path dir;

    @Test
    void parsesWhatFormatWrites() {
        byte[] key = HexFormat.of().parseHex(HEX);
        assertThat(KeyFile.format(key)).isEqualTo(HEX + "\n");
        assertThat(KeyFile.parse("  " + HEX.toUpperCase() + "\r\n", "test")).isEqualTo(key);
    }

    @Test
    void wrongLengthIsRefusedWithoutEchoingTheText() {
        String shortKey = HEX.substring(2);
        assertThatThrownBy(() -> KeyFile.parse(shortKey, "key file k"))
                .isInstanceOf(UserError.class)
                .hasMessage("key file k must hold 64 hexadecimal digits (a 32-byte key, as mpkey writes it), "
                        + "found 62 characters")
                .message().doesNotContain(shortKey.substring(0, 16));
    }

    @Test
    void nonHexIsRefusedWithItsPosition() {
        String bad = HEX.substring(0, 10) + "g" + HEX.substring(11);
        assertThatThrownBy(() -> KeyFile.parse(bad, "the environment variable MPTUNNEL_KEY"))
                .isInstanceOf(UserError.class)
                .hasMessage("the environment variable MPTUNNEL_KEY must hold hexadecimal digits only; "
                        + "character 11 is not one");
    }

    @Test
    void writesANewFileReadableByItsOwnerOnly() throws Exception {
        Path file = dir.resolve("mptunnel.key");
        byte[] key = KeyFile.generate();
        KeyFile.write(file, key);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        KeyFile.Loaded loaded = KeyFile.read(file);
        assertThat(loaded.key()).isEqualTo(key);
        assertThat(loaded.readableByOthers()).isFalse();
    }

    @Test
    void neverOverwritesAKey() throws Exception {
        Path file = dir.resolve("mptunnel.key");
        KeyFile.write(file, KeyFile.generate());
        String before = Files.readString(file);
        assertThatThrownBy(() -> KeyFile.write(file, KeyFile.generate()))
                .isInstanceOf(UserError.class)
                .hasMessage(file + " already exists: a key is never overwritten; remove it or name another file");
        assertThat(Files.readString(file)).isEqualTo(before);
    }

    @Test
    void generatesDifferentKeys() {
        assertThat(KeyFile.generate()).hasSize(32).isNotEqualTo(KeyFile.generate());
    }

    @Test
    void tellsWhenOthersMayReadTheFile() throws Exception {
        Path file = Files.writeString(dir.resolve("open.key"), HEX + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        assertThat(KeyFile.read(file).readableByOthers()).isTrue();
    }

    @Test
    void missingFileIsAUserError() {
        Path missing = dir.resolve("missing.key");
        assertThatThrownBy(() -> KeyFile.read(missing))
                .isInstanceOf(UserError.class)
                .hasMessage("cannot read key file " + missing + ": no such file or directory");
    }
}
