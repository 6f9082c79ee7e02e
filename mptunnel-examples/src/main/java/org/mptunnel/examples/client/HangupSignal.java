package org.mptunnel.examples.client;

import sun.misc.Signal;

/**
 * Runs an action when the process gets SIGHUP, the usual "re-read your configuration" signal
 * (MLVPN, nginx, sshd). Java has no public API for signals; {@code sun.misc.Signal} (module
 * {@code jdk.unsupported}, there in every JDK 17 build) is the only way without native code, so it
 * is kept to this class. The action runs on a thread the JVM starts for the signal.
 */
public final class HangupSignal {

    private HangupSignal() {
    }

    /**
     * @param action what SIGHUP does from now on, instead of ending the process
     * @return whether the handler is installed (false where there is no SIGHUP, such as Windows)
     */
    public static boolean onHangup(Runnable action) {
        try {
            Signal.handle(new Signal("HUP"), signal -> action.run());
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
