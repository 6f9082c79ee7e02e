package org.mptunnel.examples.client;

import sun.misc.Signal;
import sun.misc.SignalHandler;

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
     * @return whether the handler is installed: false where there is no SIGHUP (Windows), and
     *         where the process was started with SIGHUP ignored (as {@code nohup} does), which the
     *         JVM then leaves ignored whatever handler is given
     */
    public static boolean onHangup(Runnable action) {
        try {
            Signal hup = new Signal("HUP");
            SignalHandler previous = Signal.handle(hup, signal -> action.run());
            if (previous == SignalHandler.SIG_IGN) {
                Signal.handle(hup, SignalHandler.SIG_IGN);
                return false;
            }
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
