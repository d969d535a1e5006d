package io.coedge.transport.runtime;

import io.coedge.graph.Kernel;
import io.coedge.graph.KernelContext;
import io.coedge.graph.KernelProvider;
import io.coedge.graph.RowKernel;
import io.coedge.tensor.Tensor;

/**
 * Test only: the reference kernels, made {@value #FACTOR_PROPERTY} times slower by spinning after each call for
 * the extra time, and {@value #EXTRA_MS_PROPERTY} ms more per call, so that a worker process can play a slow device.
 * Available only when one of the properties is set (select it with {@code -Dcoedge.kernels=slow-for-tests});
 * results are the reference kernels' own.
 */
public final class SlowKernelsForTests implements KernelProvider {
    /** Slow-down factor (> 1) of a process that uses these kernels. */
    public static final String FACTOR_PROPERTY = "coedge.test.slowFactor";
    /** Milliseconds added to every kernel call, whatever it took (a request then takes about as long cold as warm). */
    public static final String EXTRA_MS_PROPERTY = "coedge.test.extraMsPerCall";

    @Override
    public String name() {
        return "slow-for-tests";
    }

    @Override
    public int priority() {
        return -1000;
    }

    @Override
    public boolean available() {
        return System.getProperty(FACTOR_PROPERTY) != null || System.getProperty(EXTRA_MS_PROPERTY) != null;
    }

    @Override
    public Kernel kernel(KernelContext ctx) {
        double factor = Double.parseDouble(System.getProperty(FACTOR_PROPERTY, "1"));
        Kernel ref = ctx.node().op().referenceKernel(ctx);
        if (ref instanceof RowKernel rk) {
            return (RowKernel) (inputs, inputRow0, output, outputRow0, r0, r1) -> {
                long t0 = System.nanoTime();
                rk.runRows(inputs, inputRow0, output, outputRow0, r0, r1);
                spin(t0, factor);
            };
        }
        return (Tensor[] inputs, Tensor[] outputs) -> {
            long t0 = System.nanoTime();
            ref.run(inputs, outputs);
            spin(t0, factor);
        };
    }

    private static void spin(long t0, double factor) {
        long extraNs = (long) (Double.parseDouble(System.getProperty(EXTRA_MS_PROPERTY, "0")) * 1e6);
        long until = System.nanoTime() + (long) ((System.nanoTime() - t0) * (factor - 1)) + extraNs;
        while (System.nanoTime() - until < 0) {
            Thread.onSpinWait();
        }
    }
}
