package io.coedge.kernels;

import io.coedge.graph.Kernel;
import io.coedge.graph.KernelContext;
import io.coedge.graph.RowKernel;
import io.coedge.ops.Binary;
import io.coedge.ops.Unary;
import io.coedge.tensor.Tensor;
import java.util.Arrays;

/**
 * Relu and same-shape Add (the residual connections) through the C kernels. For batch-1 NHWC maps a
 * band of rows is one contiguous range, so both are a single call per band; other ranks run whole.
 * Inputs whose layouts differ from the output's (a row-major constant, say) go to the reference.
 */
final class ElementwiseRows implements RowKernel {
    private final NativeLibrary.Kernels kernels;
    private final boolean add;
    private final Kernel reference;
    /** Add only: clamp the sum at zero (a following Relu fused in). */
    private final boolean relu;
    /** Each calling thread's arguments of a parallel call ({@link KernelCall}). */
    private final ThreadLocal<BandCall> calls = ThreadLocal.withInitial(BandCall::new);

    private ElementwiseRows(NativeLibrary.Kernels kernels, boolean add, Kernel reference, boolean relu) {
        this.kernels = kernels;
        this.add = add;
        this.reference = reference;
        this.relu = relu;
    }

    /** Writes every output element (the executor need not zero the buffer first). */
    @Override
    public boolean overwritesOutputs() {
        return true;
    }

    /** A residual Add followed by Relu is one pass: the C add kernel clamps as it stores. */
    @Override
    public RowKernel fuseRelu() {
        return add && !relu ? new ElementwiseRows(kernels, true, reference, true) : null;
    }

    /** A kernel for a Relu or a same-shape Add, else null. */
    static ElementwiseRows of(KernelContext ctx, NativeLibrary.Kernels kernels) {
        if (ctx.node().op() instanceof Unary u && u.type().equals("Relu")) {
            return new ElementwiseRows(kernels, false, u.referenceKernel(ctx), false);
        }
        if (ctx.node().op() instanceof Binary b && b.type().equals("Add") && ctx.inputCount() == 2
                && Arrays.equals(ctx.inputShape(0), ctx.outputShape(0))
                && Arrays.equals(ctx.inputShape(1), ctx.outputShape(0))) {
            return new ElementwiseRows(kernels, true, b.referenceKernel(ctx), false);
        }
        return null;
    }

    private boolean sameLayouts(Tensor[] inputs, Tensor out) {
        for (int i = 0; i < (add ? 2 : 1); i++) {
            if (inputs[i].layout() != out.layout()) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void run(Tensor[] inputs, Tensor[] outputs) {
        Tensor out = outputs[0];
        if (!sameLayouts(inputs, out)) {
            reference.run(inputs, outputs);
            clampAfterReference(out, 0, out.size());
            return;
        }
        if (out.rank() == 4 && out.dim(0) == 1) {
            RowKernel.super.run(inputs, outputs);
            return;
        }
        for (int i = 0; i < (add ? 2 : 1); i++) {
            if (inputs[i].size() != out.size()) {
                throw new IllegalArgumentException("input " + inputs[i].describe() + " does not match output " + out.describe());
            }
        }
        apply(inputs, 0, 0, out, 0, out.size());
    }

    @Override
    public void runRows(Tensor[] inputs, int[] inputRow0, Tensor out, int outRow0, int r0, int r1) {
        if (!sameLayouts(inputs, out) || !(reference instanceof RowKernel)) {
            if (reference instanceof RowKernel rk) {
                rk.runRows(inputs, inputRow0, out, outRow0, r0, r1);
                if (out.rank() == 4) {
                    long rowElems = (long) out.dim(1) * out.dim(3);
                    clampAfterReference(out, (r0 - outRow0) * rowElems, (r1 - r0) * rowElems);
                }
                return;
            }
            throw new IllegalStateException("inputs in another layout than the output cannot be run by rows");
        }
        if (r0 < outRow0 || r1 > outRow0 + out.dim(2) || r0 > r1) {
            throw new IllegalArgumentException("output rows [" + r0 + ", " + r1 + ") are outside the output band");
        }
        long rowElems = (long) out.dim(1) * out.dim(3);
        for (int i = 0; i < (add ? 2 : 1); i++) {
            Tensor x = inputs[i];
            if (x.dim(1) != out.dim(1) || x.dim(3) != out.dim(3) || r0 < inputRow0[i] || r1 > inputRow0[i] + x.dim(2)) {
                throw new IllegalStateException("input " + i + " band " + x.describe() + " from row " + inputRow0[i]
                        + " does not hold rows [" + r0 + ", " + r1 + ")");
            }
        }
        long a0 = (r0 - inputRow0[0]) * rowElems;
        long b0 = add ? (r0 - inputRow0[1]) * rowElems : 0;
        long y0 = (r0 - outRow0) * rowElems;
        WorkerPool pool = WorkerPool.shared();
        // Memory-bound: split only large bands, in a few big pieces.
        int half = Math.max(1, Math.ceilDiv(r1 - r0, pool.threads()));
        BandCall c = KernelCall.take(calls, BandCall::new, this);
        c.inputs = inputs;
        c.out = out;
        c.r0 = r0;
        c.a0 = a0;
        c.b0 = b0;
        c.y0 = y0;
        c.rowElems = rowElems;
        KernelCall.forRows(pool, r0, r1, half, half, c);
    }

    /** One call's band of elements ({@link KernelCall}). */
    private static final class BandCall extends KernelCall<ElementwiseRows> implements WorkerPool.Rows {
        Tensor[] inputs;
        Tensor out;
        int r0;
        long a0;
        long b0;
        long y0;
        long rowElems;

        @Override
        public void run(int a, int b) {
            owner.apply(inputs, a0 + (a - r0) * rowElems, b0 + (a - r0) * rowElems, out, y0 + (a - r0) * rowElems,
                    (b - a) * rowElems);
        }

        @Override
        void clear() {
            inputs = null;
            out = null;
        }
    }

    /** Elements {@code [from, from + n)} of the output from the matching ranges of the inputs. */
    private void apply(Tensor[] inputs, long aFrom, long bFrom, Tensor out, long yFrom, long n) {
        long x = inputs[0].segment().address() + aFrom * Float.BYTES;
        long y = out.segment().address() + yFrom * Float.BYTES;
        if (add) {
            kernels.add(x, inputs[1].segment().address() + bFrom * Float.BYTES, y, n, relu);
        } else {
            kernels.relu(x, y, n);
        }
    }

    /** The fused Relu after a reference Add (inputs in another layout): elements {@code [from, from + n)}. */
    private void clampAfterReference(Tensor out, long from, long n) {
        if (relu) {
            long y = out.segment().address() + from * Float.BYTES;
            kernels.relu(y, y, n);
        }
    }
}
