package io.coedge.bench.transport;

import io.aeron.Publication;
import io.aeron.Subscription;
import io.coedge.transport.TransportContext;
import io.coedge.transport.TransportNode;
import io.coedge.transport.halo.HaloReceiver;
import io.coedge.transport.halo.HaloSender;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.SystemNanoClock;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One halo from a sender's NHWC rows into a receiver's rows over Aeron IPC (or UDP, see {@link #path}), on one thread: send (claim,
 * header, copy) then receive (poll, copy into the destination). Run with {@code -prof gc}: the
 * {@code gc.alloc.rate.norm} column must be ~0 B/op, i.e. no allocation per halo.
 *
 * <p>Run: {@code java -cp <bench class path> org.openjdk.jmh.Main HaloExchangeBenchmark -prof gc}
 * (JVM flags for Aeron are set by the {@link Fork} annotation).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED", "--enable-native-access=ALL-UNNAMED"})
public class HaloExchangeBenchmark {
    @Param({"4096", "65536", "1048576"})
    int bytes;

    /**
     * {@code ipc}: Aeron IPC, the driver on its own thread. {@code udp-invoker}: UDP over loopback with the driver
     * run by this thread as a worker runs it (INVOKER mode), so the driver's duty cycles are in the allocation count.
     */
    @Param({"ipc", "udp-invoker"})
    String path;

    private TransportNode node;
    private Publication pub;
    private Subscription sub;
    private HaloSender sender;
    private HaloReceiver receiver;
    private Arena arena;
    private MemorySegment src;
    private MemorySegment dst;
    private int slot;
    private long request;
    private java.nio.file.Path baseDir;

    @Setup(Level.Trial)
    public void setup() throws Exception {
        boolean invoker = path.equals("udp-invoker");
        baseDir = Files.createTempDirectory("coedge-jmh");
        node = TransportNode.start(new TransportContext().name("halo-jmh")
                .baseDir(baseDir.toString()).termLengthBytes(16 << 20)
                .threadingMode(invoker ? "INVOKER" : "SHARED"));
        String channel;
        if (invoker) {
            try (var s = new java.net.DatagramSocket(0, java.net.InetAddress.getLoopbackAddress())) {
                channel = node.udpChannel("127.0.0.1:" + s.getLocalPort());
            }
        } else {
            channel = node.ipcChannel();
        }
        sub = node.aeron().addSubscription(channel, 77);
        pub = node.aeron().addExclusivePublication(channel, 77);
        sender = new HaloSender(pub, 0, TransportNode.waitIdleStrategy(), new SystemNanoClock(), TimeUnit.SECONDS.toNanos(5), null);
        receiver = new HaloReceiver(sub, TransportNode.waitIdleStrategy(), new SystemNanoClock(), null, null);
        sender.whileWaiting(() -> receiver.poll(64)).afterSend(node::wakeDriver).driverDutyCycle(node::driverDutyCycle);
        receiver.driverDutyCycle(node::driverDutyCycle);
        arena = Arena.ofShared();
        src = arena.allocate(bytes, 64);
        dst = arena.allocate(bytes, 64);
        slot = receiver.addSlot(1, 0, 1, bytes);
        while (!pub.isConnected()) {
            node.driverDutyCycle();
            Thread.onSpinWait();
        }
    }

    @Benchmark
    public long sendAndReceiveOneHalo() {
        long r = ++request;
        receiver.begin(1, r);
        long rc = sender.send(src, 1, 1, r, 0, 1);
        if (rc != HaloSender.OK || !receiver.receive(slot, dst, TimeUnit.SECONDS.toNanos(5))) {
            throw new IllegalStateException("halo lost: " + HaloSender.describe(rc));
        }
        return rc;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws java.io.IOException {
        pub.close();
        sub.close();
        node.close();
        arena.close();
        Files.deleteIfExists(baseDir); // the driver removed its own directory inside it
    }
}
