package io.coedge.transport.bench;

import io.aeron.Publication;
import io.aeron.Subscription;
import io.coedge.transport.TransportContext;
import io.coedge.transport.TransportNode;
import io.coedge.transport.halo.HaloReceiver;
import io.coedge.transport.halo.HaloSender;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.agrona.concurrent.SystemNanoClock;

/**
 * Halo exchange harness: one-way latency percentiles (HdrHistogram) and throughput of moving one halo of
 * 4 KiB..4 MiB from a sender's rows into a receiver's rows, for Aeron IPC, Aeron UDP over loopback (two
 * drivers, each on its own thread: {@code aeron-udp}; run by the sending and the receiving thread, as workers run
 * them: {@code aeron-udp-inv}) and a plain NIO TCP socket, all in the same run. Sender and receiver are two threads of this
 * process, so one clock gives one-way latency.
 *
 * <p>Run: {@code java -cp ... io.coedge.transport.bench.HaloBench [--sizes 4096,65536,1048576,4194304]
 * [--samples 300] [--mtu 8192]}. Latency: one halo in flight at a time. Throughput: halos back to back.
 */
public final class HaloBench {
    interface Link extends AutoCloseable {
        /** Sends the halo; blocks until the transport took it. */
        void send(MemorySegment src, long seq);

        /** Receives one halo into {@code dst}; returns its sequence number. */
        long receive(MemorySegment dst);

        @Override
        void close() throws Exception;
    }

    public static void main(String[] args) throws Exception {
        int[] sizes = {4096, 64 * 1024, 1024 * 1024, 4 * 1024 * 1024};
        int samples = 300;
        int mtu = 8192;
        for (int i = 0; i < args.length; i += 2) {
            switch (args[i]) {
                case "--sizes" -> sizes = java.util.Arrays.stream(args[i + 1].split(",")).mapToInt(Integer::parseInt).toArray();
                case "--samples" -> samples = Integer.parseInt(args[i + 1]);
                case "--mtu" -> mtu = Integer.parseInt(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        Path base = Files.createTempDirectory("coedge-halobench");
        try {
            System.out.printf(Locale.ROOT, "%-13s %9s %10s %10s %10s %10s %12s%n", "transport", "bytes", "p50 us", "p90 us",
                    "p99 us", "max us", "MB/s");
            for (int size : sizes) {
                int n = size >= (1 << 20) ? Math.max(30, samples / 5) : samples;
                for (String mode : List.of("aeron-ipc", "aeron-udp", "aeron-udp-inv", "nio-tcp")) {
                    try (Link link = open(mode, base, mtu, size)) {
                        Result r = measure(link, size, n);
                        System.out.printf(Locale.ROOT, "%-13s %9d %10.1f %10.1f %10.1f %10.1f %12.1f%n", mode, size,
                                r.latency.getValueAtPercentile(50) / 1e3, r.latency.getValueAtPercentile(90) / 1e3,
                                r.latency.getValueAtPercentile(99) / 1e3, r.latency.getMaxValue() / 1e3, r.mbPerSecond);
                    }
                }
            }
        } finally {
            // the media drivers' directories (term buffers of every stream) would otherwise stay in /tmp
            deleteTree(base);
        }
    }

    private static void deleteTree(Path root) throws java.io.IOException {
        try (var paths = Files.walk(root)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    record Result(Histogram latency, double mbPerSecond) {
    }

    static Result measure(Link link, int size, int n) throws Exception {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment src = arena.allocate(size, 64);
            MemorySegment dst = arena.allocate(size, 64);
            for (long i = 0; i < size; i += 8) {
                src.set(ValueLayout.JAVA_LONG_UNALIGNED, i, i * 31);
            }
            Histogram h = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
            AtomicLong sendStart = new AtomicLong();
            AtomicLong lastReceived = new AtomicLong(-1);
            int warm = Math.max(10, n / 5);
            int throughputCount = (int) Math.max(20, Math.min(2000, (256L << 20) / size));
            Throwable[] failure = new Throwable[1];
            long[] tputNs = new long[1];
            Thread rx = new Thread(() -> {
                try {
                    for (int i = 0; i < warm + n; i++) {
                        long seq = link.receive(dst);
                        long lat = System.nanoTime() - sendStart.get();
                        if (i >= warm) {
                            h.recordValue(Math.max(1, lat));
                        }
                        lastReceived.set(seq);
                    }
                    long t0 = 0;
                    for (int i = 0; i < throughputCount; i++) {
                        link.receive(dst);
                        if (i == 0) {
                            t0 = System.nanoTime();
                        }
                    }
                    tputNs[0] = System.nanoTime() - t0;
                } catch (Throwable t) {
                    failure[0] = t;
                }
            }, "halo-rx");
            rx.start();
            for (int i = 0; i < warm + n; i++) {
                sendStart.set(System.nanoTime());
                link.send(src, i);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                // Wait like the transports do (not a hot spin): on a loaded machine a spinning waiter starves the receiver.
                org.agrona.concurrent.IdleStrategy idle = TransportNode.waitIdleStrategy();
                while (lastReceived.get() < i) {
                    if (failure[0] != null || System.nanoTime() > deadline) {
                        throw new IllegalStateException("halo " + i + " not received", failure[0]);
                    }
                    idle.idle();
                }
            }
            for (int i = 0; i < throughputCount; i++) {
                link.send(src, warm + n + i);
            }
            rx.join(TimeUnit.SECONDS.toMillis(120));
            if (failure[0] != null) {
                throw new IllegalStateException(failure[0]);
            }
            if (dst.mismatch(src) != -1) {
                throw new IllegalStateException("received bytes differ from sent bytes");
            }
            // The first halo of the throughput run starts the clock: count the other n-1 halos.
            double mbs = (double) size * (throughputCount - 1) / (tputNs[0] / 1e9) / 1e6;
            return new Result(h, mbs);
        }
    }

    static Link open(String mode, Path base, int mtu, int size) throws IOException {
        return switch (mode) {
            case "aeron-ipc" -> AeronLink.ipc(base, size);
            case "aeron-udp" -> AeronLink.udp(base, mtu, size, "SHARED");
            case "aeron-udp-inv" -> AeronLink.udp(base, mtu, size, "INVOKER");
            case "nio-tcp" -> new TcpLink();
            default -> throw new IllegalArgumentException(mode);
        };
    }

    /** Aeron through {@link HaloSender} and {@link HaloReceiver}: the code path the runtime uses. */
    static final class AeronLink implements Link {
        private final List<TransportNode> nodes = new ArrayList<>();
        private final TransportNode rxNode;
        private final Publication pub;
        private final Subscription sub;
        private final HaloSender sender;
        private final HaloReceiver receiver;
        private int slot = -1;
        private long armed = -1;
        private MemorySegment slotDst;

        private AeronLink(TransportNode tx, TransportNode rx, String channel, boolean separate) {
            nodes.add(tx);
            rxNode = rx;
            if (separate) {
                nodes.add(rx);
            }
            sub = rx.aeron().addSubscription(channel, 4242);
            pub = tx.aeron().addExclusivePublication(channel, 4242);
            sender = new HaloSender(pub, 0, TransportNode.waitIdleStrategy(), new SystemNanoClock(), TimeUnit.SECONDS.toNanos(30), null)
                    .afterSend(tx::wakeDriver).driverDutyCycle(tx::driverDutyCycle); // as the runtime does

            receiver = new HaloReceiver(sub, TransportNode.waitIdleStrategy(), new SystemNanoClock(), null, null);
            receiver.driverDutyCycle(rx::driverDutyCycle);
        }

        static TransportContext ctx(Path base, String name, int size) {
            int term = Integer.highestOneBit(Math.max(1 << 20, size * 4 - 1)) << 1;
            return new TransportContext().name(name).baseDir(base.toString()).termLengthBytes(Math.min(term, 64 << 20))
                    .controlMaxMessageBytes(64 * 1024);
        }

        static AeronLink ipc(Path base, int size) {
            TransportNode n = TransportNode.start(ctx(base, "ipc", size));
            return new AeronLink(n, n, n.ipcChannel(), false);
        }

        static AeronLink udp(Path base, int mtu, int size, String threadingMode) {
            TransportNode a = TransportNode.start(ctx(base, "udp-a", size).udpMtuBytes(mtu).loopbackMtuBytes(mtu)
                    .threadingMode(threadingMode));
            TransportNode b = TransportNode.start(ctx(base, "udp-b", size).udpMtuBytes(mtu).loopbackMtuBytes(mtu)
                    .threadingMode(threadingMode));
            int port;
            try (var s = new java.net.DatagramSocket(0, InetAddress.getLoopbackAddress())) {
                port = s.getLocalPort();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            AeronLink l = new AeronLink(a, b, a.udpChannel("127.0.0.1:" + port), true);
            return l;
        }

        @Override
        public void send(MemorySegment src, long seq) {
            long rc = sender.send(src, 0, 1, seq, 0, 1);
            if (rc != HaloSender.OK) {
                throw new IllegalStateException(HaloSender.describe(rc));
            }
        }

        @Override
        public long receive(MemorySegment dst) {
            if (slot < 0 || slotDst != dst) {
                receiver.clearSlots();
                slot = receiver.addSlot(0, 0, 1, dst);
                slotDst = dst;
            }
            armed++;
            receiver.begin(1, armed);
            rxNode.expect(); // as the runtime does around a halo wait
            boolean ok;
            try {
                ok = receiver.await(slot, TimeUnit.SECONDS.toNanos(30));
            } finally {
                rxNode.expectDone();
            }
            if (!ok) {
                throw new IllegalStateException("halo " + armed + " did not arrive");
            }
            return armed;
        }

        @Override
        public void close() {
            pub.close();
            sub.close();
            for (int i = nodes.size() - 1; i >= 0; i--) {
                nodes.get(i).close();
            }
        }
    }

    /** A plain blocking NIO TCP socket on loopback: 16-byte header (sequence, length), then the rows. */
    static final class TcpLink implements Link {
        private final ServerSocketChannel server;
        private final SocketChannel out;
        private final SocketChannel in;
        private final ByteBuffer outHeader = ByteBuffer.allocateDirect(16).order(ByteOrder.LITTLE_ENDIAN);
        private final ByteBuffer inHeader = ByteBuffer.allocateDirect(16).order(ByteOrder.LITTLE_ENDIAN);

        TcpLink() throws IOException {
            server = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            out = SocketChannel.open(server.getLocalAddress());
            in = server.accept();
            out.setOption(StandardSocketOptions.TCP_NODELAY, true);
            in.setOption(StandardSocketOptions.TCP_NODELAY, true);
        }

        @Override
        public void send(MemorySegment src, long seq) {
            try {
                outHeader.clear();
                outHeader.putLong(seq).putLong(src.byteSize()).flip();
                while (outHeader.hasRemaining()) {
                    out.write(outHeader);
                }
                ByteBuffer b = src.asByteBuffer();
                while (b.hasRemaining()) {
                    out.write(b);
                }
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public long receive(MemorySegment dst) {
            try {
                inHeader.clear();
                while (inHeader.hasRemaining()) {
                    if (in.read(inHeader) < 0) {
                        throw new IOException("closed");
                    }
                }
                long seq = inHeader.getLong(0);
                long len = inHeader.getLong(8);
                ByteBuffer b = dst.asSlice(0, len).asByteBuffer();
                while (b.hasRemaining()) {
                    if (in.read(b) < 0) {
                        throw new IOException("closed");
                    }
                }
                return seq;
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public void close() throws IOException {
            out.close();
            in.close();
            server.close();
        }
    }
}
