package io.coedge.cli;

import io.coedge.exec.Executor;
import io.coedge.graph.Graph;
import io.coedge.graph.KernelProvider;
import io.coedge.tensor.Tensor;
import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One-device inference as the CLI runs it: prepare an executor once, run it {@code warmup} times
 * untimed and {@code repeat} times timed, keep the last outputs in logical order.
 */
final class Inference {
    /** Outputs of the last run in logical order, their shapes, and the timed latencies in ns. */
    record Result(Map<String, float[]> outputs, Map<String, int[]> shapes, long[] latenciesNs) {
    }

    private final Graph graph;
    private final Executor executor;

    Inference(Graph graph, List<KernelProvider> providers) {
        this.graph = graph;
        this.executor = new Executor(graph, providers);
    }

    Graph graph() {
        return graph;
    }

    /** "native: 40 nodes, reference: 12 nodes". */
    String kernelSummary() {
        Map<String, Integer> counts = new TreeMap<>();
        executor.kernelSources().values().forEach(s -> counts.merge(s, 1, Integer::sum));
        StringBuilder sb = new StringBuilder();
        counts.forEach((k, v) -> sb.append(sb.isEmpty() ? "" : ", ").append(k).append(" (").append(v)
                .append(v == 1 ? " layer)" : " layers)"));
        return sb.toString();
    }

    Result run(float[] input, int warmup, int repeat) {
        if (graph.inputs().size() != 1) {
            throw new UserError("model " + graph.name() + " has " + graph.inputs().size()
                    + " inputs; the command line runs models with exactly one input");
        }
        Graph.Input in = graph.inputs().get(0);
        long[] latencies = new long[repeat];
        Map<String, float[]> outputs = new LinkedHashMap<>();
        Map<String, int[]> shapes = new LinkedHashMap<>();
        try (Arena inputArena = Arena.ofConfined()) {
            Tensor x = Tensor.fromLogical(inputArena, input, in.shape());
            for (int i = 0; i < warmup + repeat; i++) {
                // A fresh arena per run frees the intermediates of the previous one.
                try (Arena arena = Arena.ofConfined()) {
                    long t0 = System.nanoTime();
                    Map<String, Tensor> out = executor.run(arena, Map.of(in.name(), x));
                    long t1 = System.nanoTime();
                    if (i >= warmup) {
                        latencies[i - warmup] = t1 - t0;
                    }
                    if (i == warmup + repeat - 1) {
                        out.forEach((name, t) -> {
                            outputs.put(name, t.toLogicalArray());
                            shapes.put(name, t.shape());
                        });
                    }
                }
            }
        }
        return new Result(outputs, shapes, latencies);
    }

    /** Median and 90th percentile (nearest rank) of the latencies, in ms. */
    static double[] medianAndP90Ms(long[] latenciesNs) {
        long[] s = latenciesNs.clone();
        Arrays.sort(s);
        double median = s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2.0;
        int rank = (int) Math.ceil(0.9 * s.length);
        double p90 = s[Math.max(rank - 1, 0)];
        return new double[] {median / 1e6, p90 / 1e6};
    }
}
