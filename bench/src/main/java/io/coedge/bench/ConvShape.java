package io.coedge.bench;

import io.coedge.graph.Graph;
import io.coedge.graph.GraphBuilder;
import io.coedge.ops.Conv;
import java.util.Random;

/**
 * One convolution layer shape from a real network, written {@code model/layer:C:H:W:M:k:s:p}
 * (input channels, input height and width, filters, square kernel, stride, padding).
 */
record ConvShape(String name, int c, int h, int w, int m, int k, int s, int p) {

    /** Every distinct conv shape of VGG-16 and ResNet-18 at 224x224 input. */
    static final String[] ZOO = {
        "vgg16/conv1_1:3:224:224:64:3:1:1",
        "vgg16/conv1_2:64:224:224:64:3:1:1",
        "vgg16/conv2_1:64:112:112:128:3:1:1",
        "vgg16/conv2_2:128:112:112:128:3:1:1",
        "vgg16/conv3_1:128:56:56:256:3:1:1",
        "vgg16/conv3_2:256:56:56:256:3:1:1",
        "vgg16/conv4_1:256:28:28:512:3:1:1",
        "vgg16/conv4_2:512:28:28:512:3:1:1",
        "vgg16/conv5_x:512:14:14:512:3:1:1",
        "resnet18/conv1:3:224:224:64:7:2:3",
        "resnet18/layer1:64:56:56:64:3:1:1",
        "resnet18/layer2.0.conv1:64:56:56:128:3:2:1",
        "resnet18/layer2.0.downsample:64:56:56:128:1:2:0",
        "resnet18/layer2:128:28:28:128:3:1:1",
        "resnet18/layer3.0.conv1:128:28:28:256:3:2:1",
        "resnet18/layer3.0.downsample:128:28:28:256:1:2:0",
        "resnet18/layer3:256:14:14:256:3:1:1",
        "resnet18/layer4.0.conv1:256:14:14:512:3:2:1",
        "resnet18/layer4.0.downsample:256:14:14:512:1:2:0",
        "resnet18/layer4:512:7:7:512:3:1:1",
    };

    static ConvShape parse(String spec) {
        String[] f = spec.split(":");
        if (f.length != 8) {
            throw new IllegalArgumentException("conv shape '" + spec + "' is not model/layer:C:H:W:M:k:s:p");
        }
        return new ConvShape(f[0], Integer.parseInt(f[1]), Integer.parseInt(f[2]), Integer.parseInt(f[3]),
                Integer.parseInt(f[4]), Integer.parseInt(f[5]), Integer.parseInt(f[6]), Integer.parseInt(f[7]));
    }

    int outH() {
        return (h + 2 * p - k) / s + 1;
    }

    int outW() {
        return (w + 2 * p - k) / s + 1;
    }

    /** sgemm dimensions of the same work: M = output pixels, N = filters, K = window size. */
    int gemmM() {
        return outH() * outW();
    }

    int gemmN() {
        return m;
    }

    int gemmK() {
        return k * k * c;
    }

    /** FLOPs of the layer without bias: 2 * M * N * K. */
    long flops() {
        return 2L * gemmM() * gemmN() * gemmK();
    }

    /** A one-node graph of this layer with seeded random weights and bias. */
    Graph graph() {
        Random r = new Random(42);
        float[] wt = new float[m * c * k * k];
        for (int i = 0; i < wt.length; i++) {
            wt[i] = r.nextFloat() - 0.5f;
        }
        float[] b = new float[m];
        GraphBuilder gb = new GraphBuilder(name);
        String in = gb.input("x", 1, c, h, w);
        String y = gb.node("conv", Conv.of(k, s, p, 1), in, gb.constant("w", wt, m, c, k, k), gb.constant("b", b, m));
        return gb.output(y).build();
    }
}
