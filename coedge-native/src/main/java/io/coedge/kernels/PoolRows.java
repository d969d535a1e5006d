package io.coedge.kernels;

import io.coedge.graph.KernelContext;
import io.coedge.graph.RowKernel;
import io.coedge.ops.Pads;
import io.coedge.ops.Pool;
import io.coedge.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** MaxPool / AveragePool output rows through the C kernels ({@code coedge_f32_*pool_rows__<isa>}). */
final class PoolRows implements RowKernel {
    private final Pool pool;
    private final NativeLibrary.Kernels kernels;
    private final MemorySegment window;
    private final int inC;
    private final int inH;
    private final int inW;
    private final int outH;
    private final int outW;
    private final boolean max;
    /** Window geometry along the rows, for the input rows a band of output rows reads. */
    private final int kernelH;
    private final int strideH;
    private final int dilationH;
    private final int padTop;
    /** Each calling thread's arguments of a parallel call ({@link KernelCall}). */
    private final ThreadLocal<KernelCall.SegmentBand<PoolRows>> calls =
            ThreadLocal.withInitial(KernelCall.SegmentBand::new);

    private PoolRows(Pool pool, NativeLibrary.Kernels kernels, int[] x, int[] y, Pads p) {
        this.pool = pool;
        this.kernels = kernels;
        this.inC = x[1];
        this.inH = x[2];
        this.inW = x[3];
        this.outH = y[2];
        this.outW = y[3];
        this.max = pool.type().equals("MaxPool");
        this.kernelH = pool.kernelH();
        this.strideH = pool.strideH();
        this.dilationH = pool.dilationH();
        this.padTop = p.top();
        this.window = NativeLibrary.window(Arena.ofAuto(), inC, inH, inW, inC, outH, outW, pool.kernelH(),
                pool.kernelW(), pool.strideH(), pool.strideW(), pool.dilationH(), pool.dilationW(), p.top(), p.left(),
                p.bottom(), p.right());
    }

    /** A row kernel for this pooling node, or null when the shapes are not a batch-1 map. */
    static PoolRows of(Pool pool, KernelContext ctx, NativeLibrary.Kernels kernels) {
        int[] x = ctx.inputShape(0);
        int[] y = ctx.outputShape(0);
        if (x.length != 4 || x[0] != 1) {
            return null;
        }
        if (!pool.type().equals("MaxPool") && (pool.dilationH() != 1 || pool.dilationW() != 1)) {
            return null;
        }
        return new PoolRows(pool, kernels, x, y, pool.resolvePads(ctx, x[2], x[3]));
    }

    /** Writes every output element (the executor need not zero the buffer first). */
    @Override
    public boolean overwritesOutputs() {
        return true;
    }

    @Override
    public void runRows(Tensor[] inputs, int[] inputRow0, Tensor out, int outRow0, int r0, int r1) {
        Tensor x = inputs[0];
        int xRow0 = inputRow0[0];
        if (x.dim(1) != inC || x.dim(3) != inW || out.dim(1) != inC || out.dim(3) != outW) {
            throw new IllegalArgumentException("band shapes " + x.describe() + " -> " + out.describe()
                    + " do not match the prepared " + pool.type());
        }
        if (r0 < outRow0 || r1 > outRow0 + out.dim(2) || r0 > r1 || r1 > outH) {
            throw new IllegalArgumentException("output rows [" + r0 + ", " + r1 + ") are outside the output band ["
                    + outRow0 + ", " + (outRow0 + out.dim(2)) + ")");
        }
        if (r0 == r1) {
            return;
        }
        // the rows Pads.windowInputRows gives, computed here without its array: this runs on every band
        int needFrom = Math.max(0, Math.min(r0 * strideH - padTop, inH));
        int needTo = Math.max(needFrom, Math.min((r1 - 1) * strideH - padTop + (kernelH - 1) * dilationH + 1, inH));
        if (needFrom < needTo && (needFrom < xRow0 || needTo > xRow0 + x.dim(2))) {
            throw new IllegalStateException("input rows [" + needFrom + ", " + needTo + ") are needed but the band holds ["
                    + xRow0 + ", " + (xRow0 + x.dim(2)) + ")");
        }
        WorkerPool workers = WorkerPool.shared();
        MemorySegment xs = workers.shareable(x.segment()), ys = workers.shareable(out.segment());
        // At least 64 KiB of output per task: a 14x14 inception pool is a few microseconds of work, and
        // more tasks than that would cost more in hand-over than they save.
        int minChunk = (int) Math.max(1, Math.ceilDiv(64L << 10, (long) outW * inC * Float.BYTES));
        KernelCall.SegmentBand<PoolRows> c = KernelCall.take(calls, KernelCall.SegmentBand::new, this)
                .band(PoolRows::pool, xs, xRow0, ys, outRow0);
        KernelCall.forRows(workers, r0, r1, minChunk, Integer.MAX_VALUE, c);
    }

    private void pool(MemorySegment xs, int xRow0, MemorySegment ys, int outRow0, int a, int b) {
        if (max) {
            kernels.maxpool(window, xs, xRow0, ys, outRow0, a, b);
        } else {
            kernels.avgpool(window, xs, xRow0, ys, outRow0, a, b, pool.countIncludePad());
        }
    }
}
