/**
 * mptunnel's engine. Applications use module {@code org.mptunnel} and get the engine through the
 * service loader; the one package exported, for JMX, is internal too. Nothing here is API: it may
 * change in any release.
 */
// The tools' modules named in a qualified export below are built after this one.
@SuppressWarnings("module")
module org.mptunnel.impl {
    // Whoever reads the engine reads the API its types implement.
    requires transitive org.mptunnel;
    requires org.jctools.core;
    requires org.slf4j;
    // Transitive because the exported JMX package's types mention ObjectName.
    requires transitive java.management;
    // sun.misc.Unsafe, for DatagramPacket's capacity (internal.socket.PacketFields); optional there.
    requires jdk.unsupported;

    // The platform MBean server calls the MXBean interface through a trampoline class in an unnamed
    // module, so a qualified export to java.management is not enough (JmxTest fails with one).
    // Exported for JMX only: internal, like every org.mptunnel.internal package.
    exports org.mptunnel.internal.jmx;

    // The impairing UDP bridge, for the mpbridge tool, the demo and the soak run; the JMH benchmarks
    // also drive the engine's parts directly. (Their jars name these modules through
    // Automatic-Module-Name; Javadoc resolves them as such.)
    exports org.mptunnel.internal.bridge to org.mptunnel.examples, org.mptunnel.benchmarks;
    exports org.mptunnel.internal.crypto to org.mptunnel.benchmarks;
    exports org.mptunnel.internal.engine to org.mptunnel.benchmarks;
    exports org.mptunnel.internal.fec to org.mptunnel.benchmarks;
    exports org.mptunnel.internal.io to org.mptunnel.benchmarks;
    exports org.mptunnel.internal.path to org.mptunnel.benchmarks;
    exports org.mptunnel.internal.session to org.mptunnel.benchmarks;
    exports org.mptunnel.internal.window to org.mptunnel.benchmarks;
    exports org.mptunnel.internal.wire to org.mptunnel.benchmarks;

    provides org.mptunnel.spi.SocketProvider with org.mptunnel.internal.socket.MultipathSocketProvider;
}
