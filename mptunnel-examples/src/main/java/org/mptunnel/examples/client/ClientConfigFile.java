package org.mptunnel.examples.client;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.mptunnel.examples.cli.Endpoints;
import org.mptunnel.examples.cli.UserError;

/**
 * The C mptunnel's client configuration: one path per line as {@code HOST PORT} (a bridge, or the
 * server itself); blank lines and {@code #} comments, whole-line or trailing, are ignored.
 * Every mistake is reported as {@code FILE:LINE: what}.
 */
public final class ClientConfigFile {

    private ClientConfigFile() {
    }

    /**
     * Reads and resolves the file's paths.
     *
     * @param file the configuration file
     * @return the paths, in the file's order, resolved
     * @throws UserError if the file cannot be read, a line is not {@code HOST PORT}, a port is out
     *                   of range, a host does not resolve, a path repeats, or there is no path
     */
    public static List<InetSocketAddress> load(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new UserError("cannot read config file " + file + ": no such file");
        } catch (AccessDeniedException e) {
            throw new UserError("cannot read config file " + file + ": permission denied");
        } catch (IOException e) {
            throw new UserError("cannot read config file " + file + ": " + e.getMessage());
        }
        return parse(file.toString(), lines);
    }

    /** Parses lines already read; {@code name} is the file name used in messages. */
    static List<InetSocketAddress> parse(String name, List<String> lines) {
        List<InetSocketAddress> paths = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String where = name + ":" + (i + 1) + ": ";
            String line = lines.get(i);
            int hash = line.indexOf('#');
            if (hash >= 0) {
                line = line.substring(0, hash);
            }
            line = line.strip();
            if (line.isEmpty()) {
                continue;
            }
            String[] fields = line.split("\\s+");
            if (fields.length != 2) {
                throw new UserError(where + "expected 'HOST PORT', got '" + line + "'");
            }
            int port;
            try {
                port = Endpoints.parsePort(fields[1], false);
            } catch (IllegalArgumentException e) {
                throw new UserError(where + e.getMessage());
            }
            InetAddress address;
            try {
                address = InetAddress.getByName(fields[0]);
            } catch (UnknownHostException e) {
                throw new UserError(where + "cannot resolve host '" + fields[0] + "'");
            }
            InetSocketAddress path = new InetSocketAddress(address, port);
            if (paths.contains(path)) {
                throw new UserError(where + "path " + Endpoints.format(path) + " is given twice");
            }
            paths.add(path);
        }
        if (paths.isEmpty()) {
            throw new UserError(name + ": no path: add one 'HOST PORT' line per bridge or server");
        }
        return paths;
    }
}
