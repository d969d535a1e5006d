package io.coedge.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Whole-model latency, CoEdge vs ONNX Runtime, for a machine that others are using: the two are run
 * in alternating rounds of a few inferences in the same JVM, and each side's figure is its fastest
 * single inference. The minimum is what an inference costs when nothing else runs; alternating makes
 * both sides meet the same spells of background load, so the ratio holds up where {@link ModelTable}'s
 * one-second iterations (one side measured minutes after the other) do not.
 *
 * <p>Each thread count runs in its own JVM (the kernel worker pool is sized once per process).
 * Same setup as {@link ModelBenchmark}: same ONNX file, same input, both outputs checked equal first.
 *
 * <p>Run: {@code java --enable-native-access=ALL-UNNAMED -cp bench/target/benchmarks.jar io.coedge.bench.ModelRatio [models] [threads] [rounds]}
 * e.g. {@code resnet18,vgg16 1,2 12}.
 */
public final class ModelRatio {
    private ModelRatio() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("--child")) {
            child(args[1], Integer.parseInt(args[2]), Integer.parseInt(args[3]));
            return;
        }
        String models = args.length > 0 ? args[0] : "resnet18,alexnet,googlenet,vgg16";
        String[] threads = (args.length > 1 ? args[1] : "1,2").split(",");
        String rounds = args.length > 2 ? args[2] : "12";
        System.out.println("| model | threads | CoEdge ms | ONNX Runtime ms | CoEdge / ORT |");
        System.out.println("|---|---:|---:|---:|---:|");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        for (String t : threads) {
            for (String m : models.split(",")) {
                List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED",
                        "--add-modules=jdk.incubator.vector", "-Xmx4g", "-Dcoedge.openblas.coretype=auto",
                        "-D" + ModelBenchmark.ONNX_DIR_PROPERTY + "="
                                + System.getProperty(ModelBenchmark.ONNX_DIR_PROPERTY, "target/torch-exports"),
                        "-cp", System.getProperty("java.class.path"), ModelRatio.class.getName(), "--child", m, t, rounds));
                Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
                try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream()))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        if (line.startsWith("|")) {
                            System.out.println(line);
                        }
                    }
                }
                if (p.waitFor() != 0) {
                    System.out.println("| " + m + " | " + t + " | failed (exit " + p.exitValue() + ") | | |");
                }
            }
        }
    }

    private static void child(String model, int threads, int rounds) throws Exception {
        ModelBenchmark b = new ModelBenchmark();
        b.model = model;
        b.threads = threads;
        b.kernels = "native";
        b.setUp();
        try {
            // Rounds of about a quarter second per side.
            long t0 = System.nanoTime();
            b.coedge();
            double first = (System.nanoTime() - t0) / 1e6;
            int perRound = (int) Math.max(3, Math.min(20, 250 / Math.max(1, first)));
            double ours = Double.MAX_VALUE, ort = Double.MAX_VALUE;
            for (int round = 0; round < rounds; round++) {
                for (int i = 0; i < perRound; i++) {
                    long s = System.nanoTime();
                    b.coedge();
                    ours = Math.min(ours, (System.nanoTime() - s) / 1e6);
                }
                for (int i = 0; i < perRound; i++) {
                    long s = System.nanoTime();
                    b.onnxruntime();
                    ort = Math.min(ort, (System.nanoTime() - s) / 1e6);
                }
            }
            System.out.printf("| %s | %d | %.1f | %.1f | %.2f |%n", model, threads, ours, ort, ours / ort);
        } finally {
            b.tearDown();
        }
    }
}
