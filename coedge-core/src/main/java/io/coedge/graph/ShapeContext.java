package io.coedge.graph;

import io.coedge.tensor.Tensor;

/** What shape inference of one node sees: its input shapes and, for constant inputs, their values. */
public interface ShapeContext {
    Node node();

    int inputCount();

    /** True when input {@code i} is given (not an omitted optional input). */
    boolean hasInput(int i);

    int[] inputShape(int i);

    /** The value of input {@code i} if it is a constant, else null. */
    Tensor constant(int i);

    default ModelException error(String message) {
        return new ModelException("node '" + node().name() + "' (" + node().op().type() + "): " + message);
    }
}
