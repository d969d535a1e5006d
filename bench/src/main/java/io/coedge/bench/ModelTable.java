package io.coedge.bench;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs {@link ModelBenchmark} and prints a Markdown table of latency, CoEdge next to ONNX Runtime at
 * each thread count, with the ratio ours/ORT (lower is better). Times are the fastest measurement
 * iteration of each.
 *
 * <p>Run: {@code java --enable-native-access=ALL-UNNAMED -cp bench/target/benchmarks.jar io.coedge.bench.ModelTable [models] [threads]}
 * e.g. {@code resnet18,vgg16 1,2}.
 */
public final class ModelTable {
    private ModelTable() {
    }

    public static void main(String[] args) throws Exception {
        String[] models = (args.length > 0 ? args[0] : "resnet18,alexnet,googlenet,vgg16").split(",");
        String[] threads = (args.length > 1 ? args[1] : "1,2").split(",");
        var o = new OptionsBuilder()
                .include(ModelBenchmark.class.getSimpleName())
                .param("model", models)
                .param("threads", threads)
                .warmupIterations(2).warmupTime(TimeValue.seconds(1))
                .measurementIterations(4).measurementTime(TimeValue.seconds(1))
                .jvmArgsPrepend("-D" + ModelBenchmark.ONNX_DIR_PROPERTY + "="
                        + System.getProperty(ModelBenchmark.ONNX_DIR_PROPERTY, "target/torch-exports"))
                .forks(1)
                .build();
        Collection<RunResult> results = new Runner(o).run();
        Map<String, double[]> ms = new LinkedHashMap<>();
        for (String m : models) {
            for (String t : threads) {
                ms.put(m + "|" + t, new double[2]);
            }
        }
        for (RunResult r : results) {
            String key = r.getParams().getParam("model") + "|" + r.getParams().getParam("threads");
            boolean ours = r.getParams().getBenchmark().endsWith(".coedge");
            ms.get(key)[ours ? 0 : 1] = r.getPrimaryResult().getStatistics().getMin();
        }
        System.out.printf("%nWhole model, one device: CoEdge (native kernels) vs ONNX Runtime %s, same ONNX file%n%n",
                ai.onnxruntime.OrtEnvironment.getEnvironment().getVersion());
        System.out.println("| model | threads | CoEdge ms | ONNX Runtime ms | CoEdge / ORT |");
        System.out.println("|---|---:|---:|---:|---:|");
        for (Map.Entry<String, double[]> e : ms.entrySet()) {
            String[] k = e.getKey().split("\\|");
            double ours = e.getValue()[0], ort = e.getValue()[1];
            System.out.printf("| %s | %s | %.1f | %.1f | %.2f |%n", k[0], k[1], ours, ort, ours / ort);
        }
    }
}
