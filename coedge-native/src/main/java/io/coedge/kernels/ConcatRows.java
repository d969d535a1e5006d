package io.coedge.kernels;

import io.coedge.graph.KernelContext;
import io.coedge.graph.RowKernel;
import io.coedge.ops.Concat;
import io.coedge.tensor.Tensor;
import java.lang.foreign.MemorySegment;

/**
 * Channel concatenation of batch-1 NHWC maps (the inception joins): for every pixel of the band,
 * each input's channels are one contiguous run of the output pixel, so the join is one strided copy
 * per input ({@code coedge_f32_copy_rows}), split by rows over the threads. Inputs in another layout
 * go to the reference.
 */
final class ConcatRows implements RowKernel {
    private final NativeLibrary.Kernels kernels;
    private final RowKernel reference;
    /** Each calling thread's arguments of a parallel call ({@link KernelCall}). */
    private final ThreadLocal<BandCall> calls = ThreadLocal.withInitial(BandCall::new);

    private ConcatRows(NativeLibrary.Kernels kernels, RowKernel reference) {
        this.kernels = kernels;
        this.reference = reference;
    }

    /** A kernel for a channel-axis Concat of batch-1 rank-4 maps, else null. */
    static ConcatRows of(Concat op, KernelContext ctx, NativeLibrary.Kernels kernels) {
        int[] y = ctx.outputShape(0);
        if (y.length != 4 || y[0] != 1 || (op.axis() != 1 && op.axis() != -3)) {
            return null;
        }
        for (int i = 0; i < ctx.inputCount(); i++) {
            if (!ctx.hasInput(i)) {
                return null;
            }
        }
        return op.referenceKernel(ctx) instanceof RowKernel rk ? new ConcatRows(kernels, rk) : null;
    }

    /** Writes every output element (each output channel belongs to exactly one input). */
    @Override
    public boolean overwritesOutputs() {
        return true;
    }

    @Override
    public void runRows(Tensor[] inputs, int[] inputRow0, Tensor out, int outRow0, int r0, int r1) {
        if (r0 < outRow0 || r1 > outRow0 + out.dim(2) || r0 > r1) {
            throw new IllegalArgumentException("output rows [" + r0 + ", " + r1 + ") are outside the output band");
        }
        int channels = 0;
        for (int i = 0; i < inputs.length; i++) {
            Tensor x = inputs[i];
            if (x.layout() != out.layout() || x.dim(3) != out.dim(3)) {
                reference.runRows(inputs, inputRow0, out, outRow0, r0, r1);
                return;
            }
            if (r0 < inputRow0[i] || r1 > inputRow0[i] + x.dim(2)) {
                throw new IllegalStateException("input " + i + " band " + x.describe() + " from row " + inputRow0[i]
                        + " does not hold rows [" + r0 + ", " + r1 + ")");
            }
            channels += x.dim(1);
        }
        int c = out.dim(1), w = out.dim(3);
        if (channels != c) {
            throw new IllegalArgumentException("inputs hold " + channels + " channels, the output " + c);
        }
        if (r0 == r1) {
            return;
        }
        WorkerPool pool = WorkerPool.shared();
        int half = Math.max(1, Math.ceilDiv(r1 - r0, pool.threads()));
        MemorySegment ys = out.segment();
        BandCall call = KernelCall.take(calls, BandCall::new, this);
        call.inputs = inputs;
        call.inputRow0 = inputRow0;
        call.ys = ys;
        call.outRow0 = outRow0;
        call.w = w;
        call.c = c;
        KernelCall.forRows(pool, r0, r1, half, half, call);
    }

    /** One call's band of rows to gather from the inputs ({@link KernelCall}). */
    private static final class BandCall extends KernelCall<ConcatRows> implements WorkerPool.Rows {
        Tensor[] inputs;
        int[] inputRow0;
        MemorySegment ys;
        int outRow0;
        int w;
        int c;

        @Override
        public void run(int a, int b) {
            long pixels = (long) (b - a) * w;
            long dst = ys.address() + (long) (a - outRow0) * w * c * Float.BYTES;
            for (int i = 0; i < inputs.length; i++) {
                Tensor x = inputs[i];
                int ci = x.dim(1);
                long src = x.segment().address() + (long) (a - inputRow0[i]) * w * ci * Float.BYTES;
                owner.kernels.copyRows(dst, c, src, ci, pixels, ci);
                dst += (long) ci * Float.BYTES;
            }
        }

        @Override
        void clear() {
            inputs = null;
            inputRow0 = null;
            ys = null;
        }
    }

    @Override
    public String toString() {
        return "ConcatRows";
    }
}
