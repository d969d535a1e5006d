package io.coedge.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import io.coedge.exec.Executor;
import io.coedge.graph.Graph;
import io.coedge.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * Loads a model exported by {@code scripts/export_onnx_fixtures.py} and compares CoEdge's output with
 * PyTorch's: max |diff| within 1e-4 of max |ref| and the same top-5 classes.
 */
final class ExportedModelCheck {
    static final double RELATIVE_TOLERANCE = 1e-4;

    record Result(String model, double maxAbsDiff, double maxAbsRef, int[] top5, int[] refTop5) {
        double relative() {
            return maxAbsDiff / maxAbsRef;
        }

        @Override
        public String toString() {
            return String.format("%s: max|diff| %.3g, max|ref| %.3g, ratio %.3g, top-5 %s (PyTorch %s)", model,
                    maxAbsDiff, maxAbsRef, relative(), Arrays.toString(top5), Arrays.toString(refTop5));
        }
    }

    private ExportedModelCheck() {
    }

    static float[] readFloats(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        float[] v = new float[b.remaining() / 4];
        b.asFloatBuffer().get(v);
        return v;
    }

    static int[] top5(float[] v) {
        return IntStream.range(0, v.length).boxed().sorted((a, b) -> Float.compare(v[b], v[a])).limit(5)
                .mapToInt(Integer::intValue).toArray();
    }

    /** Runs {@code dir/NAME.onnx} on {@code NAME_input.bin} and compares with {@code NAME_output.bin}. */
    static Result run(Path dir, String name, Executor executor) throws IOException {
        Graph g = executor.graph();
        float[] input = readFloats(dir.resolve(name + "_input.bin"));
        float[] ref = readFloats(dir.resolve(name + "_output.bin"));
        float[] out;
        try (Arena arena = Arena.ofConfined()) {
            Tensor x = Tensor.fromLogical(arena, input, g.inputs().get(0).shape());
            out = executor.run(arena, x).toLogicalArray();
        }
        assertThat(out).as(name + " output size").hasSameSizeAs(ref);
        double diff = 0;
        double max = 0;
        for (int i = 0; i < ref.length; i++) {
            diff = Math.max(diff, Math.abs(out[i] - ref[i]));
            max = Math.max(max, Math.abs(ref[i]));
        }
        return new Result(name, diff, max, top5(out), top5(ref));
    }

    static Result check(Path dir, String name, Executor executor) throws IOException {
        Result r = run(dir, name, executor);
        System.out.println(r);
        assertThat(r.maxAbsDiff()).as(r.toString()).isLessThanOrEqualTo(RELATIVE_TOLERANCE * r.maxAbsRef());
        assertThat(r.top5()).as(r.toString()).containsExactly(r.refTop5());
        return r;
    }

    static Graph load(Path dir, String name) {
        return OnnxImporter.load(dir.resolve(name + ".onnx"), null);
    }
}
