package org.mptunnel.examples.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Set;

/**
 * The tools' pre-shared key: 32 bytes written as 64 hexadecimal digits, in a file made readable by
 * its owner only, or in an environment variable. Hex, because it survives copy and paste, e-mail and
 * configuration management unchanged, and a wrong length is easy to see.
 */
public final class KeyFile {

    /** The environment variable that holds the key when no key file is given. */
    public static final String VARIABLE = "MPTUNNEL_KEY";
    /** Bytes in a key. */
    public static final int KEY_BYTES = 32;

    private static final Set<PosixFilePermission> OTHERS = EnumSet.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    private KeyFile() {
    }

    /** @return a new key, 32 bytes from {@link SecureRandom} */
    public static byte[] generate() {
        byte[] key = new byte[KEY_BYTES];
        new SecureRandom().nextBytes(key);
        return key;
    }

    /** @return the key as its file holds it: 64 lower-case hex digits and a newline */
    public static String format(byte[] key) {
        return HexFormat.of().formatHex(key) + "\n";
    }

    /**
     * Writes a key to a new file that only its owner may read, where the file system knows POSIX
     * permissions. The file is created with them, so there is no moment when others could read it.
     *
     * @throws UserError if the file exists (a key is never overwritten) or cannot be written
     */
    public static void write(Path file, byte[] key) {
        try {
            if (Files.getFileAttributeView(parentOf(file), PosixFileAttributeView.class) != null) {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(
                        EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE)));
            } else {
                Files.createFile(file);
            }
            Files.writeString(file, format(key), StandardCharsets.US_ASCII);
        } catch (FileAlreadyExistsException e) {
            throw new UserError(file + " already exists: a key is never overwritten; remove it or name another file");
        } catch (IOException e) {
            throw new UserError("cannot write key file " + file + ": " + reason(e));
        }
    }

    /**
     * Reads a key file.
     *
     * @return the key, and whether others than the owner may read the file (the caller warns)
     * @throws UserError if the file cannot be read or does not hold a key
     */
    public static Loaded read(Path file) {
        String text;
        boolean exposed;
        try {
            text = Files.readString(file, StandardCharsets.US_ASCII);
            PosixFileAttributeView posix = Files.getFileAttributeView(file, PosixFileAttributeView.class);
            exposed = posix != null && posix.readAttributes().permissions().stream().anyMatch(OTHERS::contains);
        } catch (IOException | UncheckedIOException e) {
            throw new UserError("cannot read key file " + file + ": "
                    + reason(e instanceof UncheckedIOException u ? u.getCause() : (IOException) e));
        }
        return new Loaded(parse(text, "key file " + file), exposed);
    }

    /** A key read from a file. */
    public record Loaded(byte[] key, boolean readableByOthers) {
    }

    /**
     * Parses a key as {@link #format} writes it; surrounding white space is ignored.
     *
     * @param source what to call the text in an error, e.g. "key file /etc/mptunnel.key"
     * @throws UserError saying what is wrong, never echoing the text (it may be most of a key)
     */
    public static byte[] parse(String text, String source) {
        String digits = text.strip();
        if (digits.length() != 2 * KEY_BYTES) {
            throw new UserError(source + " must hold " + 2 * KEY_BYTES + " hexadecimal digits (a 32-byte key, as "
                    + "mpkey writes it), found " + digits.length() + " characters");
        }
        for (int i = 0; i < digits.length(); i++) {
            if (Character.digit(digits.charAt(i), 16) < 0) {
                throw new UserError(source + " must hold hexadecimal digits only; character " + (i + 1) + " is not one");
            }
        }
        return HexFormat.of().parseHex(digits);
    }

    private static Path parentOf(Path file) {
        Path parent = file.toAbsolutePath().getParent();
        return parent != null ? parent : file.toAbsolutePath();
    }

    private static String reason(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such file or directory";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        return String.valueOf(e.getMessage());
    }
}
