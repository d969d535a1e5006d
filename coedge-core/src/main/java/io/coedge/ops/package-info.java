/**
 * Reference operators: one immutable record per ONNX operator (or family), each with shape inference,
 * a FLOP count and a plain-Java reference kernel that is the oracle for every faster kernel.
 * {@link io.coedge.ops.OpRegistry} maps ONNX types and attributes onto them.
 *
 * <p>Layout rules every kernel follows: rank-4 values are NHWC in memory, everything else row-major;
 * inputs may arrive in either layout (constants are row-major even at rank 4), so kernels index
 * logically ({@code offset4}, {@code at4}, or bulk copies through a layout check); outputs are
 * allocated in {@link io.coedge.tensor.Tensor#defaultLayout}. Flatten and Reshape of a map keep the
 * logical NCHW order.
 *
 * <p>Ops whose output rows can be computed band by band implement {@link io.coedge.ops.RowSplittable}
 * (which input rows a band needs) and return a {@link io.coedge.graph.RowKernel}: Conv, ConvTranspose,
 * MaxPool/AveragePool, Resize, LRN, BatchNormalization, Clip, the unary activations, Add/Sub/Mul/Div
 * and Concat (on channels). Kernels keep no state between calls, so one kernel may serve several
 * bands at once from different threads.
 */
package io.coedge.ops;
