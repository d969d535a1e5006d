package io.coedge.bench;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs {@link ConvLayerBenchmark} over every distinct VGG-16 / ResNet-18 conv shape and prints a
 * Markdown table: ms and GFLOP/s of the conv, of a plain sgemm of the same M/N/K, and their ratio.
 * Times are the fastest measurement iteration of each, which is what survives other load on a shared
 * machine best.
 *
 * <p>Run: {@code java --enable-native-access=ALL-UNNAMED -cp bench/target/benchmarks.jar io.coedge.bench.ConvTable [threads] [provider] [layer-name-regex]}
 */
public final class ConvTable {
    private ConvTable() {
    }

    public static void main(String[] args) throws Exception {
        String threads = args.length > 0 ? args[0] : "1";
        String provider = args.length > 1 ? args[1] : "native";
        String filter = args.length > 2 ? args[2] : ".*";
        ChainedOptionsBuilder o = new OptionsBuilder()
                .include(ConvLayerBenchmark.class.getSimpleName())
                .param("threads", threads)
                .param("provider", provider)
                .warmupIterations(2).warmupTime(TimeValue.milliseconds(500))
                .measurementIterations(6).measurementTime(TimeValue.milliseconds(400))
                .forks(1);
        java.util.List<String> layers = new java.util.ArrayList<>();
        java.util.regex.Pattern pattern = java.util.regex.Pattern.compile(filter);
        for (String l : ConvShape.ZOO) {
            if (pattern.matcher(l.split(":")[0]).find()) {
                layers.add(l);
            }
        }
        if (layers.isEmpty()) {
            System.err.println("no layer name matches '" + filter + "'; names: model/layer as in " + ConvShape.class.getSimpleName());
            System.exit(2);
        }
        o.param("layer", layers.toArray(String[]::new));
        Collection<RunResult> results = new Runner(o.build()).run();
        Map<String, double[]> ms = new LinkedHashMap<>();
        for (String l : layers) {
            ms.put(l, new double[2]);
        }
        for (RunResult r : results) {
            String layer = r.getParams().getParam("layer");
            String bench = r.getParams().getBenchmark();
            // The fastest iteration: on a shared machine the mean mostly measures the neighbours.
            double score = r.getPrimaryResult().getStatistics().getMin();
            ms.get(layer)[bench.endsWith(".conv") ? 0 : 1] = score;
        }
        System.out.printf("%nConv layers, provider %s, %s thread(s): conv vs OpenBLAS sgemm of the same M/N/K%n%n", provider, threads);
        System.out.println("| layer | M x N x K | conv ms | conv GFLOP/s | sgemm ms | sgemm GFLOP/s | conv / sgemm |");
        System.out.println("|---|---|---:|---:|---:|---:|---:|");
        for (Map.Entry<String, double[]> e : ms.entrySet()) {
            ConvShape s = ConvShape.parse(e.getKey());
            double convMs = e.getValue()[0], gemmMs = e.getValue()[1];
            double gConv = s.flops() / (convMs * 1e6), gGemm = s.flops() / (gemmMs * 1e6);
            System.out.printf("| %s (k%d s%d) | %d x %d x %d | %.3f | %.1f | %.3f | %.1f | %.0f%% |%n", s.name(), s.k(), s.s(),
                    s.gemmM(), s.gemmN(), s.gemmK(), convMs, gConv, gemmMs, gGemm, 100 * gemmMs / convMs);
        }
    }
}
