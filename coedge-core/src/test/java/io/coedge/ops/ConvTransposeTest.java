package io.coedge.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.coedge.graph.Attributes;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ConvTransposeTest {

    /** Scatter form straight from the definition: every input pixel adds w * x to a k x k patch. */
    static float[] naive(float[] x, int c, int h, int w, float[] wt, int mpg, int k, int s, int d, int padT, int padL,
                         int group, float[] b, int oh, int ow) {
        int m = mpg * group, cpg = c / group;
        double[] y = new double[m * oh * ow];
        for (int ci = 0; ci < c; ci++) {
            int g = ci / cpg;
            for (int iy = 0; iy < h; iy++) {
                for (int ix = 0; ix < w; ix++) {
                    for (int mm = 0; mm < mpg; mm++) {
                        for (int ky = 0; ky < k; ky++) {
                            for (int kx = 0; kx < k; kx++) {
                                int oy = iy * s - padT + ky * d, ox = ix * s - padL + kx * d;
                                if (oy >= 0 && oy < oh && ox >= 0 && ox < ow) {
                                    y[((g * mpg + mm) * oh + oy) * ow + ox] += x[(ci * h + iy) * w + ix]
                                            * wt[((ci * mpg + mm) * k + ky) * k + kx];
                                }
                            }
                        }
                    }
                }
            }
        }
        float[] out = new float[y.length];
        for (int i = 0; i < y.length; i++) {
            out[i] = (float) (y[i] + (b == null ? 0 : b[i / (oh * ow)]));
        }
        return out;
    }

    @Test
    void stridedPaddedTransposedConvMatchesTorch() {
        // torch: F.conv_transpose2d(arange(1,19).reshape(1,2,3,3), arange(1,37).reshape(2,2,3,3)/10,
        //        stride=2, padding=1, output_padding=1); first row of channel 0.
        float[] x = OpRunner.iota(18);
        float[] w = new float[36];
        for (int i = 0; i < 36; i++) {
            w[i] = (i + 1) / 10f;
        }
        OpRunner r = new OpRunner().input(x, 1, 2, 3, 3).constant(w, 2, 2, 3, 3);
        float[] y = r.run(ConvTranspose.of(3, 2, 1, 1, 1));
        assertThat(y).hasSize(2 * 6 * 6);
        assertThat(new float[] {y[0], y[1], y[2], y[3], y[4], y[5], y[6]})
                .containsExactly(new float[] {23.5f, 49.6f, 26.3f, 55.2f, 29.1f, 30.6f, 53.6f}, within(1e-3f));
        assertThat(y[71]).isCloseTo(80.99999f, within(1e-3f));
    }

    @Test
    void groupedDilatedTransposedConvMatchesTheScatterDefinition() {
        Random rnd = new Random(5);
        int c = 4, h = 5, w = 4, mpg = 3, g = 2, k = 3, s = 2, d = 2;
        float[] x = OpRunner.random(rnd, c * h * w);
        float[] wt = OpRunner.random(rnd, c * mpg * k * k);
        float[] b = OpRunner.random(rnd, mpg * g);
        ConvTranspose op = new ConvTranspose(k, k, s, s, d, d, "NOTSET", new Pads(1, 2, 0, 1), 1, 0, 0, 0, g);
        OpRunner r = new OpRunner().input(x, 1, c, h, w).constant(wt, c, mpg, k, k).constant(b, mpg * g);
        int[] shape = r.shape(op);
        // 2*(5-1) + 1 + 4 + 1 - 1 - 0 = 13 rows; 2*(4-1) + 0 + 5 - 2 - 1 = 8 columns
        assertThat(shape).containsExactly(1, 6, 13, 8);
        float[] y = new OpRunner().input(x, 1, c, h, w).constant(wt, c, mpg, k, k).constant(b, mpg * g).run(op);
        float[] expect = naive(x, c, h, w, wt, mpg, k, s, d, 1, 2, g, b, 13, 8);
        assertThat(y).containsExactly(expect, within(1e-4f));
    }

    @Test
    void outputShapeAndSameUpperDerivePads() {
        Attributes a = new Attributes("up").put("strides", new long[] {2, 2}).put("output_shape", new long[] {10, 8});
        ConvTranspose op = ConvTranspose.fromAttributes("up", a, new int[] {1, 1, 3, 3});
        OpRunner r = new OpRunner().input(OpRunner.iota(20), 1, 1, 5, 4).constant(new float[9], 1, 1, 3, 3);
        assertThat(r.shape(op)).containsExactly(1, 1, 10, 8);
        ConvTranspose same = ConvTranspose.fromAttributes("up",
                new Attributes("up").put("strides", new long[] {2, 2}).put("auto_pad", "SAME_UPPER"), new int[] {1, 1, 3, 3});
        OpRunner r2 = new OpRunner().input(OpRunner.iota(20), 1, 1, 5, 4).constant(new float[9], 1, 1, 3, 3);
        assertThat(r2.shape(same)).containsExactly(1, 1, 10, 8);
        // total padding 2*(5-1) + 3 - 10 = 1: SAME_UPPER puts it at the end, so output row r reads input row r/2.
        float[] ones = new float[9];
        java.util.Arrays.fill(ones, 1f);
        float[] y = new OpRunner().input(OpRunner.iota(20), 1, 1, 5, 4).constant(ones, 1, 1, 3, 3).run(same);
        // Output (0, 0) gathers input (0, 0) only (other taps land on odd/negative offsets).
        assertThat(y[0]).isEqualTo(1f);
    }

    @Test
    void rowGeometryCoversEveryContributingInputRow() {
        ConvTranspose op = ConvTranspose.of(3, 2, 1, 1, 1);
        // Output row oy reads input rows iy with iy*2 - 1 + ky = oy: rows 4..6 need iy in {2, 3}.
        assertThat(op.inputRows(4, 7, 10)).containsExactly(2, 4);
        assertThat(op.inputRows(0, 1, 10)).containsExactly(0, 1);
        assertThat(op.inputRows(19, 20, 10)).containsExactly(9, 10);
    }
}
