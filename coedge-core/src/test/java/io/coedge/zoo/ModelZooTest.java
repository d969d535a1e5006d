package io.coedge.zoo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.coedge.exec.Executor;
import io.coedge.graph.Graph;
import io.coedge.graph.ModelException;
import io.coedge.graph.passes.FoldBatchNorm;
import io.coedge.graph.Node;
import io.coedge.ops.Conv;
import io.coedge.ops.Gemm;
import io.coedge.tensor.Tensor;
import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class ModelZooTest {
    /** Builds are deterministic and VGG-16 alone holds 553 MB: build each variant once per run. */
    private static final Map<String, Graph> BUILT = new ConcurrentHashMap<>();

    static Graph model(String name, boolean fold) {
        Graph plain = BUILT.computeIfAbsent(name, k -> ModelZoo.build(name, false));
        return fold ? BUILT.computeIfAbsent(name + ".folded", k -> FoldBatchNorm.apply(plain)) : plain;
    }

    @AfterAll
    static void release() {
        BUILT.clear();
    }

    static Graph model(String name) {
        return model(name, true);
    }

    /**
     * Parameter counts. torchvision's counts (AlexNet 61,100,840, VGG-16 138,357,544, ResNet-18
     * 11,689,512, GoogLeNet 6,624,904) count BN weight and bias but not the running mean and
     * variance; a graph counts every constant, so with BN kept it has 2 more per BN channel (ResNet-18
     * has 4,800 BN channels, GoogLeNet 7,280). Folding removes all four BN vectors and adds one bias
     * per channel to the (bias-free) conv: torchvision's count minus the BN channels.
     */
    @ParameterizedTest
    @CsvSource({
        "alexnet, 61100840, 61100840",
        "vgg16, 138357544, 138357544",
        "resnet18, 11699112, 11684712",
        "googlenet, 6639464, 6617624"})
    void parameterCountsMatchTorchvision(String name, long unfolded, long folded) {
        assertThat(model(name, false).parameterCount()).isEqualTo(unfolded);
        assertThat(model(name).parameterCount()).isEqualTo(folded);
    }

    /** Multiply-adds of convs and linear layers as torchvision runs them (forward hooks, 224x224). */
    @ParameterizedTest
    @CsvSource({
        "alexnet, 714188480",
        "vgg16, 15470264320",
        "resnet18, 1814073344",
        "googlenet, 1498376192"})
    void convAndLinearWorkMatchesTorchvision(String name, long macs) {
        Graph g = model(name);
        long flops = 0;
        for (Node n : g.nodes()) {
            if (n.op() instanceof Conv || n.op() instanceof Gemm) {
                int[] out = g.shape(n.output());
                long outSize = Arrays.stream(out).asLongStream().reduce(1, (a, b) -> a * b);
                // Conv counts a bias add per output; Gemm counts beta*C plus the add.
                long biasAdds = !n.hasInput(2) ? 0 : n.op() instanceof Conv ? outSize : 2 * outSize;
                flops += g.flops(n) - biasAdds;
            }
        }
        assertThat(flops).isEqualTo(2 * macs);
        // Everything else (ReLU, pooling, adds, biases) is a small fraction.
        assertThat(g.totalFlops()).isBetween(2 * macs, (long) (2 * macs * 1.03));
    }

    @ParameterizedTest
    @ValueSource(strings = {"alexnet", "vgg16", "resnet18", "googlenet"})
    void everyModelMapsTheImageInputToThousandLogits(String name) {
        Graph g = model(name);
        assertThat(g.inputs()).hasSize(1);
        assertThat(g.inputs().get(0).name()).isEqualTo("input");
        assertThat(g.inputs().get(0).shape()).containsExactly(1, 3, 224, 224);
        assertThat(g.outputs()).containsExactly("output");
        assertThat(g.shape("output")).containsExactly(1, 1000);
        assertThat(g.nodes()).noneMatch(n -> n.op().type().equals("BatchNormalization"));
    }

    @Test
    void nodesAreNamedLikeTorchvisionModules() {
        assertThat(model("vgg16").nodes().stream().map(Node::name)).contains("features.0", "features.28",
                "classifier.6");
        assertThat(model("resnet18").nodes().stream().map(Node::name)).contains("conv1",
                "layer1.0.conv1", "layer2.0.downsample.0", "fc");
        assertThat(model("googlenet").nodes().stream().map(Node::name)).contains(
                "inception3a.branch3.1.conv", "inception5b.concat");
    }

    @Test
    void mapShapesFollowTorchvision() {
        Graph alex = model("alexnet");
        assertThat(alex.shape("features.12")).containsExactly(1, 256, 6, 6);
        Graph vgg = model("vgg16");
        assertThat(vgg.shape("features.30")).containsExactly(1, 512, 7, 7);
        Graph g = model("googlenet");
        assertThat(g.shape("maxpool1")).containsExactly(1, 64, 56, 56);
        assertThat(g.shape("inception3b.concat")).containsExactly(1, 480, 28, 28);
        assertThat(g.shape("maxpool4")).containsExactly(1, 832, 7, 7);
        assertThat(g.shape("inception5b.concat")).containsExactly(1, 1024, 7, 7);
    }

    @Test
    void buildFoldsBatchNormByDefault() {
        assertThat(ModelZoo.build("resnet18").parameterCount()).isEqualTo(model("resnet18", true).parameterCount());
    }

    @Test
    void buildsAreDeterministic() {
        Graph a = ModelZoo.build("resnet18");
        Graph b = ModelZoo.build("resnet18");
        String w = a.nodes().get(0).input(1);
        assertThat(a.constant(w).toLogicalArray()).containsExactly(b.constant(w).toLogicalArray());
    }

    @Test
    void unknownNameListsTheKnownModels() {
        assertThatThrownBy(() -> ModelZoo.build("resnet50")).isInstanceOf(ModelException.class)
                .hasMessageContaining("resnet50").hasMessageContaining("alexnet, vgg16, resnet18, googlenet");
    }

    @ParameterizedTest
    @ValueSource(strings = {"alexnet", "resnet18", "googlenet"})
    void logitsAreNotDegenerateAndTopFiveIsStable(String name) {
        Graph g = model(name);
        SplittableRandom r = new SplittableRandom(3);
        float[] img = new float[3 * 224 * 224];
        for (int i = 0; i < img.length; i++) {
            img[i] = (float) (r.nextGaussian());
        }
        try (Arena arena = Arena.ofConfined()) {
            Executor ex = Executor.reference(g);
            float[] y1 = ex.run(arena, Tensor.fromLogical(arena, img, 1, 3, 224, 224)).toLogicalArray();
            float[] y2 = ex.run(arena, Tensor.fromLogical(arena, img, 1, 3, 224, 224)).toLogicalArray();
            assertThat(y1).containsExactly(y2);
            double mean = 0, var = 0;
            for (float v : y1) {
                assertThat(Float.isFinite(v)).isTrue();
                mean += v / y1.length;
            }
            for (float v : y1) {
                var += (v - mean) * (v - mean) / y1.length;
            }
            assertThat(Math.sqrt(var)).as("spread of logits").isGreaterThan(1e-3);
            int[] top = top5(y1);
            // A clear top-5: the fifth logit stands apart from the sixth by more than float noise.
            assertThat(y1[top[4]] - y1[top5Sixth(y1, top)]).isGreaterThan(1e-4f);
        }
    }

    static int[] top5(float[] y) {
        return IntStream.range(0, y.length).boxed().sorted(Comparator.comparingDouble(i -> -y[i])).limit(5)
                .mapToInt(Integer::intValue).toArray();
    }

    private static int top5Sixth(float[] y, int[] top) {
        return IntStream.range(0, y.length).boxed().sorted(Comparator.comparingDouble(i -> -y[i])).skip(5).findFirst()
                .orElseThrow();
    }
}
