package io.coedge.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.coedge.exec.Executor;
import io.coedge.graph.Graph;
import io.coedge.graph.GraphBuilder;
import io.coedge.tensor.Tensor;
import java.lang.foreign.Arena;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ConvReferenceTest {

    /** Naive NCHW convolution straight from the ONNX definition, on plain arrays. */
    static float[] naive(float[] x, int c, int h, int w, float[] wt, int m, int k, int s, int p, int d, int g,
                         float[] b, int oh, int ow) {
        float[] y = new float[m * oh * ow];
        int cpg = c / g, mpg = m / g;
        for (int o = 0; o < m; o++) {
            for (int oy = 0; oy < oh; oy++) {
                for (int ox = 0; ox < ow; ox++) {
                    double acc = b == null ? 0 : b[o];
                    for (int ci = 0; ci < cpg; ci++) {
                        for (int ky = 0; ky < k; ky++) {
                            for (int kx = 0; kx < k; kx++) {
                                int iy = oy * s - p + ky * d, ix = ox * s - p + kx * d;
                                if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
                                    int cin = (o / mpg) * cpg + ci;
                                    acc += x[(cin * h + iy) * w + ix] * wt[((o * cpg + ci) * k + ky) * k + kx];
                                }
                            }
                        }
                    }
                    y[(o * oh + oy) * ow + ox] = (float) acc;
                }
            }
        }
        return y;
    }

    @Test
    void groupedStridedDilatedConvMatchesTheOnnxDefinition() {
        Random r = new Random(7);
        int c = 4, h = 9, w = 7, m = 6, k = 3, s = 2, p = 2, d = 2, g = 2;
        float[] x = new float[c * h * w];
        float[] wt = new float[m * (c / g) * k * k];
        float[] b = new float[m];
        for (int i = 0; i < x.length; i++) x[i] = r.nextFloat() - 0.5f;
        for (int i = 0; i < wt.length; i++) wt[i] = r.nextFloat() - 0.5f;
        for (int i = 0; i < b.length; i++) b[i] = r.nextFloat();
        GraphBuilder gb = new GraphBuilder("t");
        String in = gb.input("x", 1, c, h, w);
        String y = gb.node("conv", Conv.of(k, s, p, g).withDilation(d), in, gb.constant("w", wt, m, c / g, k, k),
                gb.constant("b", b, m));
        Graph graph = gb.output(y).build();
        int[] os = graph.shape(y);
        assertThat(os).containsExactly(1, m, 5, 4);
        try (Arena arena = Arena.ofConfined()) {
            Tensor out = Executor.reference(graph).run(arena, Tensor.fromLogical(arena, x, 1, c, h, w));
            float[] expect = naive(x, c, h, w, wt, m, k, s, p, d, g, b, os[2], os[3]);
            float[] got = out.toLogicalArray();
            for (int i = 0; i < expect.length; i++) {
                assertThat(got[i]).as("element %d", i).isCloseTo(expect[i], within(1e-5f));
            }
        }
    }
}
