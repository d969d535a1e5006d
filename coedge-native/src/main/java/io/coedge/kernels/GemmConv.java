package io.coedge.kernels;

import io.coedge.graph.RowKernel;
import io.coedge.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.function.IntConsumer;

/**
 * Convolution as im2col of the output tile plus one sgemm per group. NHWC makes the tile a plain
 * matrix: output rows {@code [r0, r1)} are {@code [(r1 - r0) * W_out, M]} row-major, and the im2col
 * matrix is {@code [(r1 - r0) * W_out, kH * kW * C/group]} with the window in (ky, kx, c) order,
 * matching the weights packed once here as {@code [kH * kW * C/group, M/group]} per group.
 *
 * <p>A 1x1 stride-1 unpadded convolution needs no im2col: the input band already is the
 * {@code [rows * W, C]} matrix. Where the C packed GEMM multiplies, every other convolution needs none
 * either: the direct convolution ({@code coedge_f32_conv_packed}) reads each pixel's window from a
 * zero-padded copy of the input rows, with bias, residual and ReLU applied as tiles are stored.
 *
 * <p>Where OpenBLAS multiplies, sgemm writes the tile ({@code beta = 0}); one epilogue pass then adds
 * the bias and, when a following Relu was fused in ({@link #fuseRelu()}), clamps at zero while the tile
 * is still in cache. Bands larger than the im2col budget are done in row tiles.
 *
 * <p>Threads: large bands are split by rows, each task doing its own im2col and sgemm. Where that
 * split would be uneven (small late-layer maps: 28x28 and less), the band is packed once, by all
 * threads, and the multiply is split by output channels (columns), so every thread gets an equal share
 * and none repeats the packing of the weights inside sgemm.
 */
final class GemmConv implements RowKernel {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    /** Fewest output pixels per row task that keep one sgemm efficient. */
    private static final int MIN_TASK_PIXELS = 256;
    /**
     * Most tasks per thread in the even splits ({@link #evenChunk}): more than one lets the other threads take
     * over part of the share of a thread that another process holds up.
     */
    private static final int TASKS_PER_THREAD = 2;

    private final ConvGeometry g;
    private final Sgemm sgemm;
    private final NativeLibrary.Kernels nativeKernels;
    private final MemorySegment window;
    private final MemorySegment packed;
    private final MemorySegment bias;
    private final int tileRows;
    private final boolean relu;
    /** Adds the last input (a same-shape map: a residual connection) before the ReLU; packed GEMM only. */
    private final boolean residual;
    /** Weights for the C packed GEMM ({@link PackedWeights}), or null where OpenBLAS multiplies. */
    private final MemorySegment gemmWeights;
    /**
     * Scratch bytes of the C direct convolution ({@code coedge_f32_conv_packed}), which multiplies the
     * packed weights straight from a zero-padded copy of the input rows; 0 where it does not serve
     * this conv (im2col then feeds the GEMM).
     */
    private final long directScratch;
    /** Each calling thread's arguments of a parallel call ({@link KernelCall}). */
    private final ThreadLocal<ConvCall> calls = ThreadLocal.withInitial(ConvCall::new);

    /** @param nativeKernels C kernels for im2col and the epilogue, or null to do both in Java */
    GemmConv(ConvGeometry g, Sgemm sgemm, NativeLibrary.Kernels nativeKernels) {
        this(g, sgemm, nativeKernels, usePackedGemm(g, nativeKernels));
    }

    /** @param packedGemm multiply with the C packed GEMM ({@link #usePackedGemm} must hold) instead of {@code sgemm} */
    GemmConv(ConvGeometry g, Sgemm sgemm, NativeLibrary.Kernels nativeKernels, boolean packedGemm) {
        this(g, sgemm, nativeKernels, packedGemm, useDirect(g, nativeKernels, packedGemm));
    }

    /** @param direct use the C direct convolution ({@link #canUseDirect} must hold) instead of im2col */
    GemmConv(ConvGeometry g, Sgemm sgemm, NativeLibrary.Kernels nativeKernels, boolean packedGemm, boolean direct) {
        this.g = g;
        this.sgemm = sgemm;
        this.nativeKernels = nativeKernels;
        this.relu = false;
        this.residual = false;
        Arena arena = Arena.ofAuto();
        this.window = nativeKernels == null ? null : NativeLibrary.window(arena, g);
        int k = g.patch(), mpg = g.mpg(), cpg = g.cpg();
        MemorySegment packed = arena.allocate((long) g.group() * k * mpg * Float.BYTES, 64);
        float[] w = g.weightOihw();
        for (int grp = 0; grp < g.group(); grp++) {
            long base = (long) grp * k * mpg;
            for (int m = 0; m < mpg; m++) {
                int oc = grp * mpg + m;
                for (int ci = 0; ci < cpg; ci++) {
                    for (int y = 0; y < g.kh(); y++) {
                        for (int x = 0; x < g.kw(); x++) {
                            int row = (y * g.kw() + x) * cpg + ci;
                            packed.setAtIndex(F, base + (long) row * mpg + m, w[((oc * cpg + ci) * g.kh() + y) * g.kw() + x]);
                        }
                    }
                }
            }
        }
        if (g.bias() != null) {
            this.bias = arena.allocate((long) g.outC() * Float.BYTES, 64);
            MemorySegment.copy(g.bias(), 0, bias, F, 0, g.outC());
        } else {
            this.bias = null;
        }
        long rowBytes = (long) g.outW() * k * Float.BYTES;
        long budget = packedGemm ? KernelSettings.packedIm2colBytes(k) : KernelSettings.im2colBytes();
        // The direct convolution strips its rows itself and needs no im2col budget.
        this.tileRows = g.pointwise() || direct ? Math.max(1, g.outH()) : (int) Math.max(1, Math.min(g.outH(), budget / rowBytes));
        this.gemmWeights = packedGemm ? PackedWeights.pack(arena, packed, k, g.outC()) : null;
        // One copy of the weights per conv: the OpenBLAS layout only where OpenBLAS multiplies.
        this.packed = gemmWeights == null ? packed : null;
        this.directScratch = direct ? nativeKernels.convScratchBytes(window) : 0;
    }

    /**
     * The direct convolution replaces im2col + packed GEMM for every ungrouped, undilated-in-width conv
     * with a window (1x1 stride-1 convs need neither), unless {@value KernelSettings#CONV_DIRECT_PROPERTY}
     * is false. It writes no im2col matrix: a 3-channel stem spent a third of its time in im2col.
     */
    private static boolean useDirect(ConvGeometry g, NativeLibrary.Kernels k, boolean packedGemm) {
        return canUseDirect(g, k, packedGemm) && KernelSettings.convDirect();
    }

    /** Whether the direct convolution can serve this conv, whatever the property says. */
    static boolean canUseDirect(ConvGeometry g, NativeLibrary.Kernels k, boolean packedGemm) {
        return packedGemm && !g.pointwise() && g.dw() == 1 && k.hasConvPacked();
    }

    /**
     * The C packed GEMM serves ungrouped convs where this CPU has a SIMD variant of it (AVX-512), unless
     * {@value KernelSettings#CONV_GEMM_PROPERTY} asks for OpenBLAS. It streams weights packed once here,
     * where OpenBLAS packs them again on every call; that matters most for the late layers, whose
     * weights are large and whose maps are small.
     */
    private static boolean usePackedGemm(ConvGeometry g, NativeLibrary.Kernels k) {
        return g.group() == 1 && k != null && k.hasPackedGemm() && k.isa() != NativeLibrary.Isa.SCALAR
                && KernelSettings.convGemm().equals("auto");
    }

    /** The same prepared convolution (weights shared) with a different epilogue. */
    private GemmConv(GemmConv base, boolean relu, boolean residual) {
        this.g = base.g;
        this.sgemm = base.sgemm;
        this.nativeKernels = base.nativeKernels;
        this.window = base.window;
        this.packed = base.packed;
        this.bias = base.bias;
        this.tileRows = base.tileRows;
        this.gemmWeights = base.gemmWeights;
        this.directScratch = base.directScratch;
        this.relu = relu;
        this.residual = residual;
    }

    @Override
    public boolean overwritesOutputs() {
        return true;
    }

    @Override
    public RowKernel fuseRelu() {
        return relu ? null : new GemmConv(this, true, residual);
    }

    /** With the packed GEMM the residual add happens as each tile is stored; the ReLU, if any, after it. */
    @Override
    public RowKernel fuseAdd() {
        return relu || residual || gemmWeights == null ? null : new GemmConv(this, false, true);
    }

    @Override
    public void runRows(Tensor[] inputs, int[] inputRow0, Tensor out, int outRow0, int r0, int r1) {
        Tensor x = inputs[0];
        int xRow0 = inputRow0[0];
        g.checkBand(x, xRow0, out, outRow0, r0, r1);
        long resBase = 0;
        int resRow0 = 0;
        if (residual) {
            Tensor r = inputs[inputs.length - 1];
            resRow0 = inputRow0[inputs.length - 1];
            if (r.layout() != out.layout() || r.dim(1) != out.dim(1) || r.dim(3) != out.dim(3)
                    || r0 < resRow0 || r1 > resRow0 + r.dim(2)) {
                throw new IllegalStateException("residual band " + r.describe() + " from row " + resRow0
                        + " does not match output rows [" + r0 + ", " + r1 + ") of " + out.describe());
            }
            resBase = r.segment().address();
        }
        if (r0 == r1) {
            return;
        }
        final long rb = resBase;
        final int rr0 = resRow0;
        WorkerPool pool = WorkerPool.shared();
        MemorySegment xs = pool.shareable(x.segment());
        MemorySegment ys = pool.shareable(out.segment());
        int threads = pool.threads();
        int rows = r1 - r0;
        int minChunk = Math.ceilDiv(MIN_TASK_PIXELS, g.outW());
        if (directScratch > 0) {
            runDirect(pool, xs, xRow0, ys, outRow0, r0, r1, rb, rr0, minChunk);
            return;
        }
        if (threads > 1 && g.group() == 1 && rowSplitEfficiency(rows, threads, minChunk) < 0.85) {
            // Uneven as tiles: either one equal share of rows per thread, each thread reading all the
            // weights, or the packed band shared and the weights split; whichever moves fewer bytes.
            long aBytes = (long) rows * g.outW() * g.patch() * Float.BYTES;
            long bBytes = (long) g.patch() * g.outC() * Float.BYTES;
            boolean fits = g.pointwise() || aBytes <= KernelSettings.im2colBytes();
            if (fits && (aBytes < bBytes || rows < threads)) {
                computeByColumns(pool, xs, xRow0, ys, outRow0, r0, r1, rb, rr0);
                return;
            }
            if (rows >= threads) {
                // compute() tiles each share by tileRows itself.
                int share = evenChunk(rows, threads);
                ConvCall c = call(ConvCall.COMPUTE_ROWS).band(xs, xRow0, ys, outRow0, r0, r1, rb, rr0);
                KernelCall.forRows(pool, r0, r1, share, share, c);
                return;
            }
        }
        ConvCall c = call(ConvCall.COMPUTE_ROWS).band(xs, xRow0, ys, outRow0, r0, r1, rb, rr0);
        KernelCall.forRows(pool, r0, r1, minChunk, tileRows, c);
    }

    /**
     * The direct convolution over rows {@code [r0, r1)}: split by rows where that keeps the threads evenly
     * busy, else by column panels (each thread then streams only its share of the weights, the late
     * layers' large part), else in one even share of rows per thread.
     */
    private void runDirect(WorkerPool pool, MemorySegment xs, int xRow0, MemorySegment ys, int outRow0, int r0, int r1,
                           long res, int resRow0, int minChunk) {
        int threads = pool.threads(), rows = r1 - r0, m = g.outC();
        if (threads > 1 && rowSplitEfficiency(rows, threads, minChunk) < 0.85) {
            int panels = Math.ceilDiv(m, PackedWeights.NR);
            if (panels >= 2 * threads) {
                int per = evenChunk(panels, threads) * PackedWeights.NR;
                ConvCall c = call(ConvCall.DIRECT_PANELS).band(xs, xRow0, ys, outRow0, r0, r1, res, resRow0);
                c.per = per;
                KernelCall.run(pool, Math.ceilDiv(m, per), c);
                return;
            }
            if (rows >= threads) {
                int share = evenChunk(rows, threads);
                ConvCall c = call(ConvCall.DIRECT_ROWS).band(xs, xRow0, ys, outRow0, r0, r1, res, resRow0);
                KernelCall.forRows(pool, r0, r1, share, share, c);
                return;
            }
        }
        ConvCall c = call(ConvCall.DIRECT_ROWS).band(xs, xRow0, ys, outRow0, r0, r1, res, resRow0);
        KernelCall.forRows(pool, r0, r1, minChunk, tileRows, c);
    }

    /** Rows {@code [r0, r1)}, columns {@code [j0, j1)} through {@code coedge_f32_conv_packed} on the calling thread. */
    private void direct(MemorySegment xs, int xRow0, MemorySegment ys, int outRow0, int r0, int r1, int j0, int j1,
                        long res, int resRow0) {
        nativeKernels.convPacked(window, xs.address(), xRow0, gemmWeights.address(), biasAddress(), ys.address(), outRow0,
                res, resRow0, relu, r0, r1, j0, j1, Scratch.get(directScratch).address());
    }

    /**
     * Chunk size for splitting {@code units} (rows, pixels, weight panels) over {@code threads}: one or up to
     * {@value #TASKS_PER_THREAD} chunks per thread, whichever leaves the busiest thread the least to do (10
     * panels on 2 threads: 5 + 5, not 3 + 3 + 3 + 1); on a tie the smaller chunks, so that a thread held up
     * by another process is covered by the others.
     */
    static int evenChunk(int units, int threads) {
        int best = units;
        long bestBusiest = Long.MAX_VALUE;
        for (int perThread = 1; perThread <= TASKS_PER_THREAD; perThread++) {
            int chunk = Math.ceilDiv(units, Math.max(1, Math.min(units, threads * perThread)));
            int tasks = Math.ceilDiv(units, chunk);
            // tasks are taken in order from a counter: the busiest thread gets ceil(tasks / threads) of them
            long busiest = (long) Math.ceilDiv(tasks, threads) * chunk;
            if (busiest <= bestBusiest) {
                bestBusiest = busiest;
                best = chunk;
            }
        }
        return best;
    }

    /** Share of the threads' time that does work when {@link WorkerPool#forRows} splits these rows. */
    private double rowSplitEfficiency(int rows, int threads, int minChunk) {
        int target = Math.ceilDiv(rows, 4 * threads);
        int chunk = Math.max(1, Math.min(tileRows, Math.max(minChunk, target)));
        int tasks = Math.ceilDiv(rows, chunk);
        int busiest = Math.min(rows, Math.ceilDiv(tasks, threads) * chunk);
        return (double) rows / ((double) threads * busiest);
    }

    /**
     * Output rows {@code [r0, r1)} on the calling thread, in tiles of at most {@code tileRows}.
     * {@code resBase} is the address of the residual band (holding rows from {@code resRow0}), or 0.
     */
    private void compute(MemorySegment xs, int xRow0, MemorySegment ys, int outRow0, int r0, int r1, long resBase,
                         int resRow0) {
        int ow = g.outW(), m = g.outC(), mpg = g.mpg(), cpg = g.cpg(), k = g.patch();
        long packedGroupBytes = (long) k * mpg * Float.BYTES;
        for (int t0 = r0; t0 < r1; t0 += tileRows) {
            int t1 = (int) Math.min(r1, (long) t0 + tileRows);
            int pixels = (t1 - t0) * ow;
            long yOff = (long) (t0 - outRow0) * ow * m * Float.BYTES;
            if (gemmWeights != null) {
                long aAddr;
                if (g.pointwise()) {
                    aAddr = xs.address() + (long) (t0 - xRow0) * g.inW() * g.inC() * Float.BYTES;
                } else {
                    MemorySegment col = Scratch.get((long) pixels * k * Float.BYTES);
                    nativeKernels.im2col(window, xs, xRow0, cpg, 0, t0, t1, col);
                    aAddr = col.address();
                }
                long res = resBase == 0 ? 0 : resBase + (long) (t0 - resRow0) * ow * m * Float.BYTES;
                nativeKernels.gemmPacked(pixels, k, aAddr, k, gemmWeights.address(), m, 0, m, ys.address() + yOff, m,
                        biasAddress(), res, m, relu);
                continue;
            }
            if (g.pointwise()) {
                long xOff = (long) (t0 - xRow0) * g.inW() * g.inC() * Float.BYTES;
                for (int grp = 0; grp < g.group(); grp++) {
                    sgemm.gemm(pixels, mpg, cpg, xs, xOff + (long) grp * cpg * Float.BYTES, g.inC(),
                            packed, grp * packedGroupBytes, mpg, 0f, ys, yOff + (long) grp * mpg * Float.BYTES, m);
                }
            } else {
                MemorySegment col = Scratch.get((long) pixels * k * Float.BYTES);
                for (int grp = 0; grp < g.group(); grp++) {
                    if (nativeKernels != null) {
                        nativeKernels.im2col(window, xs, xRow0, cpg, grp, t0, t1, col);
                    } else {
                        Im2col.JAVA.pack(g, xs, xRow0, 0, t0, t1, grp, col);
                    }
                    sgemm.gemm(pixels, mpg, k, col, 0, k, packed, grp * packedGroupBytes, mpg, 0f,
                            ys, yOff + (long) grp * mpg * Float.BYTES, m);
                }
            }
            epilogue(ys, yOff, pixels, 0, m);
        }
    }

    /**
     * Output rows {@code [r0, r1)} of an ungrouped conv with every thread: im2col of the whole band
     * split by rows, then the multiply split into equal column blocks (rows of pixels when there are
     * too few columns to share).
     */
    private void computeByColumns(WorkerPool pool, MemorySegment xs, int xRow0, MemorySegment ys, int outRow0,
                                  int r0, int r1, long resBase, int resRow0) {
        int ow = g.outW(), m = g.outC(), k = g.patch();
        int pixels = (r1 - r0) * ow;
        int threads = pool.threads();
        MemorySegment a;
        long aOff;
        if (g.pointwise()) {
            a = xs;
            aOff = (long) (r0 - xRow0) * g.inW() * g.inC() * Float.BYTES;
        } else {
            // The caller's scratch (auto arena, so every thread may touch it); the caller waits for all tasks.
            MemorySegment col = Scratch.get((long) pixels * k * Float.BYTES);
            int per = Math.ceilDiv(r1 - r0, threads);
            ConvCall c = call(ConvCall.IM2COL).band(xs, xRow0, null, 0, r0, r1, 0, 0);
            c.col = col;
            c.per = per;
            KernelCall.run(pool, Math.ceilDiv(r1 - r0, per), c);
            a = col;
            aOff = 0;
        }
        long yOff = (long) (r0 - outRow0) * ow * m * Float.BYTES;
        if (gemmWeights != null) {
            long aAddr = a.address() + aOff, yAddr = ys.address() + yOff;
            long res = resBase == 0 ? 0 : resBase + (long) (r0 - resRow0) * ow * m * Float.BYTES;
            int panels = Math.ceilDiv(m, PackedWeights.NR);
            if (panels >= 2 * threads) {
                int per = evenChunk(panels, threads) * PackedWeights.NR;
                ConvCall c = call(ConvCall.GEMM_PANELS).gemm(pixels, k, aAddr, yAddr, res, per);
                KernelCall.run(pool, Math.ceilDiv(m, per), c);
            } else {
                int per = evenChunk(pixels, threads);
                ConvCall c = call(ConvCall.GEMM_PIXELS).gemm(pixels, k, aAddr, yAddr, res, per);
                KernelCall.run(pool, Math.ceilDiv(pixels, per), c);
            }
            return;
        }
        if (m >= 32 * threads) {
            int per = (Math.ceilDiv(m, threads) + 15) & ~15;
            ConvCall c = call(ConvCall.SGEMM_COLUMNS).sgemm(pixels, k, a, aOff, ys, yOff, per);
            KernelCall.run(pool, Math.ceilDiv(m, per), c);
        } else {
            int per = Math.ceilDiv(pixels, threads);
            ConvCall c = call(ConvCall.SGEMM_PIXELS).sgemm(pixels, k, a, aOff, ys, yOff, per);
            KernelCall.run(pool, Math.ceilDiv(pixels, per), c);
        }
    }

    /** This thread's {@link ConvCall} for a loop of kind {@code mode}. */
    private ConvCall call(int mode) {
        ConvCall c = KernelCall.take(calls, ConvCall::new, this);
        c.mode = mode;
        return c;
    }

    /** The arguments of one parallel call of a conv ({@link KernelCall}); {@code mode} says which loop the tasks run. */
    private static final class ConvCall extends KernelCall<GemmConv> implements IntConsumer, WorkerPool.Rows {
        static final int COMPUTE_ROWS = 0;
        static final int DIRECT_ROWS = 1;
        static final int DIRECT_PANELS = 2;
        static final int IM2COL = 3;
        static final int GEMM_PANELS = 4;
        static final int GEMM_PIXELS = 5;
        static final int SGEMM_COLUMNS = 6;
        static final int SGEMM_PIXELS = 7;

        int mode;
        MemorySegment xs;
        MemorySegment ys;
        MemorySegment col;
        MemorySegment a;
        int xRow0;
        int outRow0;
        int r0;
        int r1;
        long res;
        int resRow0;
        int per;
        int pixels;
        int k;
        long aAddr;
        long yAddr;
        long aOff;
        long yOff;

        ConvCall band(MemorySegment xs, int xRow0, MemorySegment ys, int outRow0, int r0, int r1, long res, int resRow0) {
            this.xs = xs;
            this.xRow0 = xRow0;
            this.ys = ys;
            this.outRow0 = outRow0;
            this.r0 = r0;
            this.r1 = r1;
            this.res = res;
            this.resRow0 = resRow0;
            return this;
        }

        ConvCall gemm(int pixels, int k, long aAddr, long yAddr, long res, int per) {
            this.pixels = pixels;
            this.k = k;
            this.aAddr = aAddr;
            this.yAddr = yAddr;
            this.res = res;
            this.per = per;
            return this;
        }

        ConvCall sgemm(int pixels, int k, MemorySegment a, long aOff, MemorySegment ys, long yOff, int per) {
            this.pixels = pixels;
            this.k = k;
            this.a = a;
            this.aOff = aOff;
            this.ys = ys;
            this.yOff = yOff;
            this.per = per;
            return this;
        }

        @Override
        void clear() {
            xs = null;
            ys = null;
            col = null;
            a = null;
        }

        /** Rows {@code [from, to)} of the band. */
        @Override
        public void run(int from, int to) {
            if (mode == COMPUTE_ROWS) {
                owner.compute(xs, xRow0, ys, outRow0, from, to, res, resRow0);
            } else {
                owner.direct(xs, xRow0, ys, outRow0, from, to, 0, owner.g.outC(), res, resRow0);
            }
        }

        /** Task {@code i} of a split by weight panels, pixels or rows. */
        @Override
        public void accept(int i) {
            int m = owner.g.outC();
            switch (mode) {
                case DIRECT_PANELS -> owner.direct(xs, xRow0, ys, outRow0, r0, r1, i * per, Math.min(m, (i + 1) * per),
                        res, resRow0);
                case IM2COL -> {
                    int t0 = r0 + i * per, t1 = Math.min(r1, t0 + per);
                    MemorySegment dst = col.asSlice((long) (t0 - r0) * owner.g.outW() * owner.g.patch() * Float.BYTES);
                    if (owner.nativeKernels != null) {
                        owner.nativeKernels.im2col(owner.window, xs, xRow0, owner.g.cpg(), 0, t0, t1, dst);
                    } else {
                        Im2col.JAVA.pack(owner.g, xs, xRow0, 0, t0, t1, 0, dst);
                    }
                }
                case GEMM_PANELS -> owner.nativeKernels.gemmPacked(pixels, k, aAddr, k, owner.gemmWeights.address(), m,
                        i * per, Math.min(m, (i + 1) * per), yAddr, m, owner.biasAddress(), res, m, owner.relu);
                case GEMM_PIXELS -> {
                    int p0 = i * per, pb = Math.min(pixels, p0 + per) - p0;
                    owner.nativeKernels.gemmPacked(pb, k, aAddr + (long) p0 * k * Float.BYTES, k,
                            owner.gemmWeights.address(), m, 0, m, yAddr + (long) p0 * m * Float.BYTES, m,
                            owner.biasAddress(), res == 0 ? 0 : res + (long) p0 * m * Float.BYTES, m, owner.relu);
                }
                case SGEMM_COLUMNS -> {
                    int j0 = i * per, nb = Math.min(m, j0 + per) - j0;
                    owner.sgemm.gemm(pixels, nb, k, a, aOff, k, owner.packed, (long) j0 * Float.BYTES, m, 0f,
                            ys, yOff + (long) j0 * Float.BYTES, m);
                    owner.epilogue(ys, yOff, pixels, j0, nb);
                }
                case SGEMM_PIXELS -> {
                    int p0 = i * per, pb = Math.min(pixels, p0 + per) - p0;
                    long yo = yOff + (long) p0 * m * Float.BYTES;
                    owner.sgemm.gemm(pb, m, k, a, aOff + (long) p0 * k * Float.BYTES, k, owner.packed, 0, m, 0f, ys, yo,
                            m);
                    owner.epilogue(ys, yo, pb, 0, m);
                }
                default -> throw new IllegalStateException("no task loop " + mode);
            }
        }
    }

    private long biasAddress() {
        return bias == null ? 0L : bias.address();
    }

    /** Bias and optional ReLU on columns {@code [j0, j0 + nb)} of {@code pixels} output rows at {@code yOff}. */
    private void epilogue(MemorySegment ys, long yOff, int pixels, int j0, int nb) {
        if (bias == null && !relu) {
            return;
        }
        int m = g.outC();
        if (nativeKernels != null) {
            nativeKernels.biasAct(ys.address() + yOff + (long) j0 * Float.BYTES, pixels, nb, m,
                    bias == null ? 0L : bias.address() + (long) j0 * Float.BYTES, relu);
            return;
        }
        for (int p = 0; p < pixels; p++) {
            long row = yOff + ((long) p * m + j0) * Float.BYTES;
            for (int j = 0; j < nb; j++) {
                long at = row + (long) j * Float.BYTES;
                float v = ys.get(F, at) + (bias == null ? 0f : bias.getAtIndex(F, j0 + j));
                ys.set(F, at, relu && v < 0f ? 0f : v);
            }
        }
    }

    @Override
    public String toString() {
        return "GemmConv" + (g.pointwise() ? "[1x1]" : directScratch > 0 ? "[direct]" : "[im2col]")
                + (gemmWeights != null ? "[packed]" : "") + (residual ? "+Add" : "") + (relu ? "+Relu" : "");
    }
}
