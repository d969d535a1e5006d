package io.coedge.ops;

import io.coedge.graph.Attributes;
import io.coedge.graph.Kernel;
import io.coedge.graph.KernelContext;
import io.coedge.graph.ModelException;
import io.coedge.graph.Op;
import io.coedge.graph.RowKernel;
import io.coedge.graph.ShapeContext;
import io.coedge.tensor.Tensor;
import java.util.Arrays;
import java.util.function.IntFunction;

/**
 * Resize of a rank-4 map (ONNX Resize, opset 10 to 17), with {@code scales} or {@code sizes} fixed at
 * load time (constant inputs).
 *
 * <p>Output size is {@code sizes}, or {@code floor(in * scale)}. For each output coordinate the input
 * coordinate is, with {@code scale} the given scale (or {@code out/in} when sizes are given):
 * <ul>
 *   <li>{@code half_pixel}: {@code (x + 0.5) / scale - 0.5}
 *   <li>{@code pytorch_half_pixel}: the same, but 0 when the output length is 1
 *   <li>{@code align_corners}: {@code x * (in - 1) / (out - 1)}, 0 when the output length is 1
 *   <li>{@code asymmetric}: {@code x / scale}
 *   <li>{@code tf_half_pixel_for_nearest}: {@code (x + 0.5) / scale}
 * </ul>
 * {@code nearest} rounds that coordinate by {@code nearestMode} (round_prefer_floor,
 * round_prefer_ceil, floor, ceil) and clamps it to the input; {@code linear} interpolates between the
 * two neighbouring rows and columns (bilinear over H and W; N and C must keep their size), with the
 * coordinate clamped to {@code [0, in - 1]}, as ONNX Runtime and PyTorch do. Opset 10 Resize is
 * {@code asymmetric} with {@code floor} rounding.
 *
 * @param scales {@code [4]} scales, or null when {@code sizes} is given
 * @param sizes  {@code [4]} output sizes, or null when {@code scales} is given
 */
public record Resize(String mode, String coordinateMode, String nearestMode, float[] scales, int[] sizes)
        implements Op, RowSplittable {

    public Resize {
        if (!mode.equals("nearest") && !mode.equals("linear")) {
            throw new ModelException("Resize mode '" + mode + "' is not supported (nearest and linear are)");
        }
        if (!Arrays.asList("half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric",
                "tf_half_pixel_for_nearest").contains(coordinateMode)) {
            throw new ModelException("Resize coordinate_transformation_mode '" + coordinateMode + "' is not supported");
        }
        if (!Arrays.asList("round_prefer_floor", "round_prefer_ceil", "floor", "ceil").contains(nearestMode)) {
            throw new ModelException("Resize nearest_mode '" + nearestMode + "' is not supported");
        }
        if ((scales == null) == (sizes == null)) {
            throw new ModelException("Resize needs exactly one of scales and sizes as a constant");
        }
        if (scales != null && scales.length != 4 || sizes != null && sizes.length != 4) {
            throw new ModelException("Resize supports rank-4 inputs only (scales/sizes must have 4 values)");
        }
        scales = scales == null ? null : scales.clone();
        sizes = sizes == null ? null : sizes.clone();
    }

    /** Nearest upsampling by an integer factor on H and W, as {@code nn.Upsample(scale_factor=f)} exports. */
    public static Resize nearest(float factor) {
        return new Resize("nearest", "asymmetric", "floor", new float[] {1, 1, factor, factor}, null);
    }

    /** The op of an ONNX Resize node (opset 10: scales only, asymmetric, floor); scales or sizes must be constants. */
    public static Resize fromAttributes(String nodeName, Attributes a, int opset, IntFunction<Tensor> constantInputs) {
        try {
            String mode = a.getString("mode", "nearest");
            if (opset < 11) {
                Tensor s = constantInputs.apply(1);
                if (s == null) {
                    throw new ModelException("Resize scales must be a constant");
                }
                return new Resize(mode, "asymmetric", "floor", s.toLogicalArray(), null);
            }
            if (a.getInt("exclude_outside", 0) != 0) {
                throw new ModelException("Resize exclude_outside=1 is not supported");
            }
            if (a.has("antialias") && a.getInt("antialias", 0) != 0) {
                throw new ModelException("Resize antialias=1 is not supported");
            }
            if (a.has("axes")) {
                throw new ModelException("Resize with 'axes' is not supported");
            }
            String coord = a.getString("coordinate_transformation_mode", "half_pixel");
            String nearest = a.getString("nearest_mode", "round_prefer_floor");
            Tensor s = constantInputs.apply(2);
            Tensor z = constantInputs.apply(3);
            float[] scales = s != null && s.size() > 0 ? s.toLogicalArray() : null;
            int[] sizes = null;
            if (z != null && z.size() > 0) {
                long[] v = OpSupport.intValues(z);
                sizes = new int[v.length];
                for (int i = 0; i < v.length; i++) {
                    sizes[i] = (int) v[i];
                }
                scales = null;
            }
            return new Resize(mode, coord, nearest, scales, sizes);
        } catch (ModelException e) {
            throw OpSupport.error(nodeName, e.getMessage());
        }
    }

    @Override
    public String type() {
        return "Resize";
    }

    int outSize(int axis, int in) {
        return sizes != null ? sizes[axis] : (int) Math.floor(in * (double) scales[axis]);
    }

    double scale(int axis, int in, int out) {
        return sizes != null ? (double) out / in : scales[axis];
    }

    @Override
    public int[][] inferShapes(ShapeContext ctx) {
        int[] x = OpSupport.requireRank(ctx, 0, 4);
        for (int i = 1; i < ctx.inputCount(); i++) {
            if (ctx.hasInput(i) && ctx.constant(i) == null) {
                throw ctx.error("input " + i + " (roi/scales/sizes) must be a constant");
            }
        }
        int[] out = new int[4];
        for (int d = 0; d < 4; d++) {
            out[d] = outSize(d, x[d]);
            if (out[d] <= 0) {
                throw ctx.error("output dimension " + d + " would be " + out[d]);
            }
        }
        if (mode.equals("linear") && (out[0] != x[0] || out[1] != x[1])) {
            throw ctx.error("linear resize of the batch or channel dimension is not supported");
        }
        return new int[][] {out};
    }

    @Override
    public long flops(int[][] in, int[][] out) {
        return mode.equals("linear") ? 7 * OpSupport.size(out[0]) : 0;
    }

    /**
     * Input coordinate of output coordinate {@code x} along an axis. align_corners uses the integer
     * output length, as PyTorch and ONNX Runtime do (the ONNX reference uses the unrounded
     * {@code in * scale}, which differs only for non-integer scales).
     */
    double source(double x, int in, int out, double scale) {
        return switch (coordinateMode) {
            case "half_pixel" -> (x + 0.5) / scale - 0.5;
            case "pytorch_half_pixel" -> out > 1 ? (x + 0.5) / scale - 0.5 : 0;
            case "align_corners" -> out == 1 ? 0 : x * (in - 1) / (double) (out - 1);
            case "asymmetric" -> x / scale;
            default -> (x + 0.5) / scale;
        };
    }

    int nearestIndex(double x, int in) {
        long i = switch (nearestMode) {
            case "round_prefer_floor" -> x == Math.floor(x) + 0.5 ? (long) Math.floor(x) : Math.round(x);
            case "round_prefer_ceil" -> (long) Math.floor(x + 0.5);
            case "floor" -> (long) Math.floor(x);
            default -> (long) Math.ceil(x);
        };
        return (int) Math.max(0, Math.min(in - 1, i));
    }

    /** {i0, i1} and weight of i1 for linear interpolation along an axis. */
    private static double linear(double x, int in, int[] idx) {
        x = Math.max(0, Math.min(in - 1, x));
        int i0 = (int) Math.floor(x);
        idx[0] = i0;
        idx[1] = Math.min(in - 1, i0 + 1);
        return x - i0;
    }

    @Override
    public int[] inputRows(int r0, int r1, int inputHeight) {
        if (r1 <= r0) {
            return new int[] {0, 0};
        }
        int outH = outSize(2, inputHeight);
        double s = scale(2, inputHeight, outH);
        int a, b;
        if (mode.equals("nearest")) {
            a = nearestIndex(source(r0, inputHeight, outH, s), inputHeight);
            b = nearestIndex(source(r1 - 1, inputHeight, outH, s), inputHeight) + 1;
        } else {
            int[] idx = new int[2];
            linear(source(r0, inputHeight, outH, s), inputHeight, idx);
            a = idx[0];
            linear(source(r1 - 1, inputHeight, outH, s), inputHeight, idx);
            b = idx[1] + 1;
        }
        return RowSplittable.sameRows(a, b, inputHeight);
    }

    @Override
    public Kernel referenceKernel(KernelContext ctx) {
        int[] x = ctx.inputShape(0);
        int[] o = ctx.outputShape(0);
        double[] s = new double[4];
        for (int d = 0; d < 4; d++) {
            s[d] = scale(d, x[d], o[d]);
        }
        boolean nearest = mode.equals("nearest");
        return (RowKernel) (inputs, inputRow0, out, outRow0, r0, r1) -> {
            Tensor in = inputs[0];
            int row0 = inputRow0[0];
            OpSupport.checkBand(in, row0, inputRows(r0, r1, x[2]), r0, r1);
            int[] yi = new int[2], xi = new int[2];
            for (int n = 0; n < o[0]; n++) {
                int sn = nearest ? nearestIndex(source(n, x[0], o[0], s[0]), x[0]) : n;
                for (int c = 0; c < o[1]; c++) {
                    int sc = nearest ? nearestIndex(source(c, x[1], o[1], s[1]), x[1]) : c;
                    for (int y = r0; y < r1; y++) {
                        double sy = source(y, x[2], o[2], s[2]);
                        for (int w = 0; w < o[3]; w++) {
                            double sx = source(w, x[3], o[3], s[3]);
                            float v;
                            if (nearest) {
                                v = in.at4(sn, sc, nearestIndex(sy, x[2]) - row0, nearestIndex(sx, x[3]));
                            } else {
                                double fy = linear(sy, x[2], yi);
                                double fx = linear(sx, x[3], xi);
                                double top = in.at4(n, c, yi[0] - row0, xi[0]) * (1 - fx) + in.at4(n, c, yi[0] - row0, xi[1]) * fx;
                                double bottom = in.at4(n, c, yi[1] - row0, xi[0]) * (1 - fx) + in.at4(n, c, yi[1] - row0, xi[1]) * fx;
                                v = (float) (top * (1 - fy) + bottom * fy);
                            }
                            out.set(out.offset4(n, c, y - outRow0, w), v);
                        }
                    }
                }
            }
        };
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Resize r && mode.equals(r.mode) && coordinateMode.equals(r.coordinateMode)
                && nearestMode.equals(r.nearestMode) && Arrays.equals(scales, r.scales) && Arrays.equals(sizes, r.sizes);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(mode, coordinateMode, nearestMode, Arrays.hashCode(scales), Arrays.hashCode(sizes));
    }

    @Override
    public String toString() {
        return "Resize[" + mode + " " + coordinateMode + (mode.equals("nearest") ? " " + nearestMode : "")
                + (scales != null ? " scales=" + Arrays.toString(scales) : " sizes=" + Arrays.toString(sizes)) + "]";
    }
}
