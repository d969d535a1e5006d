package io.coedge.cli;

import io.coedge.graph.Graph;
import io.coedge.graph.Node;
import io.coedge.tensor.Shapes;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Locale;
import java.util.stream.IntStream;

/** Prints what a model produced: top-k of a class vector, or a summary of a map. */
final class OutputReport {
    static final int TOP_K = 5;

    private OutputReport() {
    }

    /**
     * Class scores: per batch item, exactly one dimension above 1 (1x1000, 1000, 1x1000x1x1, 4x1000).
     * The first dimension is the batch for rank 2 and up.
     */
    static boolean isClassVector(int[] shape) {
        if (shape.length == 1) {
            return shape[0] > 1;
        }
        int big = 0;
        for (int i = 1; i < shape.length; i++) {
            if (shape[i] > 1) {
                big++;
            }
        }
        return shape.length > 0 && shape[0] >= 1 && big == 1;
    }

    /** Whether the value is produced by a Softmax node, i.e. already holds probabilities. */
    static boolean isSoftmaxOutput(Graph graph, String value) {
        Node p = graph.producer(value);
        return p != null && p.op().type().equals("Softmax");
    }

    static void print(PrintWriter out, Graph graph, String name, int[] shape, float[] values) {
        if (isClassVector(shape)) {
            printTopK(out, name, shape, values, isSoftmaxOutput(graph, name));
        } else {
            printSummary(out, name, shape, values);
        }
    }

    /** Indices of the k largest values, largest first; ties by lower index. */
    static int[] topK(float[] values, int k) {
        return IntStream.range(0, values.length).boxed()
                .sorted(Comparator.<Integer>comparingDouble(i -> -values[i]).thenComparingInt(i -> i))
                .limit(k).mapToInt(Integer::intValue).toArray();
    }

    /** Softmax computed in double, stable against large logits. */
    static double[] softmax(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : logits) {
            max = Math.max(max, v);
        }
        double[] p = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < logits.length; i++) {
            p[i] = Math.exp(logits[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= sum;
        }
        return p;
    }

    private static void printTopK(PrintWriter out, String name, int[] shape, float[] values, boolean probabilities) {
        int batch = shape.length == 1 ? 1 : shape[0];
        int classes = values.length / batch;
        out.printf(Locale.ROOT, "output %s: %s class scores (%s)%n", name, Shapes.format(shape), probabilities
                ? "probabilities from the model's Softmax" : "logits; probability = softmax of the logits");
        for (int b = 0; b < batch; b++) {
            float[] row = Arrays.copyOfRange(values, b * classes, (b + 1) * classes);
            int[] top = topK(row, Math.min(TOP_K, classes));
            if (batch > 1) {
                out.printf(Locale.ROOT, "  batch item %d%n", b);
            }
            if (probabilities) {
                out.printf(Locale.ROOT, "  %4s %6s %12s%n", "rank", "class", "probability");
                for (int r = 0; r < top.length; r++) {
                    out.printf(Locale.ROOT, "  %4d %6d %12.6f%n", r + 1, top[r], row[top[r]]);
                }
            } else {
                double[] p = softmax(row);
                out.printf(Locale.ROOT, "  %4s %6s %12s %12s%n", "rank", "class", "logit", "probability");
                for (int r = 0; r < top.length; r++) {
                    out.printf(Locale.ROOT, "  %4d %6d %12.6f %12.6f%n", r + 1, top[r], row[top[r]], p[top[r]]);
                }
            }
        }
    }

    private static void printSummary(PrintWriter out, String name, int[] shape, float[] values) {
        double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY, sum = 0;
        int nonFinite = 0;
        for (float v : values) {
            if (!Float.isFinite(v)) {
                nonFinite++;
                continue;
            }
            min = Math.min(min, v);
            max = Math.max(max, v);
            sum += v;
        }
        int finite = values.length - nonFinite;
        out.printf(Locale.ROOT, "output %s: %s map, min %.6f, max %.6f, mean %.6f%s%n", name, Shapes.format(shape),
                finite == 0 ? Double.NaN : min, finite == 0 ? Double.NaN : max, finite == 0 ? Double.NaN : sum / finite,
                nonFinite == 0 ? "" : " (" + nonFinite + " values are NaN or infinite)");
    }

    static String formatMs(double ms) {
        return String.format(Locale.ROOT, ms >= 100 ? "%.0f ms" : ms >= 10 ? "%.1f ms" : "%.2f ms", ms);
    }

    static void printLatency(PrintWriter out, long[] latenciesNs, int warmup) {
        if (latenciesNs.length == 1) {
            out.printf(Locale.ROOT, "latency: %s (one run%s)%n", formatMs(latenciesNs[0] / 1e6),
                    warmup == 0 ? ", no warm-up: includes JIT compilation" : " after " + warmup + " warm-up"
                            + (warmup == 1 ? " run" : " runs"));
            return;
        }
        double[] mp = Inference.medianAndP90Ms(latenciesNs);
        long min = Arrays.stream(latenciesNs).min().orElse(0);
        out.printf(Locale.ROOT, "latency: median %s, p90 %s, min %s over %d runs after %d warm-up%s%n",
                formatMs(mp[0]), formatMs(mp[1]), formatMs(min / 1e6), latenciesNs.length, warmup,
                warmup == 1 ? " run" : " runs");
    }
}
