package org.mptunnel.examples.demo;

import java.net.InetAddress;
import java.net.InetSocketAddress;

/** The demo runs on loopback only, on ports the system picks. */
final class Loopback {

    static final InetAddress ADDRESS = InetAddress.getLoopbackAddress();

    private Loopback() {
    }

    static InetSocketAddress anyPort() {
        return new InetSocketAddress(ADDRESS, 0);
    }
}
