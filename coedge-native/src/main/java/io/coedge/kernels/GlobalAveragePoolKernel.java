package io.coedge.kernels;

import io.coedge.graph.Kernel;
import io.coedge.graph.KernelContext;
import io.coedge.ops.GlobalPool;
import io.coedge.tensor.Layout;
import io.coedge.tensor.Tensor;

/** GlobalAveragePool of a batch-1 NHWC map: one pass over the pixels, channels as vectors (C kernel). */
final class GlobalAveragePoolKernel implements Kernel {
    private final NativeLibrary.Kernels kernels;
    private final Kernel reference;

    private GlobalAveragePoolKernel(NativeLibrary.Kernels kernels, Kernel reference) {
        this.kernels = kernels;
        this.reference = reference;
    }

    static GlobalAveragePoolKernel of(GlobalPool op, KernelContext ctx, NativeLibrary.Kernels kernels) {
        int[] x = ctx.inputShape(0);
        if (!op.type().equals("GlobalAveragePool") || x.length != 4 || x[0] != 1) {
            return null;
        }
        return new GlobalAveragePoolKernel(kernels, op.referenceKernel(ctx));
    }

    /** Writes every output element (the executor need not zero the buffer first). */
    @Override
    public boolean overwritesOutputs() {
        return true;
    }

    @Override
    public void run(Tensor[] inputs, Tensor[] outputs) {
        Tensor x = inputs[0], y = outputs[0];
        if (x.layout() != Layout.NHWC || x.dim(0) != 1 || y.size() != x.dim(1)) {
            reference.run(inputs, outputs);
            return;
        }
        // [1, C, 1, 1] holds C contiguous floats in either layout.
        kernels.globalAveragePool(x.segment().address(), y.segment().address(), x.dim(2) * x.dim(3), x.dim(1));
    }
}
