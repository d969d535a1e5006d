package io.coedge.graph;

import io.coedge.tensor.Tensor;

/**
 * A kernel that computes a band of output rows of a rank-4, batch-1 feature map from bands of its
 * inputs. This is what one device runs for its share of a row partition.
 *
 * <p>{@code inputs[i]} holds rows {@code [inputRow0[i], inputRow0[i] + inputs[i].dim(2))} of the full
 * input map (non-map inputs, e.g. broadcast constants, are passed whole with row offset 0);
 * {@code output} holds rows {@code [outputRow0, outputRow0 + output.dim(2))} of the full output map.
 * The kernel writes output rows {@code [r0, r1)}. Rows the window needs that lie outside the full
 * input map are padding; rows inside the map but outside the band are a caller bug.
 */
public interface RowKernel extends Kernel {
    void runRows(Tensor[] inputs, int[] inputRow0, Tensor output, int outputRow0, int r0, int r1);

    @Override
    default void run(Tensor[] inputs, Tensor[] outputs) {
        runRows(inputs, WholeMaps.rowOffsets(inputs.length), outputs[0], 0, 0, outputs[0].dim(2));
    }
}
