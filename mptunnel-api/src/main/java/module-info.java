/**
 * mptunnel's public API: {@link org.mptunnel.MultipathDatagramSocket}, a
 * {@link java.net.DatagramSocket} whose datagrams travel over several paths at once, its
 * {@link org.mptunnel.TunnelConfig configuration} and {@link org.mptunnel.TunnelStats statistics}.
 *
 * <p>This module is the whole of the public API and the scope of semantic versioning. The engine,
 * module {@code org.mptunnel.impl}, is found at run time through {@link org.mptunnel.spi.SocketProvider};
 * put it on the module path (or class path) beside this one.
 */
module org.mptunnel {
    exports org.mptunnel;
    exports org.mptunnel.spi;

    uses org.mptunnel.spi.SocketProvider;
}
