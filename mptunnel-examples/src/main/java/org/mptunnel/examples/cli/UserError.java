package org.mptunnel.examples.cli;

/**
 * A mistake the user can fix: a bad option value, an unreadable config file, a host that does not
 * resolve, a port already in use. The tools print its message and their usage, and exit with 2;
 * never a stack trace.
 */
public final class UserError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param message one line that says what is wrong and, where it helps, where */
    public UserError(String message) {
        super(message, null, false, false);
    }
}
