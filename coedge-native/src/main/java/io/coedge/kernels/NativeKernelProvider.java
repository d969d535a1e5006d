package io.coedge.kernels;

import io.coedge.graph.Kernel;
import io.coedge.graph.KernelContext;
import io.coedge.graph.KernelProvider;
import io.coedge.ops.Concat;
import io.coedge.ops.Conv;
import io.coedge.ops.Flatten;
import io.coedge.ops.Gemm;
import io.coedge.ops.GlobalPool;
import io.coedge.ops.Pool;

/**
 * The "native" kernels: ungrouped convolutions through the CoEdge C packed-weight GEMM where the C
 * library has a SIMD variant of it for this CPU (AVX-512), straight from the input rows (direct
 * convolution) or from the input band itself for 1x1, else OpenBLAS sgemm (im2col of the row tile);
 * fully connected layers (Gemm) through the C row GEMV or OpenBLAS; depthwise convolutions, im2col,
 * max/average/global-average pooling, Relu, residual Add and channel Concat in the CoEdge C library when
 * it is packaged for this platform (Java loops, or the reference, otherwise); Flatten as a copy without
 * the reference's temporary array. Available when OpenBLAS loads.
 */
public final class NativeKernelProvider implements KernelProvider {
    @Override
    public String name() {
        return "native";
    }

    @Override
    public int priority() {
        return 200;
    }

    @Override
    public boolean available() {
        return OpenBlas.available();
    }

    @Override
    public Kernel kernel(KernelContext ctx) {
        if (ctx.node().op() instanceof Conv c) {
            ConvGeometry g = ConvGeometry.of(c, ctx);
            if (g == null) {
                return null;
            }
            NativeLibrary.Kernels k = NativeLibrary.available() ? NativeLibrary.kernels() : null;
            if (g.depthwise()) {
                return new DepthwiseConv(g, k);
            }
            return new GemmConv(g, Sgemm.OPENBLAS, k);
        }
        if (ctx.node().op() instanceof Flatten f) {
            return FlattenKernel.of(f, ctx);
        }
        if (ctx.node().op() instanceof Gemm gemm) {
            return GemmKernel.of(gemm, ctx, null, NativeLibrary.available() ? NativeLibrary.kernels() : null);
        }
        if (!NativeLibrary.available()) {
            return null;
        }
        if (ctx.node().op() instanceof Pool pool) {
            return PoolRows.of(pool, ctx, NativeLibrary.kernels());
        }
        if (ctx.node().op() instanceof Concat concat) {
            return ConcatRows.of(concat, ctx, NativeLibrary.kernels());
        }
        if (ctx.node().op() instanceof GlobalPool gp) {
            return GlobalAveragePoolKernel.of(gp, ctx, NativeLibrary.kernels());
        }
        return ElementwiseRows.of(ctx, NativeLibrary.kernels());
    }

    /** What {@link #describe()} says: for {@code coedge info}, which prints providers as text. */
    @Override
    public String toString() {
        return describe().strip().replace("\n", "; ");
    }

    /** One line per component for {@code coedge info}: what loaded, which ISA, why not. */
    public static String describe() {
        StringBuilder sb = new StringBuilder();
        sb.append("OpenBLAS: ").append(OpenBlas.available()
                ? OpenBlas.config() + ", " + OpenBlas.threads() + " threads" : OpenBlas.problem()).append('\n');
        sb.append("kernel threads: ").append(KernelSettings.threads()).append(" (-D")
                .append(KernelSettings.THREADS_PROPERTY).append(")\n");
        sb.append("CoEdge C kernels (").append(NativeLibrary.platform()).append("): ")
                .append(NativeLibrary.available() ? NativeLibrary.kernels().isa().suffix() + " of "
                        + NativeLibrary.supportedIsas() : NativeLibrary.problem()).append('\n');
        boolean packed = NativeLibrary.available() && NativeLibrary.kernels().hasPackedGemm()
                && NativeLibrary.kernels().isa() != NativeLibrary.Isa.SCALAR;
        sb.append("conv GEMM: ").append(packed && KernelSettings.convGemm().equals("auto")
                ? "CoEdge packed (" + NativeLibrary.kernels().isa().suffix() + ")" : "OpenBLAS")
                .append(" (-D").append(KernelSettings.CONV_GEMM_PROPERTY).append(")\n");
        return sb.toString();
    }
}
