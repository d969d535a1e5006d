package io.coedge.transport.runtime;

import io.coedge.graph.Kernel;
import io.coedge.graph.KernelContext;
import io.coedge.graph.KernelProvider;
import io.coedge.graph.RowKernel;

/**
 * Test only: the reference kernels, of which the first {@value #PROPERTY} calls in the process throw {@value #MESSAGE},
 * so that a worker process fails requests as one whose kernel hit a bug would, then (if the number is small) works
 * again. Available only when {@value #PROPERTY} is set (select them with {@code -Dcoedge.kernels=failing-for-tests}).
 */
public final class FailingKernelsForTests implements KernelProvider {
    /** How many kernel calls fail, the first ones of the process. */
    public static final String PROPERTY = "coedge.test.failKernels";
    public static final String MESSAGE = "injected kernel failure for tests";
    private static final java.util.concurrent.atomic.AtomicLong FAILURES_LEFT =
            new java.util.concurrent.atomic.AtomicLong(Long.getLong(PROPERTY, 0));

    @Override
    public String name() {
        return "failing-for-tests";
    }

    @Override
    public int priority() {
        return -1000;
    }

    @Override
    public boolean available() {
        return System.getProperty(PROPERTY) != null;
    }

    @Override
    public Kernel kernel(KernelContext ctx) {
        Kernel ref = ctx.node().op().referenceKernel(ctx);
        if (ref instanceof RowKernel rk) {
            return (RowKernel) (inputs, inputRow0, output, outputRow0, r0, r1) -> {
                failWhileFailuresLeft();
                rk.runRows(inputs, inputRow0, output, outputRow0, r0, r1);
            };
        }
        return (inputs, outputs) -> {
            failWhileFailuresLeft();
            ref.run(inputs, outputs);
        };
    }

    private static void failWhileFailuresLeft() {
        if (FAILURES_LEFT.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            throw new IllegalStateException(MESSAGE);
        }
    }
}
