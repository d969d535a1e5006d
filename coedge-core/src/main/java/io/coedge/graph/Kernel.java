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
}
