package io.coedge.kernels;

import io.coedge.graph.Kernel;
import io.coedge.graph.KernelContext;
import io.coedge.ops.Gemm;
import io.coedge.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.function.IntConsumer;

/**
 * ONNX Gemm with a constant B (a fully connected layer): {@code Y = alpha * A' * B' + beta * C}.
 * The term {@code beta * C}, broadcast to {@code [M, N]}, is computed once here; a run copies it into
 * Y and lets sgemm accumulate. With OpenBLAS, B is used in place (transposed by the BLAS call, no
 * copy of the often large weight); the Vector API path packs it once as {@code [K, N]}.
 */
final class GemmKernel implements Kernel {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private final Gemm op;
    private final int m;
    private final int n;
    private final int k;
    private final MemorySegment b;
    private final boolean bTransposed;
    private final MemorySegment addend;
    private final Sgemm vector;
    /** The C row GEMV for one-row inputs against a [n, k] weight, or null (OpenBLAS sgemv then). */
    private final NativeLibrary.Kernels gemv;
    /** Each calling thread's arguments of a parallel call ({@link KernelCall}). */
    private final ThreadLocal<BlockCall> calls = ThreadLocal.withInitial(BlockCall::new);

    private GemmKernel(Gemm op, int m, int n, int k, MemorySegment b, boolean bTransposed, MemorySegment addend,
                       Sgemm vector, NativeLibrary.Kernels gemv) {
        this.op = op;
        this.m = m;
        this.n = n;
        this.k = k;
        this.b = b;
        this.bTransposed = bTransposed;
        this.addend = addend;
        this.vector = vector;
        this.gemv = gemv;
    }

    /**
     * A kernel for this node, or null when B or C are not constants (or, for the vector path, A is
     * transposed).
     *
     * @param vector null for OpenBLAS, else the Java sgemm to use
     */
    static GemmKernel of(Gemm op, KernelContext ctx, Sgemm vector) {
        return of(op, ctx, vector, null);
    }

    /**
     * @param kernels C kernels whose row GEMV (where this ISA has one) serves one-row inputs against a
     *     {@code [n, k]} weight (the usual fully connected layer), or null for OpenBLAS sgemv
     */
    static GemmKernel of(Gemm op, KernelContext ctx, Sgemm vector, NativeLibrary.Kernels kernels) {
        Tensor bt = ctx.constant(1);
        Tensor ct = ctx.hasInput(2) ? ctx.constant(2) : null;
        if (bt == null || (ctx.hasInput(2) && ct == null) || (vector != null && (op.transA() || op.alpha() != 1f))) {
            return null;
        }
        int[] out = ctx.outputShape(0);
        int[] as = ctx.inputShape(0);
        int m = out[0], n = out[1], k = op.transA() ? as[0] : as[1];
        Arena arena = Arena.ofAuto();
        MemorySegment addend = arena.allocate((long) m * n * Float.BYTES, 64);
        if (ct != null && op.beta() != 0f) {
            int[] cs = ct.shape();
            int ch = cs.length == 2 ? cs[0] : 1;
            int cw = cs.length == 0 ? 1 : cs[cs.length - 1];
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    float c = ct.get((long) (ch == 1 ? 0 : i) * cw + (cw == 1 ? 0 : j));
                    addend.setAtIndex(F, (long) i * n + j, op.beta() * c);
                }
            }
        }
        if (vector == null) {
            NativeLibrary.Kernels gemv = kernels != null && kernels.hasGemvRows() && kernels.isa() != NativeLibrary.Isa.SCALAR
                    && m == 1 && !op.transA() && op.transB() ? kernels : null;
            return new GemmKernel(op, m, n, k, bt.segment(), op.transB(), addend, null, gemv);
        }
        MemorySegment packed = arena.allocate((long) k * n * Float.BYTES, 64);
        for (int p = 0; p < k; p++) {
            for (int j = 0; j < n; j++) {
                packed.setAtIndex(F, (long) p * n + j, op.transB() ? bt.get((long) j * k + p) : bt.get((long) p * n + j));
            }
        }
        return new GemmKernel(op, m, n, k, packed, false, addend, vector, null);
    }

    /** Writes every output element (the executor need not zero the buffer first). */
    @Override
    public boolean overwritesOutputs() {
        return true;
    }

    @Override
    public void run(Tensor[] inputs, Tensor[] outputs) {
        Tensor a = inputs[0];
        Tensor y = outputs[0];
        if (a.size() != (long) m * k || y.size() != (long) m * n) {
            throw new IllegalArgumentException("Gemm expects A of " + m * k + " values and Y of " + m * n + ", got "
                    + a.describe() + " and " + y.describe());
        }
        MemorySegment.copy(addend, 0, y.segment(), 0, (long) m * n * Float.BYTES);
        // Split by output columns: each thread streams its own slice of the (usually large) weight.
        WorkerPool pool = WorkerPool.shared();
        MemorySegment as = pool.shareable(a.segment()), ys = pool.shareable(y.segment());
        // A few blocks per thread, so a thread that starts late does not hold the others up.
        int blocks = n >= 256 * pool.threads() ? 4 * pool.threads() : n >= 64 * pool.threads() ? pool.threads() : 1;
        int per = ((n + blocks - 1) / blocks + 15) & ~15;
        BlockCall c = KernelCall.take(calls, BlockCall::new, this);
        c.as = as;
        c.ys = ys;
        c.per = per;
        KernelCall.run(pool, blocks, c);
    }

    /** One call's column blocks ({@link KernelCall}). */
    private static final class BlockCall extends KernelCall<GemmKernel> implements IntConsumer {
        MemorySegment as;
        MemorySegment ys;
        int per;

        @Override
        public void accept(int i) {
            int n = owner.n;
            int j0 = Math.min(n, i * per), j1 = Math.min(n, j0 + per);
            if (j1 > j0) {
                owner.columns(as, ys, j0, j1);
            }
        }

        @Override
        void clear() {
            as = null;
            ys = null;
        }
    }

    private void columns(MemorySegment as, MemorySegment ys, int j0, int j1) {
        int nb = j1 - j0;
        if (gemv != null) {
            gemv.gemvRows(b.address() + (long) j0 * k * Float.BYTES, k, as.address(), k,
                    ys.address() + (long) j0 * Float.BYTES, nb, op.alpha());
        } else if (vector == null && m == 1 && !op.transA()) {
            // y[j0:j1] += alpha * B'[j0:j1, :] . a : one matrix-vector product over this thread's slice.
            long y = ys.address() + (long) j0 * Float.BYTES;
            if (bTransposed) {
                OpenBlas.sgemvAt(false, nb, k, op.alpha(), b.address() + (long) j0 * k * Float.BYTES, k, as.address(), 1f, y);
            } else {
                OpenBlas.sgemvAt(true, k, nb, op.alpha(), b.address() + (long) j0 * Float.BYTES, n, as.address(), 1f, y);
            }
        } else if (vector == null) {
            long bOff = bTransposed ? (long) j0 * k * Float.BYTES : (long) j0 * Float.BYTES;
            OpenBlas.sgemmAt(op.transA(), bTransposed, m, nb, k, op.alpha(), as.address(), op.transA() ? m : k,
                    b.address() + bOff, bTransposed ? k : n, 1f, ys.address() + (long) j0 * Float.BYTES, n);
        } else {
            vector.gemm(m, nb, k, as, 0, k, b, (long) j0 * Float.BYTES, n, 1f, ys, (long) j0 * Float.BYTES, n);
        }
    }
}
