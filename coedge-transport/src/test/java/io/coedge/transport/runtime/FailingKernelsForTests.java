package io.coedge.transport.runtime;

import io.coedge.graph.Kernel;
import io.coedge.graph.KernelContext;
import io.coedge.graph.KernelProvider;
import io.coedge.graph.RowKernel;

/**
 * Test only: kernels that throw {@value #MESSAGE} when they run, so that a worker process fails every request it
 * computes, as one whose kernel hit a bug would. Available only when {@value #PROPERTY} is set (select them with
 * {@code -Dcoedge.kernels=failing-for-tests}).
 */
public final class FailingKernelsForTests implements KernelProvider {
    public static final String PROPERTY = "coedge.test.failKernels";
    public static final String MESSAGE = "injected kernel failure for tests";

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
        if (ref instanceof RowKernel) {
            return (RowKernel) (inputs, inputRow0, output, outputRow0, r0, r1) -> {
                throw new IllegalStateException(MESSAGE);
            };
        }
        return (inputs, outputs) -> {
            throw new IllegalStateException(MESSAGE);
        };
    }
}
