package io.coedge.exec;

import static org.assertj.core.api.Assertions.assertThat;

import io.coedge.graph.Graph;
import io.coedge.graph.GraphBuilder;
import io.coedge.graph.Kernel;
import io.coedge.graph.KernelContext;
import io.coedge.graph.KernelProvider;
import io.coedge.ops.Binary;
import io.coedge.ops.Conv;
import io.coedge.ops.Unary;
import io.coedge.tensor.Tensor;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ExecutorFusionTest {

    /**
     * Reference kernels that record which nodes ran; Conv and Add offer a fused ReLU (reference, then
     * clamped), and every kernel claims to overwrite its output so buffers are not zeroed.
     */
    static final class Recording implements KernelProvider {
        final List<String> ran = new ArrayList<>();
        /** Whether Conv kernels also offer a fused residual Add. */
        final boolean convAdds;

        Recording(boolean convAdds) {
            this.convAdds = convAdds;
        }

        @Override
        public String name() {
            return "recording";
        }

        @Override
        public int priority() {
            return 0;
        }

        @Override
        public boolean available() {
            return true;
        }

        @Override
        public Kernel kernel(KernelContext ctx) {
            String name = ctx.node().name();
            Kernel ref = ctx.node().op().referenceKernel(ctx);
            boolean fusable = ctx.node().op() instanceof Conv || ctx.node().op().type().equals("Add");
            return kernel(name, ref, fusable, convAdds && ctx.node().op() instanceof Conv, false, false);
        }

        private Kernel kernel(String name, Kernel ref, boolean fusable, boolean addable, boolean add, boolean relu) {
            return new Kernel() {
                @Override
                public void run(Tensor[] inputs, Tensor[] outputs) {
                    ran.add(name + (add ? "+add" : "") + (relu ? "+relu" : ""));
                    outputs[0].fill(Float.NaN);
                    ref.run(add ? java.util.Arrays.copyOf(inputs, inputs.length - 1) : inputs, outputs);
                    if (add) {
                        Tensor r = inputs[inputs.length - 1];
                        for (long i = 0; i < outputs[0].size(); i++) {
                            outputs[0].set(i, outputs[0].get(i) + r.get(i));
                        }
                    }
                    if (relu) {
                        for (long i = 0; i < outputs[0].size(); i++) {
                            outputs[0].set(i, Math.max(0f, outputs[0].get(i)));
                        }
                    }
                }

                @Override
                public boolean overwritesOutputs() {
                    return true;
                }

                @Override
                public Kernel fuseRelu() {
                    return fusable && !relu ? kernel(name, ref, true, false, add, true) : null;
                }

                @Override
                public Kernel fuseAdd() {
                    return addable && !add && !relu ? kernel(name, ref, fusable, false, true, false) : null;
                }
            };
        }
    }

    private static float[] random(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    /** x -> conv1 -> relu1 -> conv2 -> add(conv2, relu1) -> relu2, plus conv3 -> relu3 where conv3 is also read by add2. */
    private static Graph residual(Random r) {
        GraphBuilder gb = new GraphBuilder("residual");
        String x = gb.input("x", 1, 4, 6, 5);
        Conv conv = new Conv(3, 3, 1, 1, 1, 1, "NOTSET", new long[] {1, 1, 1, 1}, 1);
        String c1 = gb.node("conv1", conv, x, gb.constant("w1", random(r, 4 * 4 * 9), 4, 4, 3, 3));
        String r1 = gb.node("relu1", Unary.relu(), c1);
        String c2 = gb.node("conv2", conv, r1, gb.constant("w2", random(r, 4 * 4 * 9), 4, 4, 3, 3));
        String sum = gb.node("add", Binary.add(), c2, r1);
        String r2 = gb.node("relu2", Unary.relu(), sum);
        String c3 = gb.node("conv3", conv, r2, gb.constant("w3", random(r, 4 * 4 * 9), 4, 4, 3, 3));
        String r3 = gb.node("relu3", Unary.relu(), c3);
        String out = gb.node("add2", Binary.add(), r3, c3);
        return gb.output(out).build();
    }

    /**
     * Runs {@link #residual} (weights and input from {@code seed}) twice through an executor over {@code rec},
     * each run equal to the reference bit for bit, and returns the executor; {@code rec.ran} holds the kernels
     * of the second run.
     */
    private static Executor runResidualTwiceAgainstTheReference(long seed, Recording rec) {
        Random r = new Random(seed);
        Graph g = residual(r);
        Executor fused = new Executor(g, List.of(rec));
        try (Arena arena = Arena.ofConfined()) {
            Tensor in = Tensor.fromLogical(arena, random(r, 4 * 6 * 5), 1, 4, 6, 5);
            float[] expect = Executor.reference(g).run(arena, in).toLogicalArray();
            for (int run = 0; run < 2; run++) {
                rec.ran.clear();
                assertThat(fused.run(arena, in).toLogicalArray()).as("run %d", run).containsExactly(expect);
            }
        }
        return fused;
    }

    @Test
    void reluThatIsTheOnlyReaderIsFusedIntoItsProducerAndTheAnswerIsUnchanged() {
        Recording rec = new Recording(false);
        Executor fused = runResidualTwiceAgainstTheReference(3, rec);
        // relu3 stays: conv3's output is read by add2 as well.
        assertThat(rec.ran).containsExactly("conv1+relu", "conv2", "add+relu", "conv3", "relu3", "add2");
        assertThat(fused.kernelSources()).containsEntry("relu1", "recording").containsKey("relu2");
    }

    @Test
    void reluOfAGraphOutputProducerIsNotFused() {
        GraphBuilder gb = new GraphBuilder("two outputs");
        String x = gb.input("x", 1, 2, 3, 3);
        Conv conv = new Conv(1, 1, 1, 1, 1, 1, "NOTSET", new long[] {0, 0, 0, 0}, 1);
        String c = gb.node("conv", conv, x, gb.constant("w", random(new Random(1), 4), 2, 2, 1, 1));
        String relu = gb.node("relu", Unary.relu(), c);
        Graph g = gb.output(c).output(relu).build();
        Recording rec = new Recording(false);
        Executor ex = new Executor(g, List.of(rec));
        try (Arena arena = Arena.ofConfined()) {
            Tensor in = Tensor.fromLogical(arena, random(new Random(2), 18), 1, 2, 3, 3);
            var got = ex.run(arena, java.util.Map.of("x", in));
            var expect = Executor.reference(g).run(arena, java.util.Map.of("x", in));
            assertThat(got.get(c).toLogicalArray()).containsExactly(expect.get(c).toLogicalArray());
            assertThat(got.get(relu).toLogicalArray()).containsExactly(expect.get(relu).toLogicalArray());
        }
        assertThat(rec.ran).containsExactly("conv", "relu");
    }

    @Test
    void residualAddIsFusedIntoTheConvThatIsItsOnlyProducerAndItsReluAfterIt() {
        Recording rec = new Recording(true);
        Executor fused = runResidualTwiceAgainstTheReference(4, rec);
        // conv2 + add + relu2 in one kernel; conv3's output has two readers, so nothing fuses there.
        assertThat(rec.ran).containsExactly("conv1+relu", "conv2+add+relu", "conv3", "relu3", "add2");
        assertThat(fused.kernelSources()).containsEntry("add", "recording").containsEntry("relu2", "recording");
    }
}
