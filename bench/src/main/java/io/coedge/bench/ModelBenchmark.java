package io.coedge.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.coedge.exec.Executor;
import io.coedge.graph.Graph;
import io.coedge.graph.passes.FoldBatchNorm;
import io.coedge.onnx.OnnxImporter;
import io.coedge.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
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
 * Whole-model latency on one device: CoEdge's executor and ONNX Runtime's Java API running the same
 * ONNX file with the same thread count in the same JVM.
 *
 * <p>The ONNX files come from {@code scripts/export_onnx_fixtures.py} (torchvision topologies,
 * random weights): {@code /usr/bin/python3 scripts/export_onnx_fixtures.py --out target/torch-exports};
 * the folder is read from {@code -Dcoedge.bench.onnx} (default {@code target/torch-exports}).
 * Run: {@code java -jar bench/target/benchmarks.jar ModelBenchmark -p model=resnet18 -p threads=1,2}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-modules=jdk.incubator.vector",
    "-Xmx4g", "-Dcoedge.openblas.coretype=auto"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 4, time = 2)
public class ModelBenchmark {
    /** System property naming the folder with NAME.onnx files. */
    public static final String ONNX_DIR_PROPERTY = "coedge.bench.onnx";

    @Param({"resnet18", "alexnet", "googlenet", "vgg16"})
    public String model;

    @Param({"1", "2"})
    public int threads;

    /** CoEdge kernel provider: native, vector or reference. */
    @Param({"native"})
    public String kernels;

    private Executor executor;
    private Tensor input;
    private Arena inputArena;
    private BumpArena runArena;
    private OrtEnvironment env;
    private OrtSession session;
    private OnnxTensor ortInput;
    private String ortInputName;

    static Path onnxFile(String model) {
        Path dir = Path.of(System.getProperty(ONNX_DIR_PROPERTY, "target/torch-exports"));
        Path f = dir.resolve(model + ".onnx");
        if (!Files.isRegularFile(f)) {
            throw new IllegalStateException("no " + f.toAbsolutePath() + ": export the models first with "
                    + "/usr/bin/python3 scripts/export_onnx_fixtures.py --out " + dir + " (or set -D" + ONNX_DIR_PROPERTY + ")");
        }
        return f;
    }

    @Setup(Level.Trial)
    public void setUp() throws OrtException, IOException {
        // Before any kernel runs: the worker pool is sized from it once. OpenBLAS stays at one thread.
        System.setProperty("coedge.threads", Integer.toString(threads));
        Path file = onnxFile(model);
        Graph g = FoldBatchNorm.apply(OnnxImporter.load(file, null));
        executor = new Executor(g, Executor.providers(kernels));
        runArena = BumpArena.forGraph(g);
        float[] x = readInput(file, 3 * 224 * 224);
        inputArena = Arena.ofShared();
        input = Tensor.fromLogical(inputArena, x, 1, 3, 224, 224);

        env = OrtEnvironment.getEnvironment();
        OrtSession.SessionOptions opts = new OrtSession.SessionOptions();
        opts.setIntraOpNumThreads(threads);
        opts.setInterOpNumThreads(1);
        opts.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
        opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        session = env.createSession(file.toString(), opts);
        ortInputName = session.getInputNames().iterator().next();
        ortInput = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {1, 3, 224, 224});

        // Both must compute the same function, or the comparison means nothing.
        float[] ours = runOurs();
        float[] theirs = runOrt();
        double max = 0, diff = 0;
        for (int i = 0; i < ours.length; i++) {
            max = Math.max(max, Math.abs(theirs[i]));
            diff = Math.max(diff, Math.abs(ours[i] - theirs[i]));
        }
        if (diff > 1e-3 * max) {
            throw new IllegalStateException(model + ": CoEdge and ONNX Runtime disagree, max |diff| " + diff
                    + " of max |y| " + max);
        }
    }

    private static float[] readInput(Path onnx, int n) throws IOException {
        Path bin = onnx.resolveSibling(onnx.getFileName().toString().replace(".onnx", "_input.bin"));
        float[] x = new float[n];
        if (Files.isRegularFile(bin)) {
            ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(bin)).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().get(x, 0, Math.min(n, (int) (Files.size(bin) / 4)));
        } else {
            java.util.Random r = new java.util.Random(1);
            for (int i = 0; i < n; i++) {
                x[i] = (float) r.nextGaussian();
            }
        }
        return x;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws OrtException {
        ortInput.close();
        session.close();
        inputArena.close();
        runArena.release();
    }

    private float[] runOurs() {
        try (Arena arena = runArena) {
            return executor.run(arena, input).toLogicalArray();
        }
    }

    private float[] runOrt() throws OrtException {
        try (OrtSession.Result r = session.run(Map.of(ortInputName, ortInput))) {
            return ((float[][]) r.get(0).getValue())[0];
        }
    }

    /** One inference; intermediate maps come from a block reused across runs, as ORT's do. */
    @Benchmark
    public float coedge() {
        try (Arena arena = runArena) {
            return executor.run(arena, input).get(0);
        }
    }

    @Benchmark
    public Object onnxruntime() throws OrtException {
        try (OrtSession.Result r = session.run(Map.of(ortInputName, ortInput))) {
            return r.get(0);
        }
    }
}
