package io.coedge.tensor;

/**
 * Physical order of a tensor's elements.
 *
 * <p>Shapes are always the logical ONNX shape ({@code [N, C, H, W]} for feature maps). Rank-4 feature
 * maps are stored {@link #NHWC} so that a band of rows is one contiguous byte range; everything else
 * (weights, vectors, matrices) is stored {@link #ROW_MAJOR} in logical order.
 */
public enum Layout {
    /** Logical order: the last dimension varies fastest. */
    ROW_MAJOR,
    /** Rank 4 only: logical {@code [N, C, H, W]} stored as {@code [N][H][W][C]}. */
    NHWC
}
