package io.coedge.zoo;

import io.coedge.graph.Graph;
import io.coedge.graph.GraphBuilder;
import io.coedge.graph.ModelException;
import io.coedge.graph.Node;
import io.coedge.graph.passes.FoldBatchNorm;
import io.coedge.ops.BatchNorm;
import io.coedge.ops.Binary;
import io.coedge.ops.Concat;
import io.coedge.ops.Conv;
import io.coedge.ops.Flatten;
import io.coedge.ops.Gemm;
import io.coedge.ops.GlobalPool;
import io.coedge.ops.Pool;
import io.coedge.ops.Unary;
import io.coedge.tensor.Layout;
import io.coedge.tensor.Tensor;
import java.lang.foreign.Arena;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Classic ImageNet CNNs built in Java with torchvision's exact topologies and deterministic seeded
 * weights (nothing is downloaded): AlexNet, VGG-16, ResNet-18 and GoogLeNet.
 *
 * <p>Every model takes {@code "input"} of shape {@code 1x3x224x224} (logical NCHW) and produces
 * {@code 1x1000} logits named {@code "output"}. Nodes are named like torchvision's modules
 * ({@code features.0}, {@code layer1.0.conv1}, {@code inception3a.branch2.1.conv}). Adaptive average
 * pools that are identities at 224x224 (AlexNet's 6x6, VGG's 7x7) are left out; ResNet's and
 * GoogLeNet's 1x1 adaptive pools are GlobalAveragePool. Dropout is left out (identity at inference).
 * GoogLeNet has no auxiliary heads, {@code transform_input=False}, and its BasicConv2d is conv
 * (no bias) + BatchNorm(eps=0.001) + ReLU; its "5x5" branch uses a 3x3 conv, as torchvision's does.
 *
 * <p>Weights: He-uniform ({@code U(-sqrt(6/fanIn), sqrt(6/fanIn))}) for convs and linear layers so
 * activations keep their scale through ReLU stacks, small uniform biases, and BatchNorm parameters
 * near identity ({@code scale, var in [0.8, 1.2]}, {@code B, mean in [-0.1, 0.1]}), all from a
 * {@link SplittableRandom} with a fixed seed per model, so every build gives the same bits. BatchNorm
 * is folded into the preceding conv by default ({@link FoldBatchNorm}).
 */
public final class ModelZoo {
    private ModelZoo() {
    }

    private static final List<String> NAMES = List.of("alexnet", "vgg16", "resnet18", "googlenet");

    /** The model names {@link #build} accepts. */
    public static List<String> names() {
        return NAMES;
    }

    /** Builds a model with BatchNorm folded into the convs. */
    public static Graph build(String name) {
        return build(name, true);
    }

    /**
     * Builds a model.
     *
     * @param foldBatchNorm false keeps BatchNormalization nodes (as torchvision has them)
     * @throws ModelException for an unknown name, listing the known ones
     */
    public static Graph build(String name, boolean foldBatchNorm) {
        String key = name == null ? "" : name.trim().toLowerCase(java.util.Locale.ROOT);
        Graph g = switch (key) {
            case "alexnet" -> alexnet();
            case "vgg16" -> vgg16();
            case "resnet18" -> resnet18();
            case "googlenet" -> googlenet();
            default -> throw new ModelException("unknown zoo model '" + name + "'; known: " + String.join(", ", NAMES));
        };
        return foldBatchNorm ? FoldBatchNorm.apply(g) : g;
    }

    /** Graph builder plus a seeded weight source. */
    private static final class Net {
        final GraphBuilder b;
        final SplittableRandom random;
        final Arena arena = Arena.ofAuto();

        Net(String name, long seed) {
            this.b = new GraphBuilder(name, arena);
            this.random = new SplittableRandom(seed);
        }

        String uniform(String name, float bound, int... shape) {
            Tensor t = Tensor.allocate(arena, Layout.ROW_MAJOR, shape);
            for (long i = 0, n = t.size(); i < n; i++) {
                t.set(i, (float) ((random.nextDouble() * 2 - 1) * bound));
            }
            return b.constant(name, t);
        }

        String range(String name, float lo, float hi, int n) {
            Tensor t = Tensor.allocate(arena, Layout.ROW_MAJOR, n);
            for (int i = 0; i < n; i++) {
                t.set(i, (float) (lo + random.nextDouble() * (hi - lo)));
            }
            return b.constant(name, t);
        }

        String conv(String name, String x, int cin, int cout, int k, int stride, int pad, boolean bias) {
            float bound = (float) Math.sqrt(6.0 / (cin * k * k));
            String w = uniform(name + ".weight", bound, cout, cin, k, k);
            Conv op = Conv.of(k, stride, pad, 1);
            if (!bias) {
                return b.node(name, op, x, w);
            }
            return b.node(name, op, x, w, uniform(name + ".bias", 0.01f, cout));
        }

        String bn(String name, String x, int c, float eps) {
            String scale = range(name + ".weight", 0.8f, 1.2f, c);
            String shift = range(name + ".bias", -0.1f, 0.1f, c);
            String mean = range(name + ".running_mean", -0.1f, 0.1f, c);
            String var = range(name + ".running_var", 0.8f, 1.2f, c);
            return b.node(name, new BatchNorm(eps), x, scale, shift, mean, var);
        }

        String relu(String name, String x) {
            return b.node(name, Unary.relu(), x);
        }

        String linear(String name, String x, int in, int out) {
            String w = uniform(name + ".weight", (float) Math.sqrt(6.0 / in), out, in);
            return b.node(name, Gemm.linear(), x, w, uniform(name + ".bias", 0.01f, out));
        }

        /** The classifier's last linear layer, writing the graph output {@code "output"}. */
        Graph finish(String name, String x, int in, int out) {
            String w = uniform(name + ".weight", (float) Math.sqrt(6.0 / in), out, in);
            String bias = uniform(name + ".bias", 0.01f, out);
            b.add(new Node(name, Gemm.linear(), List.of(x, w, bias), List.of("output")));
            return b.output("output").build();
        }
    }

    private static Graph alexnet() {
        Net n = new Net("alexnet", 0xA1E7L);
        String x = n.b.input("input", 1, 3, 224, 224);
        x = n.conv("features.0", x, 3, 64, 11, 4, 2, true);
        x = n.relu("features.1", x);
        x = n.b.node("features.2", Pool.max(3, 2, 0, false), x);
        x = n.conv("features.3", x, 64, 192, 5, 1, 2, true);
        x = n.relu("features.4", x);
        x = n.b.node("features.5", Pool.max(3, 2, 0, false), x);
        x = n.conv("features.6", x, 192, 384, 3, 1, 1, true);
        x = n.relu("features.7", x);
        x = n.conv("features.8", x, 384, 256, 3, 1, 1, true);
        x = n.relu("features.9", x);
        x = n.conv("features.10", x, 256, 256, 3, 1, 1, true);
        x = n.relu("features.11", x);
        x = n.b.node("features.12", Pool.max(3, 2, 0, false), x);
        x = n.b.node("flatten", new Flatten(1), x);
        x = n.linear("classifier.1", x, 256 * 6 * 6, 4096);
        x = n.relu("classifier.2", x);
        x = n.linear("classifier.4", x, 4096, 4096);
        x = n.relu("classifier.5", x);
        return n.finish("classifier.6", x, 4096, 1000);
    }

    private static Graph vgg16() {
        Net n = new Net("vgg16", 0x7616L);
        String x = n.b.input("input", 1, 3, 224, 224);
        int[] cfg = {64, 64, -1, 128, 128, -1, 256, 256, 256, -1, 512, 512, 512, -1, 512, 512, 512, -1};
        int in = 3, idx = 0;
        for (int v : cfg) {
            if (v < 0) {
                x = n.b.node("features." + idx++, Pool.max(2, 2, 0, false), x);
            } else {
                x = n.conv("features." + idx++, x, in, v, 3, 1, 1, true);
                x = n.relu("features." + idx++, x);
                in = v;
            }
        }
        x = n.b.node("flatten", new Flatten(1), x);
        x = n.linear("classifier.0", x, 512 * 7 * 7, 4096);
        x = n.relu("classifier.1", x);
        x = n.linear("classifier.3", x, 4096, 4096);
        x = n.relu("classifier.4", x);
        return n.finish("classifier.6", x, 4096, 1000);
    }

    private static Graph resnet18() {
        Net n = new Net("resnet18", 0x2E518L);
        String x = n.b.input("input", 1, 3, 224, 224);
        x = n.conv("conv1", x, 3, 64, 7, 2, 3, false);
        x = n.bn("bn1", x, 64, 1e-5f);
        x = n.relu("relu", x);
        x = n.b.node("maxpool", Pool.max(3, 2, 1, false), x);
        int in = 64;
        int[] planes = {64, 128, 256, 512};
        for (int l = 0; l < 4; l++) {
            for (int blk = 0; blk < 2; blk++) {
                String p = "layer" + (l + 1) + "." + blk;
                int stride = l > 0 && blk == 0 ? 2 : 1;
                int out = planes[l];
                String identity = x;
                String y = n.conv(p + ".conv1", x, in, out, 3, stride, 1, false);
                y = n.bn(p + ".bn1", y, out, 1e-5f);
                y = n.relu(p + ".relu1", y);
                y = n.conv(p + ".conv2", y, out, out, 3, 1, 1, false);
                y = n.bn(p + ".bn2", y, out, 1e-5f);
                if (stride != 1 || in != out) {
                    identity = n.conv(p + ".downsample.0", x, in, out, 1, stride, 0, false);
                    identity = n.bn(p + ".downsample.1", identity, out, 1e-5f);
                }
                y = n.b.node(p + ".add", Binary.add(), y, identity);
                x = n.relu(p + ".relu2", y);
                in = out;
            }
        }
        x = n.b.node("avgpool", GlobalPool.average(), x);
        x = n.b.node("flatten", new Flatten(1), x);
        return n.finish("fc", x, 512, 1000);
    }

    private static String basicConv(Net n, String name, String x, int cin, int cout, int k, int stride, int pad) {
        String y = n.conv(name + ".conv", x, cin, cout, k, stride, pad, false);
        y = n.bn(name + ".bn", y, cout, 1e-3f);
        return n.relu(name + ".relu", y);
    }

    private static String inception(Net n, String name, String x, int in, int c1, int c3r, int c3, int c5r, int c5, int pool) {
        String b1 = basicConv(n, name + ".branch1", x, in, c1, 1, 1, 0);
        String b2 = basicConv(n, name + ".branch2.0", x, in, c3r, 1, 1, 0);
        b2 = basicConv(n, name + ".branch2.1", b2, c3r, c3, 3, 1, 1);
        String b3 = basicConv(n, name + ".branch3.0", x, in, c5r, 1, 1, 0);
        b3 = basicConv(n, name + ".branch3.1", b3, c5r, c5, 3, 1, 1);
        String b4 = n.b.node(name + ".branch4.0", Pool.max(3, 1, 1, true), x);
        b4 = basicConv(n, name + ".branch4.1", b4, in, pool, 1, 1, 0);
        return n.b.node(name + ".concat", new Concat(1), b1, b2, b3, b4);
    }

    private static Graph googlenet() {
        Net n = new Net("googlenet", 0x600613L);
        String x = n.b.input("input", 1, 3, 224, 224);
        x = basicConv(n, "conv1", x, 3, 64, 7, 2, 3);
        x = n.b.node("maxpool1", Pool.max(3, 2, 0, true), x);
        x = basicConv(n, "conv2", x, 64, 64, 1, 1, 0);
        x = basicConv(n, "conv3", x, 64, 192, 3, 1, 1);
        x = n.b.node("maxpool2", Pool.max(3, 2, 0, true), x);
        x = inception(n, "inception3a", x, 192, 64, 96, 128, 16, 32, 32);
        x = inception(n, "inception3b", x, 256, 128, 128, 192, 32, 96, 64);
        x = n.b.node("maxpool3", Pool.max(3, 2, 0, true), x);
        x = inception(n, "inception4a", x, 480, 192, 96, 208, 16, 48, 64);
        x = inception(n, "inception4b", x, 512, 160, 112, 224, 24, 64, 64);
        x = inception(n, "inception4c", x, 512, 128, 128, 256, 24, 64, 64);
        x = inception(n, "inception4d", x, 512, 112, 144, 288, 32, 64, 64);
        x = inception(n, "inception4e", x, 528, 256, 160, 320, 32, 128, 128);
        x = n.b.node("maxpool4", Pool.max(2, 2, 0, true), x);
        x = inception(n, "inception5a", x, 832, 256, 160, 320, 32, 128, 128);
        x = inception(n, "inception5b", x, 832, 384, 192, 384, 48, 128, 128);
        x = n.b.node("avgpool", GlobalPool.average(), x);
        x = n.b.node("flatten", new Flatten(1), x);
        return n.finish("fc", x, 1024, 1000);
    }
}
