package io.coedge.bench;

import io.coedge.graph.Graph;
import io.coedge.graph.KernelProvider;
import io.coedge.graph.RowKernel;
import io.coedge.kernels.OpenBlas;
import io.coedge.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ServiceLoader;
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
 * One conv layer of a real network through a kernel provider, next to a plain OpenBLAS sgemm of the
 * same M/N/K (the practical ceiling), in the same JVM. {@link ConvTable} turns the times into
 * GFLOP/s and the fraction of sgemm.
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar ConvLayerBenchmark -p layer=vgg16/conv3_2:256:56:56:256:3:1:1}
 * (add {@code -prof gc} to see allocation per operation).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-modules=jdk.incubator.vector",
    "-Dcoedge.openblas.coretype=auto"})
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class ConvLayerBenchmark {
    @Param({
        "vgg16/conv1_1:3:224:224:64:3:1:1",
        "vgg16/conv1_2:64:224:224:64:3:1:1",
        "vgg16/conv2_1:64:112:112:128:3:1:1",
        "vgg16/conv2_2:128:112:112:128:3:1:1",
        "vgg16/conv3_1:128:56:56:256:3:1:1",
        "vgg16/conv3_2:256:56:56:256:3:1:1",
        "vgg16/conv4_1:256:28:28:512:3:1:1",
        "vgg16/conv4_2:512:28:28:512:3:1:1",
        "vgg16/conv5_x:512:14:14:512:3:1:1",
        "resnet18/conv1:3:224:224:64:7:2:3",
        "resnet18/layer1:64:56:56:64:3:1:1",
        "resnet18/layer2.0.conv1:64:56:56:128:3:2:1",
        "resnet18/layer2.0.downsample:64:56:56:128:1:2:0",
        "resnet18/layer2:128:28:28:128:3:1:1",
        "resnet18/layer3.0.conv1:128:28:28:256:3:2:1",
        "resnet18/layer3.0.downsample:128:28:28:256:1:2:0",
        "resnet18/layer3:256:14:14:256:3:1:1",
        "resnet18/layer4.0.conv1:256:14:14:512:3:2:1",
        "resnet18/layer4.0.downsample:256:14:14:512:1:2:0",
        "resnet18/layer4:512:7:7:512:3:1:1",
    })
    public String layer;

    /** Kernel provider for the conv: native (OpenBLAS + C) or vector (Java Vector API). */
    @Param({"native"})
    public String provider;

    /** OpenBLAS threads (and the vector provider's threads). */
    @Param({"1"})
    public int threads;

    private Arena arena;
    private RowKernel conv;
    private Tensor[] in;
    private Tensor[] out;
    private ConvShape shape;
    private MemorySegment a;
    private MemorySegment b;
    private MemorySegment c;

    @Setup(Level.Trial)
    public void setUp() {
        // The conv splits its rows over CoEdge's own pool (OpenBLAS at one thread inside it); the
        // plain sgemm baseline gets the same number of threads from OpenBLAS itself.
        System.setProperty("coedge.threads", Integer.toString(threads));
        shape = ConvShape.parse(layer);
        Graph g = shape.graph();
        KernelProvider p = ServiceLoader.load(KernelProvider.class).stream().map(ServiceLoader.Provider::get)
                .filter(k -> k.name().equals(provider)).findFirst()
                .orElseThrow(() -> new IllegalStateException("no kernel provider '" + provider + "'"));
        conv = (RowKernel) p.kernel(g.kernelContext(g.nodes().get(0)));
        arena = Arena.ofShared();
        Tensor x = Tensor.allocate(arena, g.inputs().get(0).shape());
        fillRandom(x.segment());
        in = new Tensor[] {x};
        out = new Tensor[] {Tensor.allocate(arena, g.shape(g.outputs().get(0)))};
        long m = shape.gemmM(), n = shape.gemmN(), k = shape.gemmK();
        a = arena.allocate(m * k * 4, 64);
        b = arena.allocate(k * n * 4, 64);
        c = arena.allocate(m * n * 4, 64);
        fillRandom(a);
        fillRandom(b);
    }

    private static void fillRandom(MemorySegment s) {
        java.util.Random r = new java.util.Random(1);
        for (long i = 0; i < s.byteSize() / 4; i++) {
            s.setAtIndex(ValueLayout.JAVA_FLOAT, i, r.nextFloat() - 0.5f);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public Tensor conv() {
        conv.run(in, out);
        return out[0];
    }

    @Benchmark
    public MemorySegment sgemm() {
        if (threads > 1) {
            OpenBlas.setThreads(threads);
        }
        OpenBlas.sgemm(shape.gemmM(), shape.gemmN(), shape.gemmK(), a, shape.gemmK(), b, shape.gemmN(), 0f, c,
                shape.gemmN());
        if (threads > 1) {
            OpenBlas.setThreads(1);
        }
        return c;
    }
}
