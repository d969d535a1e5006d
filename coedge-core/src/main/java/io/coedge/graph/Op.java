package io.coedge.graph;

import io.coedge.tensor.Tensor;

/**
 * An operator type with its attributes. Implementations are immutable records.
 *
 * <p>Shapes are logical ONNX shapes. Inputs that are constants (initializers or folded values) are
 * visible to shape inference through {@link ShapeContext#constant(int)}, which ops such as Reshape
 * and Resize need.
 */
public interface Op {
    /** ONNX operator type, e.g. {@code "Conv"}. */
    String type();

    /** Output shapes. Throws {@link ModelException} naming the problem on a mismatch. */
    int[][] inferShapes(ShapeContext ctx);

    /** Floating-point operations (a multiply-add counts 2) for one execution with these shapes. */
    long flops(int[][] inputShapes, int[][] outputShapes);

    /**
     * The reference kernel for this node: simple, obviously correct plain Java, the oracle for every
     * faster kernel. Constant inputs may be read (and re-laid) here once.
     */
    Kernel referenceKernel(KernelContext ctx);
}
