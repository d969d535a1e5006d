package io.coedge.cli;

import io.coedge.graph.KernelProvider;
import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code coedge demo}: by default the cooperative demo ({@link CooperativeDemo}: worker processes with different CPU
 * caps split a zoo model, against one of them alone); with {@code --local}, the model on this machine alone, with
 * top-5 and latency.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = {"Cooperative demo: start worker processes with different CPU caps on this machine, split a zoo "
                + "model's rows across them, and print who computed which rows, the halo traffic, the latency against "
                + "one device and the top-5 (checked against one device). Stops the workers at the end.",
                "With --local: the model on this machine only, top-5 and latency."})
final class DemoCommand extends CoedgeCommand {
    static final String DEFAULT_MODEL = "vgg16";

    @Option(names = "--model", paramLabel = "MODEL", defaultValue = DEFAULT_MODEL,
            description = "Model to run (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--local", description = "Run on this machine only (one device), without workers.")
    boolean local;

    @Option(names = "--cpu", paramLabel = "Q1,Q2,...",
            description = "CPU cap of each worker in cores (default 1,0.5: two workers); caps need root and cgroup v1.")
    String cpu;

    @Mixin
    ExecOptions exec = new ExecOptions();

    /** Warm-up runs of each plan in the cooperative demo when {@code --warmup} is not given. */
    static final int DEMO_WARMUP = 20;

    @Override
    protected int execute() throws java.io.IOException {
        PrintWriter out = out();
        if (exec.repeat == null) {
            exec.repeat = 3;
        }
        List<KernelProvider> providers = exec.providers();
        int repeat = exec.repeatCount();
        int warmup = exec.warmupCount();
        if (!local) {
            double[] caps = cpu == null ? CooperativeDemo.defaultCaps(2) : CooperativeDemo.parseCaps(cpu);
            // Fresh worker JVMs compile their kernels and halo paths during the first runs, and a split runs
            // more of that code per inference: with two warm-ups ResNet-18's split measured three times its
            // steady latency here. Twenty unless told otherwise (a few seconds for ResNet-18).
            int demoWarmup = exec.warmup != null ? warmup : Math.max(warmup, DEMO_WARMUP);
            return new CooperativeDemo(out, model, caps, demoWarmup, repeat, providers).run();
        }
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

    /** The one-device inference; the cooperative demo replaces this step. */
    Inference.Result infer(Inference inference, float[] input, int warmup, int repeat) {
        return inference.run(input, warmup, repeat);
    }
}
