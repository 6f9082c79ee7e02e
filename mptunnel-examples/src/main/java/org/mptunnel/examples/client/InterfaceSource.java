package org.mptunnel.examples.client;

import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Where automatic paths learn which network interfaces there are: the system's
 * ({@link #SYSTEM}), or one a test drives.
 */
@FunctionalInterface
public interface InterfaceSource {

    /**
     * One interface as it is now.
     *
     * @param name      its name ({@code eth0}, {@code wlan0})
     * @param up        whether it is up
     * @param loopback  whether it is a loopback interface
     * @param addresses its addresses, in the system's order
     */
    record NetInterface(String name, boolean up, boolean loopback, List<InetAddress> addresses) {
        public NetInterface {
            addresses = List.copyOf(addresses);
        }
    }

    /**
     * @return every interface there is now
     * @throws SocketException if the system cannot say
     */
    List<NetInterface> interfaces() throws SocketException;

    /** The machine's interfaces, from {@link NetworkInterface}. */
    InterfaceSource SYSTEM = () -> {
        List<NetInterface> all = new ArrayList<>();
        for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            try {
                all.add(new NetInterface(nif.getName(), nif.isUp(), nif.isLoopback(),
                        Collections.list(nif.getInetAddresses())));
            } catch (SocketException e) {
                // it went away between the listing and the question: it is not there
            }
        }
        return all;
    };
}
