package io.coedge.cli;

import io.coedge.graph.KernelProvider;
import io.coedge.tensor.Tensor;
import io.coedge.transport.TransportConfiguration;
import io.coedge.transport.runtime.CooperativeDemo;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.nio.charset.StandardCharsets;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code coedge demo}: a zoo model on the bundled sample image on this machine, with top-5 and
 * latency; with {@code --workers N}, the cooperative demo ({@link CooperativeDemo}): the model split by
 * rows across N local worker processes and this one, compared with one device.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Run a zoo model on the bundled sample image and print the top-5 and latency.")
final class DemoCommand extends CoedgeCommand {
    static final String DEFAULT_MODEL = "resnet18";

    @Option(names = "--model", paramLabel = "MODEL", defaultValue = DEFAULT_MODEL,
            description = "Model to run (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--workers", paramLabel = "N",
            description = "Split the model by rows across N local worker processes (1 to 8) and this one, and "
                    + "compare with one device: rows, FLOPs and halo traffic per device, both latencies, both top-5.")
    Integer workers;

    @Mixin
    ExecOptions exec = new ExecOptions();

    @Override
    protected int execute() {
        PrintWriter out = out();
        if (workers != null) {
            return cooperative(out);
        }
        if (exec.repeat == null) {
            exec.repeat = 3;
        }
        List<KernelProvider> providers = exec.providers();
        int repeat = exec.repeatCount();
        int warmup = exec.warmupCount();
        ModelSource.Loaded loaded = ModelSource.load(model, null);
        out.println("CoEdge demo: " + loaded.name() + " on one device (this machine), bundled sample image");
        if (loaded.origin().startsWith("model zoo")) {
            out.println("(zoo weights are seeded random numbers, not trained: the classes carry no meaning,"
                    + " but every run and every device gives the same ones)");
        }
        Inference inference = new Inference(loaded.graph(), providers);
        int[] in = loaded.graph().inputs().get(0).shape();
        RunCommand.printHeader(out, loaded, "bundled sample image (ImageNet preprocessing)", in, inference);
        out.flush();
        Inference.Result result = infer(inference, ImagePreprocessor.toTensor(ImagePreprocessor.sample(), in),
                warmup, repeat);
        result.outputs().forEach((name, values) ->
                OutputReport.print(out, loaded.graph(), name, result.shapes().get(name), values));
        OutputReport.printLatency(out, result.latenciesNs(), warmup);
        return 0;
    }

    private int cooperative(PrintWriter out) {
        if (workers < 1 || workers > 8) {
            throw new UserError("--workers must be between 1 and 8, got " + workers);
        }
        int repeat = exec.repeat == null ? 3 : exec.repeatCount();
        exec.providers(); // validates --kernels and applies --threads to this process
        ModelSource.Loaded loaded = ModelSource.load(model, null);
        if (!loaded.origin().startsWith("model zoo")) {
            throw new UserError("the cooperative demo runs zoo models: " + String.join(", ", ModelSource.names()));
        }
        int[] in = loaded.graph().inputs().get(0).shape();
        out.println("CoEdge cooperative demo: " + loaded.name() + " on the bundled sample image, split by rows across "
                + workers + " local worker process" + (workers == 1 ? "" : "es") + " and this one");
        out.flush();
        // Workers are named worker1..N; a folder of their own keeps two demos on one machine apart.
        String oldBase = System.getProperty(TransportConfiguration.BASE_DIR_PROP);
        java.io.File base = oldBase != null ? null
                : new java.io.File(TransportConfiguration.baseDir(), "demo-" + ProcessHandle.current().pid());
        if (base != null) {
            System.setProperty(TransportConfiguration.BASE_DIR_PROP, base.getPath());
        }
        try (Arena arena = Arena.ofConfined();
             PrintStream ps = new PrintStream(new LineForwarder(out), true, StandardCharsets.UTF_8)) {
            Tensor input = Tensor.fromLogical(arena, ImagePreprocessor.toTensor(ImagePreprocessor.sample(), in), in);
            return CooperativeDemo.run(ps, loaded.name(), workers, input, repeat);
        } finally {
            if (base != null) {
                System.clearProperty(TransportConfiguration.BASE_DIR_PROP);
                base.delete(); // only if the workers and the driver left it empty, as they do when they stop
            }
        }
    }

    /** Passes what a PrintStream-based reporter prints on to the command's writer, line by line. */
    private static final class LineForwarder extends OutputStream {
        private final PrintWriter target;
        private final java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();

        LineForwarder(PrintWriter target) {
            this.target = target;
        }

        @Override
        public void write(int b) {
            line.write(b);
            if (b == '\n') {
                flush();
            }
        }

        @Override
        public void flush() {
            target.write(line.toString(StandardCharsets.UTF_8));
            target.flush();
            line.reset();
        }
    }

    /** The one-device inference. */
    Inference.Result infer(Inference inference, float[] input, int warmup, int repeat) {
        return inference.run(input, warmup, repeat);
    }
}
