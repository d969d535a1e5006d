package io.coedge.ops;

import io.coedge.graph.Attributes;
import io.coedge.graph.Kernel;
import io.coedge.graph.KernelContext;
import io.coedge.graph.Op;
import io.coedge.graph.RowKernel;
import io.coedge.graph.ShapeContext;
import io.coedge.tensor.Tensor;

/**
 * Local response normalisation across channels (ONNX LRN):
 * {@code y = x / (bias + alpha / size * sum(x[c']^2))^beta} with {@code c'} from
 * {@code c - floor((size-1)/2)} to {@code c + ceil((size-1)/2)} clipped to the channels. Row-local.
 */
public record Lrn(int size, float alpha, float beta, float bias) implements Op, RowSplittable {

    /** The op of an ONNX LRN node; {@code size} is required. */
    public static Lrn fromAttributes(String nodeName, Attributes a) {
        long size = a.getInt("size", -1);
        if (size <= 0) {
            throw OpSupport.error(nodeName, "LRN needs a positive 'size' attribute");
        }
        return new Lrn((int) size, a.getFloat("alpha", 1e-4f), a.getFloat("beta", 0.75f), a.getFloat("bias", 1f));
    }

    @Override
    public String type() {
        return "LRN";
    }

    @Override
    public int[][] inferShapes(ShapeContext ctx) {
        return new int[][] {OpSupport.requireRank(ctx, 0, 4)};
    }

    @Override
    public long flops(int[][] in, int[][] out) {
        return OpSupport.size(out[0]) * (2L * size + 4);
    }

    @Override
    public int[] inputRows(int r0, int r1, int inputHeight) {
        return RowSplittable.sameRows(r0, r1, inputHeight);
    }

    @Override
    public Kernel referenceKernel(KernelContext ctx) {
        int before = (size - 1) / 2;
        int after = size - 1 - before;
        return (RowKernel) (inputs, inputRow0, out, outRow0, r0, r1) -> {
            Tensor x = inputs[0];
            int row0 = inputRow0[0];
            int channels = out.dim(1);
            for (int n = 0; n < out.dim(0); n++) {
                for (int y = r0; y < r1; y++) {
                    for (int w = 0; w < out.dim(3); w++) {
                        for (int c = 0; c < channels; c++) {
                            float sum = 0;
                            for (int k = Math.max(0, c - before); k <= Math.min(channels - 1, c + after); k++) {
                                float v = x.at4(n, k, y - row0, w);
                                sum += v * v;
                            }
                            float v = x.at4(n, c, y - row0, w);
                            out.set(out.offset4(n, c, y - outRow0, w),
                                    (float) (v / Math.pow(bias + alpha / size * sum, beta)));
                        }
                    }
                }
            }
        };
    }
}
