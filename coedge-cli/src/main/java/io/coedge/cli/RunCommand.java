package io.coedge.cli;

import io.coedge.graph.Graph;
import io.coedge.graph.KernelProvider;
import io.coedge.tensor.Shapes;
import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code coedge run}: one inference of a model on one device. */
@Command(name = "run", sortOptions = false, mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = {"Run one inference of a model on this machine and print the top-5 classes (or a summary "
                + "of a map output) and the latency.",
                "Raw .bin files are little-endian float32 in NCHW order with the model's input/output shape."})
final class RunCommand extends CoedgeCommand {
    /** Largest input accepted by --input-shape: 1 GiB of float32. */
    static final long MAX_INPUT_ELEMENTS = 1L << 28;

    @Option(names = "--model", required = true, paramLabel = "MODEL",
            description = "A zoo model (vgg16, resnet18, alexnet, googlenet) or a path to an .onnx file.")
    String model;

    @Option(names = "--input", paramLabel = "IMAGE",
            description = "Image file (PNG, JPEG, ...) given ImageNet preprocessing. Default: the bundled sample image.")
    Path image;

    @Option(names = "--input-raw", paramLabel = "IN.bin", description = "Raw input tensor instead of an image.")
    Path inputRaw;

    @Option(names = "--input-shape", paramLabel = "NxCxHxW",
            description = "Concrete input shape for ONNX models with free dimensions.")
    String inputShape;

    @Option(names = "--output-raw", paramLabel = "OUT.bin", description = "Write the output tensor here.")
    Path outputRaw;

    @Mixin
    ExecOptions exec = new ExecOptions();

    @Mixin
    PartitionOptions split = new PartitionOptions();

    @Override
    protected int execute() {
        if (split.active()) {
            split.validate();
        }
        if (image != null && inputRaw != null) {
            throw new UserError("give either --input or --input-raw, not both");
        }
        int[] shape = inputShape == null ? null : parseShape(inputShape);
        List<KernelProvider> providers = exec.providers();
        int repeat = exec.repeatCount();
        int warmup = exec.warmupCount();
        if (inputRaw != null && !Files.isRegularFile(inputRaw)) {
            throw new UserError(Files.exists(inputRaw) ? "raw input " + inputRaw + " is not a regular file"
                    : "raw input file not found: " + inputRaw);
        }
        if (outputRaw != null) {
            Path parent = outputRaw.toAbsolutePath().getParent();
            if (Files.isDirectory(outputRaw) || parent == null || !Files.isDirectory(parent)) {
                throw new UserError("cannot write --output-raw " + outputRaw + ": not a file in an existing folder");
            }
        }
        BufferedImage img = inputRaw != null ? null : image != null ? ImagePreprocessor.read(image)
                : ImagePreprocessor.sample();

        ModelSource.Loaded loaded = ModelSource.load(model, shape,
                img == null ? null : new int[] {img.getWidth(), img.getHeight()});
        Graph graph = loaded.graph();
        if (outputRaw != null && graph.outputs().size() != 1) {
            throw new UserError("model " + loaded.name() + " has " + graph.outputs().size()
                    + " outputs; --output-raw writes models with one output");
        }
        if (graph.inputs().size() != 1) {
            throw new UserError("model " + loaded.name() + " has " + graph.inputs().size()
                    + " inputs; the command line runs models with exactly one input");
        }
        int[] in = graph.inputs().get(0).shape();
        float[] input;
        String inputText;
        if (inputRaw != null) {
            input = RawTensors.read(inputRaw, in);
            inputText = "raw " + inputRaw;
        } else if (loaded.shapeFromImage()) {
            input = ImagePreprocessor.toTensorAsIs(img, in);
            inputText = (image == null ? "bundled sample image" : image.toString()) + " (" + img.getWidth() + "x"
                    + img.getHeight() + ", the model's free height and width; ImageNet mean/std, no resize)";
        } else {
            input = ImagePreprocessor.toTensor(img, in);
            inputText = image == null ? "bundled sample image (ImageNet preprocessing)"
                    : image + " (" + img.getWidth() + "x" + img.getHeight() + ", ImageNet preprocessing)";
        }

        PrintWriter out = out();
        if (split.active()) {
            DistributedRun.Outcome o = new DistributedRun(split, out).run(new DistributedRun.Input(loaded, model,
                    shape != null, input, inputText, warmup, repeat, providers, exec.threads));
            writeOutput(out, o.outputs().values().iterator().next());
            if (o.differs()) {
                out.flush();
                err().println("coedge: error: the split run's output differs from the one-device run (see check: above)");
                return 1;
            }
            return 0;
        }
        Inference inference = new Inference(graph, providers);
        printHeader(out, loaded, inputText, in, inference);
        out.flush();
        Inference.Result result = inference.run(input, warmup, repeat);
        result.outputs().forEach((name, values) ->
                OutputReport.print(out, graph, name, result.shapes().get(name), values));
        OutputReport.printLatency(out, result.latenciesNs(), warmup);
        writeOutput(out, result.outputs().values().iterator().next());
        return 0;
    }

    private void writeOutput(PrintWriter out, float[] values) {
        if (outputRaw != null) {
            RawTensors.write(outputRaw, values);
            out.printf(Locale.ROOT, "wrote %s (%d bytes, float32 little-endian)%n", outputRaw,
                    (long) values.length * Float.BYTES);
        }
    }

    static void printHeader(PrintWriter out, ModelSource.Loaded loaded, String inputText, int[] in, Inference inf) {
        Graph g = inf.graph();
        out.printf(Locale.ROOT, "model:   %s (%s): %d layers, %s FLOPs, %s parameters%n", loaded.name(),
                loaded.origin(), g.nodes().size(), human(g.totalFlops()), human(g.parameterCount()));
        out.printf(Locale.ROOT, "input:   %s -> %s%n", inputText, Shapes.format(in));
        out.printf(Locale.ROOT, "kernels: %s%s%n", inf.kernelSummary(),
                System.getProperty(ExecOptions.THREADS_PROPERTY) == null ? ""
                        : "; threads " + System.getProperty(ExecOptions.THREADS_PROPERTY));
    }

    /** 3.64 G, 11.7 M, 10.5 k, 950. */
    static String human(long n) {
        if (n >= 1_000_000_000L) {
            return String.format(Locale.ROOT, "%.2f G", n / 1e9);
        }
        if (n >= 1_000_000L) {
            return String.format(Locale.ROOT, "%.1f M", n / 1e6);
        }
        if (n >= 1_000L) {
            return String.format(Locale.ROOT, "%.1f k", n / 1e3);
        }
        return Long.toString(n);
    }

    static int[] parseShape(String text) {
        int[] s = Shapes.parse(text);
        if (s.length != 4) {
            throw new UserError("--input-shape '" + text + "' must have four dimensions, NxCxHxW (e.g. 1x3x224x224)");
        }
        if (Shapes.size(s) > MAX_INPUT_ELEMENTS) {
            throw new UserError("--input-shape " + text + " has " + Shapes.size(s) + " elements; at most "
                    + MAX_INPUT_ELEMENTS + " (1 GiB of float32) are accepted");
        }
        return s;
    }
}
