package io.coedge.kernels;

import io.coedge.graph.Kernel;
import io.coedge.graph.KernelContext;
import io.coedge.graph.KernelProvider;
import io.coedge.ops.Conv;
import io.coedge.ops.Gemm;

/**
 * The "vector" kernels: convolution as im2col plus a Java Vector API sgemm, depthwise convolution in
 * Java. The fallback where OpenBLAS cannot load. Needs the JVM flag
 * {@code --add-modules jdk.incubator.vector}; without it the provider reports itself unavailable.
 */
public final class VectorKernelProvider implements KernelProvider {
    private static final boolean MODULE_PRESENT =
            ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();

    @Override
    public String name() {
        return "vector";
    }

    @Override
    public int priority() {
        return 100;
    }

    @Override
    public boolean available() {
        return MODULE_PRESENT;
    }

    /** Why the provider is unavailable, or null. */
    public static String problem() {
        return MODULE_PRESENT ? null : "the JVM was started without --add-modules jdk.incubator.vector";
    }

    /** Lanes of the preferred float vector, or 0 when the module is absent. */
    public static int lanes() {
        return MODULE_PRESENT ? VectorSgemm.lanes() : 0;
    }

    /** For {@code coedge info}: the vector width, or why the provider is off. */
    @Override
    public String toString() {
        return MODULE_PRESENT ? "Java Vector API, " + VectorSgemm.species() : problem();
    }

    @Override
    public Kernel kernel(KernelContext ctx) {
        if (!MODULE_PRESENT) {
            return null;
        }
        if (ctx.node().op() instanceof Gemm gemm) {
            return GemmKernel.of(gemm, ctx, VectorSgemm.INSTANCE);
        }
        if (!(ctx.node().op() instanceof Conv c)) {
            return null;
        }
        ConvGeometry g = ConvGeometry.of(c, ctx);
        if (g == null) {
            return null;
        }
        return g.depthwise() ? new DepthwiseConv(g, null) : new GemmConv(g, VectorSgemm.INSTANCE, null);
    }
}
