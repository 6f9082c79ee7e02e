package org.mptunnel.benchmarks.harness;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.mptunnel.internal.wire.Header;
import org.mptunnel.internal.wire.Probe;

/**
 * The floods of issue 14, one factory each, as {@link HostileLoad} runs them against the tools.
 * Each attacker sends from its own loopback address (127.0.0.2 and up), as another host would;
 * everything goes to the tools' loopback ports and nowhere else.
 */
final class Floods {

    private static final byte[] GREETING_AND_ASSOCIATE = {5, 1, 0, 5, 3, 0, 1, 0, 0, 0, 0, 0, 0};

    private Floods() {
    }

    static InetAddress attacker(int last) throws IOException {
        return InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) last});
    }

    /**
     * Item 1: one-byte v1 DATA of {@code sessions} made-up sessions, numbered 0, 2, 3, ...: each
     * misses its number 1, so that a server with ordered delivery holds all that follow it.
     */
    static Flood orderedHold(InetSocketAddress server, int sessions, int rate) {
        return new Datagrams("ordered-hold", rate, attackerAddress(3), 1, server) {
            private final long[] next = new long[sessions];
            private int turn;

            @Override
            void fill(ByteBuffer b) {
                int s = turn++ % sessions;
                long n = next[s]++;
                long sequence = n == 0 ? 0 : n + 1; // never 1: the gap ordered delivery waits for
                Header.write(b, Header.TYPE_DATA, 0x0DE0_0000L + s, sequence, 1);
                b.limit(Header.LENGTH + 1);
            }
        };
    }

    /** Item 8, v1: DATA opening a new session each, from 200 ports of one address. */
    static Flood newSessionsFromManyPorts(InetSocketAddress server, int rate) {
        SplittableRandom random = new SplittableRandom(8);
        return new Datagrams("v1 sessions from 200 ports of one IP", rate, attackerAddress(6), 200, server) {
            @Override
            void fill(ByteBuffer b) {
                Header.write(b, Header.TYPE_DATA, random.nextLong(), 0, 8);
                b.limit(Header.LENGTH + 8);
            }
        };
    }

    /** Item 8, v2: junk initiations (84 bytes, as a real one) from 200 ports of one address. */
    static Flood initiationsFromManyPorts(InetSocketAddress server, int rate) {
        SplittableRandom random = new SplittableRandom(15);
        byte[] junk = new byte[84];
        return new Datagrams("v2 initiations from 200 ports of one IP", rate, attackerAddress(6), 200, server) {
            @Override
            void fill(ByteBuffer b) {
                random.nextBytes(junk);
                junk[Header.TYPE_OFFSET] = Header.TYPE_INITIATION;
                b.put(junk).flip();
            }
        };
    }

    /** Item 5: sixteen bytes from a new source port each, to a bridge. */
    static Flood newPortsToBridge(InetSocketAddress bridge, int rate) {
        return newSourcePorts("new source ports to mpbridge", bridge, 4, 16, rate);
    }

    /** Item 10: one datagram each from new local ports, to a keyed mpclient's forwarder. */
    static Flood newLocalPorts(InetSocketAddress mpclient, int rate) {
        return newSourcePorts("new local ports to keyed mpclient", mpclient, 7, 64, rate);
    }

    /** One datagram of {@code size} bytes each from a new port of 127.0.0.{@code attacker}. */
    private static Flood newSourcePorts(String name, InetSocketAddress target, int attacker, int size, int rate) {
        return new Flood(name, rate) {
            private final ByteBuffer datagram = ByteBuffer.allocate(size);

            @Override
            int once() throws IOException {
                try (DatagramChannel port = DatagramChannel.open().bind(new InetSocketAddress(attacker(attacker), 0))) {
                    port.send(datagram.clear(), target);
                }
                return 1;
            }
        };
    }

    /**
     * Item 6: v1 keepalives of the victim's session from 8 ports of the attacker's; counts the
     * bytes that come back to them, so that the report gives the amplification factor.
     */
    static Flood keepalivesFromEightPorts(InetSocketAddress server, long session, int rate) {
        return new Datagrams("forged keepalives from 8 ports", rate, attackerAddress(5), 8, server) {
            private long number = 1L << 40;

            @Override
            void fill(ByteBuffer b) {
                Probe.writeKeepalive(b, session, number++, System.nanoTime(), 0, 0);
            }

            @Override
            String observed() {
                return String.format(Locale.ROOT, "%,d B back for %,d B sent (%.2fx)", received(), sentBytes(),
                        (double) received() / Math.max(1, sentBytes()));
            }
        }.countingReplies();
    }

    /**
     * Item 7: DATA of the victim's session with numbers 10^12 and more beyond the newest, each
     * direction in turn, injected by an attacker on its path.
     */
    static Flood forgedJumps(OnPathRelay path, long session, int rate) {
        SplittableRandom random = new SplittableRandom(7);
        return new Flood("forged far sequence numbers (v1)", rate) {
            private final ByteBuffer datagram = ByteBuffer.allocate(Header.LENGTH + 8);
            private boolean toServer;

            @Override
            int once() throws IOException {
                toServer = !toServer;
                long newest = toServer ? path.lastSequenceToServer() : path.lastSequenceToClient();
                Header.write(datagram.clear(), Header.TYPE_DATA, session,
                        newest + 1_000_000_000_000L + random.nextLong(1L << 50), 8);
                if (toServer) {
                    path.injectToServer(datagram);
                } else {
                    path.injectToClient(datagram);
                }
                return 1;
            }
        };
    }

    /**
     * Item 10: 60 KB version 2 DATA with the victim's session id, key generation 1 and fresh
     * numbers, random bytes for the rest (no key), from another address.
     */
    static Flood forgedSealedData(InetSocketAddress server, long session, int rate) {
        byte[] bytes = new byte[Header.LENGTH + 60_016];
        new SplittableRandom(11).nextBytes(bytes);
        return new Datagrams("forged 60 KB DATA (v2)", rate, attackerAddress(2), 1, server) {
            private long sequence = 1L << 40;

            @Override
            void fill(ByteBuffer b) {
                b.put(bytes).flip();
                Header.write(b, Header.VERSION_SEALED, Header.TYPE_DATA, 1, session, sequence++, 60_016);
            }
        };
    }

    /** Item 11: datagrams above the largest carried and empty ones, in turn, to mpclient's local port. */
    static Flood oversizedAndEmpty(InetSocketAddress mpclient, int rate) {
        ByteBuffer oversized = ByteBuffer.allocate(65_507);
        ByteBuffer empty = ByteBuffer.allocate(0);
        return new Datagrams("oversized and empty datagrams to mpclient", rate, attackerAddress(8), 4, mpclient) {
            private boolean big;

            @Override
            void fill(ByteBuffer b) {
                big = !big;
                if (big) {
                    b.put(oversized.clear()).flip();
                } else {
                    b.put(empty.clear()).flip();
                }
            }
        };
    }

    /** Item 2: a valid UDP ASSOCIATE, then a reset with the reply unread. */
    static Flood socksResets(InetSocketAddress socks, int rate) {
        return new Flood("SOCKS UDP ASSOCIATE then reset", rate) {
            @Override
            int once() {
                try (Socket s = new Socket()) {
                    s.bind(new InetSocketAddress(attacker(9), 0));
                    s.connect(socks, 1_000);
                    s.getOutputStream().write(GREETING_AND_ASSOCIATE);
                    s.setSoLinger(true, 0); // close sends RST
                    return 1;
                } catch (IOException e) {
                    return 0; // refused or timed out: the listener's defence, counted by the tool
                }
            }

            @Override
            String unit() {
                return "connections";
            }
        };
    }

    /**
     * Item 3: {@code connections} SOCKS connections from 10 addresses that each drip one byte of the
     * greeting every 4 s, reopened when the tool closes them.
     */
    static Flood socksDrip(InetSocketAddress socks, int connections) {
        int rate = Math.max(1, connections / 4); // each connection one byte every 4 s
        return new Flood("SOCKS handshakes dripped 1 byte / 4 s", rate) {
            private final Socket[] open = new Socket[connections];
            private final int[] written = new int[connections];
            private final AtomicLong opened = new AtomicLong();
            private int turn;

            @Override
            void setUp() {
                for (int i = 0; i < connections; i++) {
                    reopen(i);
                }
            }

            @Override
            int once() {
                int i = turn++ % connections;
                try {
                    if (open[i] == null) {
                        throw new IOException("not open");
                    }
                    open[i].getOutputStream().write(GREETING_AND_ASSOCIATE[written[i]++ % GREETING_AND_ASSOCIATE.length]);
                } catch (IOException e) {
                    reopen(i);
                }
                return 1;
            }

            private void reopen(int i) {
                closeQuietly(open[i]);
                open[i] = null;
                written[i] = 0;
                try {
                    Socket s = new Socket();
                    s.bind(new InetSocketAddress(attacker(20 + i % 10), 0));
                    s.connect(socks, 1_000);
                    open[i] = s;
                    opened.incrementAndGet();
                } catch (IOException e) {
                    // refused: tried again at its next turn
                }
            }

            @Override
            void tearDown() {
                for (Socket s : open) {
                    closeQuietly(s);
                }
            }

            @Override
            String describeRate() {
                return String.format(Locale.ROOT, "%d connections, %,.0f bytes/s; %,d opened", connections,
                        achievedRate(), opened.get());
            }
        };
    }

    /**
     * Item 4: SOCKS associations that each send to many spellings of one destination (capitalisations
     * of {@code localhost}) and to many loopback addresses at {@code port}, so that a server keying its
     * destination sockets by spelling opens one per spelling.
     */
    static Flood socksSpellings(InetSocketAddress socks, int associations, int port, int rate) {
        List<byte[]> destinations = new ArrayList<>();
        String name = "localhost";
        for (int mask = 0; mask < 128; mask++) {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < name.length(); i++) {
                char c = name.charAt(i);
                b.append(i < 7 && (mask & (1 << i)) != 0 ? Character.toUpperCase(c) : c);
            }
            byte[] n = b.toString().getBytes(StandardCharsets.US_ASCII);
            destinations.add(ByteBuffer.allocate(5 + n.length + 2 + 8)
                    .put(new byte[] {0, 0, 0, 3, (byte) n.length}).put(n).putShort((short) port).array());
        }
        for (int i = 0; i < 128; i++) {
            destinations.add(ByteBuffer.allocate(4 + 4 + 2 + 8).put(new byte[] {0, 0, 0, 1, 127, 0, 1, (byte) i})
                    .putShort((short) port).array());
        }
        return new Flood("SOCKS datagrams to 256 spellings", rate) {
            private final List<Socket> controls = new ArrayList<>();
            private final List<DatagramChannel> udp = new ArrayList<>();
            private final List<InetSocketAddress> relays = new ArrayList<>();
            private int turn;

            @Override
            void setUp() throws IOException {
                for (int i = 0; i < associations; i++) {
                    Socket s = new Socket(socks.getAddress(), socks.getPort(), attacker(11), 0);
                    s.setSoTimeout(5_000);
                    controls.add(s);
                    OutputStream out = s.getOutputStream();
                    DataInputStream in = new DataInputStream(s.getInputStream());
                    out.write(GREETING_AND_ASSOCIATE);
                    byte[] reply = new byte[2 + 10];
                    in.readFully(reply);
                    if (reply[3] != 0) {
                        throw new IOException("UDP ASSOCIATE refused: reply " + reply[3]);
                    }
                    InetAddress relay = InetAddress.getByAddress(Arrays.copyOfRange(reply, 6, 10));
                    relays.add(new InetSocketAddress(relay, ((reply[10] & 0xFF) << 8) | (reply[11] & 0xFF)));
                    udp.add(DatagramChannel.open().bind(new InetSocketAddress(attacker(11), 0)));
                }
            }

            @Override
            int once() throws IOException {
                int t = turn++;
                int a = t % associations;
                udp.get(a).send(ByteBuffer.wrap(destinations.get((t / associations) % destinations.size())),
                        relays.get(a));
                return 1;
            }

            @Override
            void tearDown() throws IOException {
                for (DatagramChannel c : udp) {
                    c.close();
                }
                for (Socket s : controls) {
                    closeQuietly(s);
                }
            }
        };
    }

    private static InetSocketAddress attackerAddress(int last) {
        try {
            return new InetSocketAddress(attacker(last), 0);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void closeQuietly(Socket s) {
        if (s != null) {
            try {
                s.close();
            } catch (IOException e) {
                // closing an attacker's socket: nothing to do
            }
        }
    }

    /**
     * A datagram flood to {@code to} from {@code ports} sockets of one address, in turn; optionally
     * counts the bytes that come back to them.
     */
    private abstract static class Datagrams extends Flood {
        private final InetSocketAddress from;
        private final int ports;
        private final InetSocketAddress to;
        private final List<DatagramChannel> channels = new ArrayList<>();
        private final ByteBuffer buffer = Header.allocate(65_536);
        private final AtomicLong received = new AtomicLong();
        private long sentBytes;
        private boolean countReplies;
        private Thread reader;
        private int turn;

        Datagrams(String name, int rate, InetSocketAddress from, int ports, InetSocketAddress to) {
            super(name, rate);
            this.from = from;
            this.ports = ports;
            this.to = to;
        }

        /** Writes the next datagram into {@code b} (cleared), position 0 to limit. */
        abstract void fill(ByteBuffer b);

        Datagrams countingReplies() {
            countReplies = true;
            return this;
        }

        long received() {
            return received.get();
        }

        long sentBytes() {
            return sentBytes;
        }

        @Override
        void setUp() throws IOException {
            for (int i = 0; i < ports; i++) {
                DatagramChannel c = DatagramChannel.open().bind(from);
                channels.add(c);
            }
            if (countReplies) {
                Selector selector = Selector.open();
                for (DatagramChannel c : channels) {
                    c.configureBlocking(false);
                    c.register(selector, SelectionKey.OP_READ);
                }
                reader = new Thread(() -> readReplies(selector), "flood-replies");
                reader.setDaemon(true);
                reader.start();
            }
        }

        private void readReplies(Selector selector) {
            ByteBuffer in = ByteBuffer.allocate(65_536);
            try (selector) {
                while (selector.isOpen() && !channels.isEmpty() && channels.get(0).isOpen()) {
                    selector.select(100);
                    for (SelectionKey key : selector.selectedKeys()) {
                        DatagramChannel c = (DatagramChannel) key.channel();
                        while (c.receive(in.clear()) != null) {
                            received.addAndGet(in.position());
                        }
                    }
                    selector.selectedKeys().clear();
                }
            } catch (IOException | ClosedSelectorException e) {
                // the flood is over
            }
        }

        @Override
        int once() throws IOException {
            buffer.clear();
            fill(buffer);
            int length = buffer.remaining();
            try {
                if (channels.get(turn++ % ports).send(buffer, to) == 0) {
                    return 0; // a non-blocking channel's full buffer (when counting replies): not sent
                }
            } catch (PortUnreachableException e) {
                return 0;
            }
            sentBytes += length;
            return 1;
        }

        @Override
        void tearDown() throws IOException {
            for (DatagramChannel c : channels) {
                c.close();
            }
            if (reader != null) {
                try {
                    reader.join(2_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }
}
