package io.coedge.kernels;

import io.coedge.graph.Kernel;
import io.coedge.graph.KernelContext;
import io.coedge.ops.Flatten;
import io.coedge.tensor.Layout;
import io.coedge.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Flatten of a batch-1 feature map to {@code [1, C*H*W]} (the step before a classifier) without the
 * reference's temporary array: a plain copy where the map is {@code C x 1 x 1} (NHWC and NCHW order
 * agree) or already row-major, else one pass reading the NHWC map in NCHW order.
 */
final class FlattenKernel implements Kernel {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private final Kernel reference;

    private FlattenKernel(Kernel reference) {
        this.reference = reference;
    }

    /** A kernel for Flatten with axis 1 of a batch-1 input, else null. */
    static FlattenKernel of(Flatten op, KernelContext ctx) {
        int[] x = ctx.inputShape(0);
        int axis = op.axis() < 0 ? op.axis() + x.length : op.axis();
        if (axis != 1 || x.length == 0 || x[0] != 1) {
            return null;
        }
        return new FlattenKernel(op.referenceKernel(ctx));
    }

    @Override
    public boolean overwritesOutputs() {
        return true;
    }

    @Override
    public void run(Tensor[] inputs, Tensor[] outputs) {
        Tensor x = inputs[0], y = outputs[0];
        if (y.layout() != Layout.ROW_MAJOR || x.size() != y.size()) {
            reference.run(inputs, outputs);
            return;
        }
        MemorySegment src = x.segment(), dst = y.segment();
        if (x.layout() == Layout.ROW_MAJOR || (x.layout() == Layout.NHWC && x.dim(2) * x.dim(3) == 1)) {
            MemorySegment.copy(src, 0, dst, 0, x.size() * Float.BYTES);
            return;
        }
        if (x.layout() != Layout.NHWC || x.rank() != 4) {
            reference.run(inputs, outputs);
            return;
        }
        int c = x.dim(1), pixels = x.dim(2) * x.dim(3);
        for (int p = 0; p < pixels; p++) {
            long from = (long) p * c;
            for (int ch = 0; ch < c; ch++) {
                dst.setAtIndex(F, (long) ch * pixels + p, src.getAtIndex(F, from + ch));
            }
        }
    }
}
