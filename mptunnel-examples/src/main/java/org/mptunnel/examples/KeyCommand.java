package org.mptunnel.examples;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.mptunnel.examples.cli.KeyFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code mpkey FILE}: writes a new pre-shared key for mpclient and mpserver. */
@Command(name = "mpkey", mixinStandardHelpOptions = true, sortOptions = false,
        versionProvider = Main.Version.class,
        description = {"Writes a new pre-shared key: 32 random bytes as 64 hexadecimal digits, to FILE, which is "
                + "created readable by its owner only; an existing file is never overwritten. With '-' the key "
                + "goes to standard output instead.",
                "Give the same key to both ends, with --key-file FILE or the environment variable "
                        + KeyFile.VARIABLE + "; the tunnel is then authenticated and encrypted.",
                "Example:  mpkey /etc/mptunnel.key   then copy it to the other end over a safe channel."})
final class KeyCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "FILE", description = "The new key file, or '-' for standard output.")
    String file;

    @Override
    public Integer call() {
        byte[] key = KeyFile.generate();
        if ("-".equals(file)) {
            PrintStream out = new PrintStream(System.out, true, StandardCharsets.US_ASCII);
            out.print(KeyFile.format(key));
            out.flush();
        } else {
            KeyFile.write(Path.of(file), key);
            System.err.println("mpkey: wrote a new key to " + file);
        }
        return 0;
    }
}
