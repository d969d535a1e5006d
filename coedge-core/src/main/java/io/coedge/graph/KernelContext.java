package io.coedge.graph;

import io.coedge.tensor.Tensor;

/** What a kernel factory sees when preparing a node: shapes and constant inputs (weights). */
public interface KernelContext extends ShapeContext {
    int[] outputShape(int i);

    int outputCount();
}
