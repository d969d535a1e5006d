package io.coedge.ops;

import io.coedge.graph.Kernel;
import io.coedge.graph.KernelContext;
import io.coedge.graph.Op;
import io.coedge.graph.ShapeContext;
import io.coedge.tensor.Tensor;

/**
 * GlobalAveragePool or GlobalMaxPool: reduces every spatial position of {@code [N, C, H, W]} to
 * {@code [N, C, 1, 1]}. Needs whole maps, so it is not row-split (a partitioner gathers before it).
 *
 * @param type {@code "GlobalAveragePool"} or {@code "GlobalMaxPool"}
 */
public record GlobalPool(String type) implements Op {

    public GlobalPool {
        if (!type.equals("GlobalAveragePool") && !type.equals("GlobalMaxPool")) {
            throw new IllegalArgumentException("not a global pooling type: " + type);
        }
    }

    /** GlobalAveragePool. */
    public static GlobalPool average() {
        return new GlobalPool("GlobalAveragePool");
    }

    @Override
    public int[][] inferShapes(ShapeContext ctx) {
        int[] x = OpSupport.requireRank(ctx, 0, 4);
        return new int[][] {{x[0], x[1], 1, 1}};
    }

    @Override
    public long flops(int[][] in, int[][] out) {
        return OpSupport.size(in[0]);
    }

    @Override
    public Kernel referenceKernel(KernelContext ctx) {
        boolean max = type.equals("GlobalMaxPool");
        return (inputs, outputs) -> {
            Tensor x = inputs[0];
            Tensor y = outputs[0];
            int h = x.dim(2), w = x.dim(3);
            for (int n = 0; n < x.dim(0); n++) {
                for (int c = 0; c < x.dim(1); c++) {
                    double acc = max ? Double.NEGATIVE_INFINITY : 0;
                    for (int i = 0; i < h; i++) {
                        for (int j = 0; j < w; j++) {
                            float v = x.at4(n, c, i, j);
                            acc = max ? Math.max(acc, v) : acc + v;
                        }
                    }
                    y.set(y.offset4(n, c, 0, 0), (float) (max ? acc : acc / ((double) h * w)));
                }
            }
        };
    }
}
