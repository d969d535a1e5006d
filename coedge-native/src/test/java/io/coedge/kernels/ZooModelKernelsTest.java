package io.coedge.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import io.coedge.exec.Executor;
import io.coedge.graph.Graph;
import io.coedge.graph.KernelProvider;
import io.coedge.tensor.Tensor;
import io.coedge.zoo.ModelZoo;
import java.lang.foreign.Arena;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Whole zoo models through each fast provider give the reference's logits and top-5. */
@Tag("slow")
class ZooModelKernelsTest {

    @ParameterizedTest(name = "{0} with {1} kernels")
    @CsvSource({"resnet18,native", "alexnet,native", "googlenet,native", "vgg16,native", "resnet18,vector",
        "alexnet,vector"})
    void fastKernelsGiveTheReferenceOutput(String model, String provider) {
        KernelProvider p = provider.equals("native") ? new NativeKernelProvider() : new VectorKernelProvider();
        Assumptions.assumeTrue(p.available(), () -> provider + " kernels are not available here");
        Graph g = ModelZoo.build(model);
        Random r = new Random(5);
        float[] input = new float[3 * 224 * 224];
        for (int i = 0; i < input.length; i++) {
            input[i] = (float) r.nextGaussian();
        }
        try (Arena arena = Arena.ofConfined()) {
            Tensor x = Tensor.fromLogical(arena, input, 1, 3, 224, 224);
            Executor fast = new Executor(g, List.of(p));
            assertThat(fast.kernelSources().values()).contains(provider);
            float[] got = fast.run(arena, x).toLogicalArray();
            float[] expect = Executor.reference(g).run(arena, x).toLogicalArray();
            float max = 0;
            for (float v : expect) {
                max = Math.max(max, Math.abs(v));
            }
            for (int i = 0; i < expect.length; i++) {
                assertThat(Math.abs(got[i] - expect[i])).as("logit %d", i).isLessThanOrEqualTo(1e-4f * max);
            }
            assertThat(top5(got)).containsExactly(top5(expect));
        }
    }

    static int[] top5(float[] v) {
        return IntStream.range(0, v.length).boxed().sorted(Comparator.comparingDouble(i -> -v[i])).limit(5)
                .mapToInt(Integer::intValue).toArray();
    }

}
