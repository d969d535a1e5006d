package io.coedge.onnx;

import io.coedge.graph.ModelException;
import io.coedge.onnx.proto.Onnx.AttributeProto;
import io.coedge.onnx.proto.Onnx.NodeProto;
import io.coedge.onnx.proto.Onnx.TensorProto;
import io.coedge.ops.Reshape;
import io.coedge.tensor.Shapes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * Evaluates, at import, the small shape computations exporters put in front of Reshape and Resize
 * (PyTorch's {@code x.view(x.size(0), -1)} becomes Shape, Gather, Unsqueeze, Concat, Reshape). Folded
 * nodes never enter the graph IR; their outputs become constants.
 */
final class ConstantFolder {
    /** Ops evaluated here when all their inputs are known. Shape and Size only need the input's shape. */
    static final Set<String> FOLDABLE = Set.of("Constant", "Shape", "Size", "Gather", "Unsqueeze", "Squeeze", "Concat",
            "Cast", "Slice", "ConstantOfShape", "Mul", "Add", "Sub", "Div", "Range", "Reshape", "Identity", "Floor",
            "Ceil", "Neg", "Equal", "Where", "Expand", "Flatten", "Transpose", "Min", "Max");

    /** Ops that must fold: CoEdge has no runtime kernel for them. */
    static final Set<String> FOLD_ONLY = Set.of("Constant", "Shape", "Size", "Gather", "Unsqueeze", "Squeeze", "Cast",
            "Slice", "ConstantOfShape", "Range", "Floor", "Ceil", "Neg", "Equal", "Where", "Expand", "Transpose",
            "Min", "Max");

    /** Largest folded value, in elements: shape computations are tiny; anything bigger is not one. */
    static final int MAX_FOLDED_ELEMENTS = 1 << 24;

    private final NodeProto node;
    private final String where;
    private final int opset;

    private ConstantFolder(NodeProto node, String where, int opset) {
        this.node = node;
        this.where = where;
        this.opset = opset;
    }

    /**
     * Folds one node.
     *
     * @param inputs the constant value of each input (null for an omitted optional input)
     * @param inputShapes the shape of each input (only Shape and Size use it for non-constant inputs)
     */
    static Const[] fold(NodeProto node, String where, int opset, Const[] inputs, int[][] inputShapes) {
        return new ConstantFolder(node, where, opset).fold(inputs, inputShapes);
    }

    private ModelException error(String message) {
        return new ModelException(where + ": " + message);
    }

    private AttributeProto attr(String name) {
        for (AttributeProto a : node.getAttributeList()) {
            if (a.getName().equals(name)) {
                return a;
            }
        }
        return null;
    }

    private long intAttr(String name, long dflt) {
        AttributeProto a = attr(name);
        return a == null ? dflt : a.getI();
    }

    private long[] intsAttr(String name) {
        AttributeProto a = attr(name);
        if (a == null) {
            return null;
        }
        long[] v = new long[a.getIntsCount()];
        for (int i = 0; i < v.length; i++) {
            v[i] = a.getInts(i);
        }
        return v;
    }

    private static int[] shapeOf(long n) {
        return new int[] {(int) n};
    }

    private Const[] fold(Const[] in, int[][] inShapes) {
        String type = node.getOpType();
        Const out = switch (type) {
            case "Constant" -> constant();
            case "Shape" -> shape(inShapes[0]);
            case "Size" -> Const.ofLongs(new int[0], new long[] {Shapes.size(inShapes[0])});
            case "Identity" -> in[0];
            case "Gather" -> gather(in[0], in[1]);
            case "Unsqueeze" -> unsqueeze(in[0], axesFrom(in, 1));
            case "Squeeze" -> squeeze(in[0], axesFrom(in, 1));
            case "Concat" -> concat(in);
            case "Cast" -> cast(in[0], (int) intAttr("to", TensorProto.DataType.FLOAT_VALUE));
            case "Slice" -> slice(in);
            case "ConstantOfShape" -> constantOfShape(in[0]);
            case "Add", "Sub", "Mul", "Div", "Equal", "Min", "Max" -> binary(type, in[0], in[1]);
            case "Neg", "Floor", "Ceil" -> unary(type, in[0]);
            case "Where" -> where(in[0], in[1], in[2]);
            case "Range" -> range(in[0], in[1], in[2]);
            case "Reshape" -> reshape(in[0], in[1]);
            case "Expand" -> expand(in[0], in[1]);
            case "Flatten" -> flatten(in[0]);
            case "Transpose" -> transpose(in[0]);
            default -> throw error("cannot fold operator " + type);
        };
        return new Const[] {out};
    }

    /** Element count, saturating at Long.MAX_VALUE so hostile dimensions cannot wrap around to small. */
    static long safeSize(int[] shape) {
        long n = 1;
        for (int d : shape) {
            if (d == 0) {
                return 0;
            }
            n = n > Long.MAX_VALUE / d ? Long.MAX_VALUE : n * d;
        }
        return n;
    }

    private void checkSize(long n) {
        if (n > MAX_FOLDED_ELEMENTS) {
            throw error("constant result of " + n + " elements is too large to fold at import (limit "
                    + MAX_FOLDED_ELEMENTS + ")");
        }
    }

    private Const constant() {
        if (node.getAttributeCount() != 1) {
            throw error("Constant needs exactly one value attribute");
        }
        AttributeProto a = node.getAttribute(0);
        return switch (a.getName()) {
            case "value" -> fromTensor(a.getT(), where + " attribute 'value'");
            case "value_float" -> Const.ofFloats(new int[0], new float[] {a.getF()});
            case "value_floats" -> {
                float[] f = new float[a.getFloatsCount()];
                for (int i = 0; i < f.length; i++) {
                    f[i] = a.getFloats(i);
                }
                yield Const.ofFloats(shapeOf(f.length), f);
            }
            case "value_int" -> Const.ofLongs(new int[0], new long[] {a.getI()});
            case "value_ints" -> {
                long[] v = intsAttr("value_ints");
                yield Const.ofLongs(shapeOf(v.length), v);
            }
            default -> throw error("Constant attribute '" + a.getName() + "' is not supported (only numeric tensors)");
        };
    }

    /** Decodes an initializer or tensor attribute; integer types stay integers, floating types become floats. */
    static Const fromTensor(TensorProto t, String what) {
        int type = t.getDataType();
        int[] shape = OnnxTensors.dims(t, what);
        if (OnnxTensors.isInteger(type)) {
            return Const.ofLongs(type, shape, OnnxTensors.toLongs(t, what));
        }
        if (OnnxTensors.isFloating(type)) {
            return Const.ofFloats(shape, OnnxTensors.toFloats(t, what));
        }
        throw new ModelException(what + " has type " + OnnxTensors.typeName(type) + ", which CoEdge does not support");
    }

    private Const shape(int[] s) {
        int rank = s.length;
        long start = intAttr("start", 0);
        long end = intAttr("end", rank);
        start = clampAxis(start < 0 ? start + rank : start, rank);
        end = clampAxis(end < 0 ? end + rank : end, rank);
        int n = (int) Math.max(0, end - start);
        long[] v = new long[n];
        for (int i = 0; i < n; i++) {
            v[i] = s[(int) start + i];
        }
        return Const.ofLongs(shapeOf(n), v);
    }

    private static long clampAxis(long a, int rank) {
        return Math.max(0, Math.min(rank, a));
    }

    private int axis(long a, int rank) {
        long r = a < 0 ? a + rank : a;
        if (r < 0 || r >= rank) {
            throw error("axis " + a + " is out of range for rank " + rank);
        }
        return (int) r;
    }

    private static int[] strides(int[] shape) {
        int[] s = new int[shape.length];
        int acc = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= shape[i];
        }
        return s;
    }

    /** Gathers elements of {@code c} by flat source index, keeping its element type. */
    private static Const pick(Const c, int[] shape, int[] srcIndex) {
        if (c.isInteger()) {
            long[] src = c.longs();
            long[] v = new long[srcIndex.length];
            for (int i = 0; i < v.length; i++) {
                v[i] = src[srcIndex[i]];
            }
            return Const.ofLongs(c.dataType, shape, v);
        }
        float[] src = c.floats();
        float[] v = new float[srcIndex.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = src[srcIndex[i]];
        }
        return Const.ofFloats(shape, v);
    }

    private Const gather(Const data, Const indices) {
        int rank = data.shape.length;
        if (rank == 0) {
            throw error("Gather needs data of rank >= 1");
        }
        int ax = axis(intAttr("axis", 0), rank);
        long[] idx = indices.longs();
        int[] outShape = new int[rank - 1 + indices.shape.length];
        int k = 0;
        for (int i = 0; i < ax; i++) {
            outShape[k++] = data.shape[i];
        }
        for (int d : indices.shape) {
            outShape[k++] = d;
        }
        for (int i = ax + 1; i < rank; i++) {
            outShape[k++] = data.shape[i];
        }
        long total = safeSize(outShape);
        checkSize(total);
        int outer = 1;
        for (int i = 0; i < ax; i++) {
            outer *= data.shape[i];
        }
        int inner = 1;
        for (int i = ax + 1; i < rank; i++) {
            inner *= data.shape[i];
        }
        int dim = data.shape[ax];
        int[] src = new int[(int) total];
        int p = 0;
        for (int o = 0; o < outer; o++) {
            for (long j : idx) {
                long jj = j < 0 ? j + dim : j;
                if (jj < 0 || jj >= dim) {
                    throw error("Gather index " + j + " is out of range for dimension " + dim);
                }
                for (int i = 0; i < inner; i++) {
                    src[p++] = (int) ((o * (long) dim + jj) * inner + i);
                }
            }
        }
        return pick(data, outShape, src);
    }

    private long[] axesFrom(Const[] in, int index) {
        if (opset >= 13) {
            return index < in.length && in[index] != null ? in[index].longs() : null;
        }
        return intsAttr("axes");
    }

    private Const unsqueeze(Const x, long[] axes) {
        if (axes == null) {
            throw error("Unsqueeze needs axes");
        }
        int outRank = x.shape.length + axes.length;
        boolean[] inserted = new boolean[outRank];
        for (long a : axes) {
            int ax = axis(a, outRank);
            if (inserted[ax]) {
                throw error("Unsqueeze axis " + a + " is repeated");
            }
            inserted[ax] = true;
        }
        int[] out = new int[outRank];
        for (int i = 0, j = 0; i < outRank; i++) {
            out[i] = inserted[i] ? 1 : x.shape[j++];
        }
        return reshaped(x, out);
    }

    private Const squeeze(Const x, long[] axes) {
        int rank = x.shape.length;
        boolean[] drop = new boolean[rank];
        if (axes == null) {
            for (int i = 0; i < rank; i++) {
                drop[i] = x.shape[i] == 1;
            }
        } else {
            for (long a : axes) {
                int ax = axis(a, rank);
                if (x.shape[ax] != 1) {
                    throw error("Squeeze axis " + a + " has size " + x.shape[ax] + ", not 1");
                }
                drop[ax] = true;
            }
        }
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < rank; i++) {
            if (!drop[i]) {
                out.add(x.shape[i]);
            }
        }
        return reshaped(x, out.stream().mapToInt(Integer::intValue).toArray());
    }

    private static Const reshaped(Const x, int[] shape) {
        return x.isInteger() ? Const.ofLongs(x.dataType, shape, x.longs()) : Const.ofFloats(shape, x.floats());
    }

    private Const concat(Const[] in) {
        List<Const> parts = new ArrayList<>();
        for (Const c : in) {
            if (c != null) {
                parts.add(c);
            }
        }
        if (parts.isEmpty()) {
            throw error("Concat needs at least one input");
        }
        int rank = parts.get(0).shape.length;
        int ax = axis(intAttr("axis", 0), rank);
        boolean ints = parts.stream().allMatch(Const::isInteger);
        int[] out = parts.get(0).shape.clone();
        out[ax] = 0;
        for (Const c : parts) {
            if (c.shape.length != rank) {
                throw error("Concat inputs have different ranks");
            }
            for (int i = 0; i < rank; i++) {
                if (i != ax && c.shape[i] != out[i]) {
                    throw error("Concat inputs disagree in dimension " + i + ": " + Arrays.toString(c.shape)
                            + " vs " + Arrays.toString(parts.get(0).shape));
                }
            }
            out[ax] += c.shape[ax];
        }
        long total = safeSize(out);
        checkSize(total);
        int outer = 1;
        for (int i = 0; i < ax; i++) {
            outer *= out[i];
        }
        long[] lv = ints ? new long[(int) total] : null;
        float[] fv = ints ? null : new float[(int) total];
        int p = 0;
        for (int o = 0; o < outer; o++) {
            for (Const c : parts) {
                int chunk = c.size() / Math.max(outer, 1);
                if (ints) {
                    System.arraycopy(c.longs(), o * chunk, lv, p, chunk);
                } else {
                    System.arraycopy(c.floats(), o * chunk, fv, p, chunk);
                }
                p += chunk;
            }
        }
        return ints ? Const.ofLongs(parts.get(0).dataType, out, lv) : Const.ofFloats(out, fv);
    }

    private Const cast(Const x, int to) {
        if (OnnxTensors.isFloating(to)) {
            float[] f = x.floats().clone();
            if (to == TensorProto.DataType.FLOAT16_VALUE) {
                for (int i = 0; i < f.length; i++) {
                    f[i] = Float.float16ToFloat(Float.floatToFloat16(f[i]));
                }
            }
            return Const.ofFloats(x.shape, f);
        }
        if (OnnxTensors.isInteger(to)) {
            long[] v;
            if (x.isInteger()) {
                v = x.longs().clone();
            } else {
                float[] f = x.floats();
                v = new long[f.length];
                boolean toBool = to == TensorProto.DataType.BOOL_VALUE;
                for (int i = 0; i < f.length; i++) {
                    // Truncation toward zero, as C casts and ONNX Runtime do; BOOL is "non-zero" (0.2 is true).
                    v[i] = toBool ? (f[i] != 0 ? 1 : 0) : (long) f[i];
                }
            }
            if (to == TensorProto.DataType.BOOL_VALUE) {
                for (int i = 0; i < v.length; i++) {
                    v[i] = v[i] != 0 ? 1 : 0;
                }
            }
            return Const.ofLongs(to, x.shape, v);
        }
        throw error("Cast to " + OnnxTensors.typeName(to) + " is not supported");
    }

    private Const slice(Const[] in) {
        Const data = in[0];
        int rank = data.shape.length;
        long[] starts;
        long[] ends;
        long[] axes;
        long[] steps = null;
        if (opset >= 10) {
            starts = in[1].longs();
            ends = in[2].longs();
            axes = in.length > 3 && in[3] != null ? in[3].longs() : null;
            steps = in.length > 4 && in[4] != null ? in[4].longs() : null;
        } else {
            starts = intsAttr("starts");
            ends = intsAttr("ends");
            axes = intsAttr("axes");
        }
        if (starts == null || ends == null || starts.length != ends.length) {
            throw error("Slice needs starts and ends of equal length");
        }
        int[] st = new int[rank];
        int[] step = new int[rank];
        int[] out = data.shape.clone();
        Arrays.fill(step, 1);
        for (int i = 0; i < starts.length; i++) {
            int ax = axis(axes == null ? i : axes[i], rank);
            long s = steps == null ? 1 : steps[i];
            if (s == 0) {
                throw error("Slice step must not be 0");
            }
            long dim = data.shape[ax];
            long b = starts[i] < 0 ? starts[i] + dim : starts[i];
            long e = ends[i] < 0 ? ends[i] + dim : ends[i];
            long n;
            if (s > 0) {
                b = Math.max(0, Math.min(dim, b));
                e = Math.max(0, Math.min(dim, e));
                n = e > b ? (e - b + s - 1) / s : 0;
            } else {
                b = Math.max(-1, Math.min(dim - 1, b));
                e = Math.max(-1, Math.min(dim - 1, e));
                n = b > e ? (b - e + (-s) - 1) / (-s) : 0;
            }
            st[ax] = (int) b;
            step[ax] = (int) s;
            out[ax] = (int) n;
        }
        long total = safeSize(out);
        checkSize(total);
        int[] srcStride = strides(data.shape);
        int[] src = new int[(int) total];
        int[] idx = new int[rank];
        for (int p = 0; p < total; p++) {
            int off = 0;
            for (int d = 0; d < rank; d++) {
                off += (st[d] + idx[d] * step[d]) * srcStride[d];
            }
            src[p] = off;
            for (int d = rank - 1; d >= 0; d--) {
                if (++idx[d] < out[d]) {
                    break;
                }
                idx[d] = 0;
            }
        }
        return pick(data, out, src);
    }

    private int[] shapeFromValues(long[] v, String what) {
        int[] s = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            if (v[i] < 0 || v[i] > Integer.MAX_VALUE) {
                throw error(what + " has an invalid dimension " + v[i]);
            }
            s[i] = (int) v[i];
        }
        checkSize(safeSize(s));
        return s;
    }

    private Const constantOfShape(Const shapeValue) {
        int[] s = shapeFromValues(shapeValue.longs(), "ConstantOfShape shape");
        int n = (int) Shapes.size(s);
        AttributeProto a = attr("value");
        if (a == null) {
            return Const.ofFloats(s, new float[n]);
        }
        Const v = fromTensor(a.getT(), where + " attribute 'value'");
        if (v.size() != 1) {
            throw error("ConstantOfShape value must hold one element");
        }
        if (v.isInteger()) {
            long[] out = new long[n];
            Arrays.fill(out, v.longs()[0]);
            return Const.ofLongs(v.dataType, s, out);
        }
        float[] out = new float[n];
        Arrays.fill(out, v.floats()[0]);
        return Const.ofFloats(s, out);
    }

    /** Source flat index into an input of shape {@code in} for each element of the broadcast shape {@code out}. */
    private static int[] broadcastIndex(int[] in, int[] out) {
        int total = (int) Shapes.size(out);
        int[] src = new int[total];
        int[] inStride = strides(in);
        int shift = out.length - in.length;
        int[] idx = new int[out.length];
        for (int p = 0; p < total; p++) {
            int off = 0;
            for (int d = 0; d < in.length; d++) {
                off += (in[d] == 1 ? 0 : idx[d + shift]) * inStride[d];
            }
            src[p] = off;
            for (int d = out.length - 1; d >= 0; d--) {
                if (++idx[d] < out[d]) {
                    break;
                }
                idx[d] = 0;
            }
        }
        return src;
    }

    private int[] broadcast(int[] a, int[] b) {
        try {
            int[] s = Shapes.broadcast(a, b);
            checkSize(safeSize(s));
            return s;
        } catch (IllegalArgumentException e) {
            throw error(e.getMessage());
        }
    }

    private Const binary(String op, Const a, Const b) {
        int[] out = broadcast(a.shape, b.shape);
        int[] ia = broadcastIndex(a.shape, out);
        int[] ib = broadcastIndex(b.shape, out);
        if (a.isInteger() && b.isInteger()) {
            long[] x = a.longs();
            long[] y = b.longs();
            long[] v = new long[ia.length];
            for (int i = 0; i < v.length; i++) {
                long p = x[ia[i]];
                long q = y[ib[i]];
                v[i] = switch (op) {
                    case "Add" -> p + q;
                    case "Sub" -> p - q;
                    case "Mul" -> p * q;
                    case "Div" -> {
                        if (q == 0) {
                            throw error("integer division by zero");
                        }
                        yield p / q; // truncation, as ONNX Runtime does for integers
                    }
                    case "Equal" -> p == q ? 1 : 0;
                    case "Min" -> Math.min(p, q);
                    default -> Math.max(p, q);
                };
            }
            int type = op.equals("Equal") ? TensorProto.DataType.BOOL_VALUE : a.dataType;
            return Const.ofLongs(type, out, v);
        }
        float[] x = a.floats();
        float[] y = b.floats();
        if (op.equals("Equal")) {
            long[] v = new long[ia.length];
            for (int i = 0; i < v.length; i++) {
                v[i] = x[ia[i]] == y[ib[i]] ? 1 : 0;
            }
            return Const.ofLongs(TensorProto.DataType.BOOL_VALUE, out, v);
        }
        float[] v = new float[ia.length];
        for (int i = 0; i < v.length; i++) {
            float p = x[ia[i]];
            float q = y[ib[i]];
            v[i] = switch (op) {
                case "Add" -> p + q;
                case "Sub" -> p - q;
                case "Mul" -> p * q;
                case "Div" -> p / q;
                case "Min" -> Math.min(p, q);
                default -> Math.max(p, q);
            };
        }
        return Const.ofFloats(out, v);
    }

    private Const unary(String op, Const x) {
        if (x.isInteger()) {
            long[] v = x.longs().clone();
            if (op.equals("Neg")) {
                for (int i = 0; i < v.length; i++) {
                    v[i] = -v[i];
                }
            }
            return Const.ofLongs(x.dataType, x.shape, v);
        }
        float[] v = x.floats().clone();
        for (int i = 0; i < v.length; i++) {
            v[i] = switch (op) {
                case "Neg" -> -v[i];
                case "Floor" -> (float) Math.floor(v[i]);
                default -> (float) Math.ceil(v[i]);
            };
        }
        return Const.ofFloats(x.shape, v);
    }

    private Const where(Const cond, Const a, Const b) {
        int[] out = broadcast(broadcast(cond.shape, a.shape), b.shape);
        int[] ic = broadcastIndex(cond.shape, out);
        int[] ia = broadcastIndex(a.shape, out);
        int[] ib = broadcastIndex(b.shape, out);
        long[] c = cond.longs();
        if (a.isInteger() && b.isInteger()) {
            long[] x = a.longs();
            long[] y = b.longs();
            long[] v = new long[ic.length];
            for (int i = 0; i < v.length; i++) {
                v[i] = c[ic[i]] != 0 ? x[ia[i]] : y[ib[i]];
            }
            return Const.ofLongs(a.dataType, out, v);
        }
        float[] x = a.floats();
        float[] y = b.floats();
        float[] v = new float[ic.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = c[ic[i]] != 0 ? x[ia[i]] : y[ib[i]];
        }
        return Const.ofFloats(out, v);
    }

    private Const range(Const start, Const limit, Const delta) {
        if (start.isInteger() && limit.isInteger() && delta.isInteger()) {
            long s = start.longs()[0];
            long l = limit.longs()[0];
            long d = delta.longs()[0];
            if (d == 0) {
                throw error("Range delta must not be 0");
            }
            long n = Math.max(0, ceilDiv(l - s, d));
            checkSize(n);
            long[] v = new long[(int) n];
            for (int i = 0; i < n; i++) {
                v[i] = s + i * d;
            }
            return Const.ofLongs(start.dataType, shapeOf(n), v);
        }
        float s = start.floats()[0];
        float l = limit.floats()[0];
        float d = delta.floats()[0];
        if (d == 0) {
            throw error("Range delta must not be 0");
        }
        double count = Math.ceil((l - s) / (double) d);
        long n = (long) Math.max(0, count);
        checkSize(n);
        float[] v = new float[(int) n];
        for (int i = 0; i < n; i++) {
            v[i] = s + i * d;
        }
        return Const.ofFloats(shapeOf(n), v);
    }

    private static long ceilDiv(long a, long b) {
        return -Math.floorDiv(-a, b);
    }

    private Const reshape(Const x, Const shape) {
        int[] out;
        try {
            out = Reshape.targetShape(x.shape, shape.longs(), intAttr("allowzero", 0) != 0);
        } catch (ModelException e) {
            throw new ModelException(where + ": Reshape " + e.getMessage());
        }
        return reshaped(x, out);
    }

    private Const expand(Const x, Const shape) {
        int[] target = shapeFromValues(shape.longs(), "Expand shape");
        int[] out = broadcast(x.shape, target);
        return pick(x, out, broadcastIndex(x.shape, out));
    }

    private Const flatten(Const x) {
        int rank = x.shape.length;
        long a = intAttr("axis", 1);
        int ax = (int) (a < 0 ? a + rank : a);
        if (ax < 0 || ax > rank) {
            throw error("Flatten axis " + a + " is out of range for rank " + rank);
        }
        int outer = 1;
        for (int i = 0; i < ax; i++) {
            outer *= x.shape[i];
        }
        return reshaped(x, new int[] {outer, x.size() / Math.max(outer, 1)});
    }

    private Const transpose(Const x) {
        int rank = x.shape.length;
        long[] perm = intsAttr("perm");
        int[] p = new int[rank];
        for (int i = 0; i < rank; i++) {
            p[i] = perm == null ? rank - 1 - i : axis(perm[i], rank);
        }
        int[] out = new int[rank];
        for (int i = 0; i < rank; i++) {
            out[i] = x.shape[p[i]];
        }
        int[] inStride = strides(x.shape);
        int total = x.size();
        int[] src = new int[total];
        int[] idx = new int[rank];
        for (int q = 0; q < total; q++) {
            int off = 0;
            for (int d = 0; d < rank; d++) {
                off += idx[d] * inStride[p[d]];
            }
            src[q] = off;
            for (int d = rank - 1; d >= 0; d--) {
                if (++idx[d] < out[d]) {
                    break;
                }
                idx[d] = 0;
            }
        }
        return pick(x, out, src);
    }
}
