package io.coedge.graph;

import io.coedge.tensor.Tensor;

/**
 * A prepared computation of one node. Inputs arrive in whatever layout the producer wrote (NHWC for
 * rank-4 feature maps, row-major for the rest); outputs are pre-allocated in the default layout for
 * their rank ({@link Tensor#defaultLayout(int[])}).
 */
@FunctionalInterface
public interface Kernel {
    void run(Tensor[] inputs, Tensor[] outputs);

    /**
     * True when {@link #run} writes every element of every output whatever they held before, so an
     * executor that reuses buffers need not zero them first. Default false: some kernels accumulate
     * into their output.
     */
    default boolean overwritesOutputs() {
        return false;
    }

    /**
     * A kernel that computes {@code max(this node's output, 0)} in the same pass, for an executor that
     * fuses a Relu reading only this node's output into it; null (the default) when this kernel
     * cannot. Only single-output kernels are asked.
     */
    default Kernel fuseRelu() {
        return null;
    }

    /**
     * A kernel that computes this node's output plus one more input, a map of the output's shape that
     * the executor appends as the last input (a residual connection: {@code Add(conv(x), r)}), in the
     * same pass; null (the default) when this kernel cannot. A ReLU may be fused after it
     * ({@link #fuseRelu()} on the result), never before.
     */
    default Kernel fuseAdd() {
        return null;
    }
}
