package io.coedge.bench.transport;

import io.coedge.graph.Graph;
import io.coedge.partition.Plan;
import io.coedge.partition.Sync;
import io.coedge.tensor.Tensor;
import io.coedge.transport.TransportContext;
import io.coedge.transport.runtime.ClusterConfig;
import io.coedge.transport.runtime.CoEdgeCluster;
import io.coedge.transport.runtime.ModelSpec;
import io.coedge.transport.runtime.PartitionedSession;
import io.coedge.transport.runtime.Worker;
import io.coedge.zoo.ModelZoo;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
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
 * One split inference end to end, every party in this JVM: the initiator (the benchmark thread: scatter, gather,
 * tail) and two workers, each with its own media driver, control loop and compute thread, talking UDP over
 * loopback as separate processes would. Run with {@code -prof gc}: {@code gc.alloc.rate.norm} then counts what
 * every thread of all three parties allocates per inference (JMH sums the threads of the JVM).
 *
 * <p>Run: {@code java -cp bench/target/benchmarks.jar org.openjdk.jmh.Main PartitionedInferenceBenchmark -prof gc}
 * (JVM flags for Aeron and the native kernels are set by the {@link Fork} annotation). Timings here are not the
 * two-worker speedup: the three parties share one JVM's heap and compilers; {@code EndToEndBench} measures that.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED", "--enable-native-access=ALL-UNNAMED",
        "--sun-misc-unsafe-memory-access=allow", "-Dcoedge.threads=1"})
public class PartitionedInferenceBenchmark {
    @Param({"resnet18"})
    String model;

    private final List<Worker> workers = new ArrayList<>();
    private final List<Thread> loops = new ArrayList<>();
    private CoEdgeCluster cluster;
    private PartitionedSession session;
    private Arena arena;
    private Tensor input;
    private ReusedArena output;
    private Path dir;

    @Setup(Level.Trial)
    public void setup() throws Exception {
        dir = Files.createTempDirectory("coedge-jmh-split");
        ClusterConfig cfg = new ClusterConfig().transport(context(dir, "initiator"));
        for (String name : List.of("worker1", "worker2")) {
            String endpoint = "127.0.0.1:" + freeUdpPort();
            Worker w = new Worker(new Worker.Config().name(name).endpoint(endpoint)
                    .threads(Integer.getInteger("coedge.threads", 1)).modelCacheDir(dir.resolve(name))
                    .transport(context(dir, name)));
            Thread loop = new Thread(w, name + "-loop");
            loop.start();
            workers.add(w);
            loops.add(loop);
            cfg.worker(name, endpoint);
        }
        cluster = CoEdgeCluster.connect(cfg);
        Graph g = ModelZoo.build(model);
        int h = g.inputs().get(0).shape()[2];
        Plan plan = Plan.explicit(List.of(CoEdgeCluster.LOCAL_DEVICE, "worker1", "worker2"),
                new int[] {0, h / 2, h - h / 2}, Sync.every()).withTail(CoEdgeCluster.LOCAL_DEVICE);
        session = cluster.deploy(ModelSpec.zoo(model, 0), plan);
        arena = Arena.ofShared();
        input = Tensor.gaussian(arena, 1, g.inputs().get(0).shape());
        output = new ReusedArena(arena.allocate(1 << 20, 64));
    }

    @Benchmark
    public Tensor infer() {
        output.reset();
        return session.infer(output, input);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        session.close();
        cluster.close();
        for (Worker w : workers) {
            w.stop();
        }
        for (Thread t : loops) {
            t.join(TimeUnit.SECONDS.toMillis(10));
        }
        for (Worker w : workers) {
            w.close();
        }
        arena.close();
        try (java.util.stream.Stream<Path> left = Files.walk(dir)) { // the model caches and empty driver parents
            left.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private static TransportContext context(Path dir, String name) {
        return new TransportContext().name(name).baseDir(dir.toString());
    }

    private static int freeUdpPort() throws Exception {
        try (DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** The output's memory, handed out again for every inference: the caller's buffer, not a fresh allocation. */
    private static final class ReusedArena implements Arena {
        private final MemorySegment block;
        private long top;

        ReusedArena(MemorySegment block) {
            this.block = block;
        }

        void reset() {
            top = 0;
        }

        @Override
        public MemorySegment allocate(long byteSize, long byteAlignment) {
            long start = (top + byteAlignment - 1) / byteAlignment * byteAlignment;
            top = start + byteSize;
            return block.asSlice(start, byteSize);
        }

        @Override
        public MemorySegment.Scope scope() {
            return block.scope();
        }

        @Override
        public void close() {
            throw new UnsupportedOperationException("the benchmark owns this memory");
        }
    }
}
