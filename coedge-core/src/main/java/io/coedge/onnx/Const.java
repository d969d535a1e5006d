package io.coedge.onnx;

import io.coedge.onnx.proto.Onnx.TensorProto;
import io.coedge.tensor.Layout;
import io.coedge.tensor.Tensor;
import java.lang.foreign.Arena;
import java.util.Arrays;

/**
 * A value known at import time: an initializer, a Constant node's output, or the result of folding a
 * shape computation. Integer values (int64 shapes, indices, BOOL) are held as longs; floating values
 * as floats, or as an off-heap tensor for large initializers so weights are never copied to the heap.
 */
final class Const {
    final int dataType;
    final int[] shape;
    private long[] longs;
    private float[] floats;
    private Tensor tensor;

    private Const(int dataType, int[] shape, long[] longs, float[] floats, Tensor tensor) {
        this.dataType = dataType;
        this.shape = shape;
        this.longs = longs;
        this.floats = floats;
        this.tensor = tensor;
    }

    static Const ofLongs(int dataType, int[] shape, long[] values) {
        if (values.length != OnnxTensors.count(shape)) {
            throw new IllegalStateException(values.length + " values for shape " + Arrays.toString(shape));
        }
        return new Const(dataType, shape, values, null, null);
    }

    static Const ofLongs(int[] shape, long[] values) {
        return ofLongs(TensorProto.DataType.INT64_VALUE, shape, values);
    }

    static Const ofFloats(int[] shape, float[] values) {
        if (values.length != OnnxTensors.count(shape)) {
            throw new IllegalStateException(values.length + " values for shape " + Arrays.toString(shape));
        }
        return new Const(TensorProto.DataType.FLOAT_VALUE, shape, null, values, null);
    }

    static Const ofTensor(Tensor t) {
        return new Const(TensorProto.DataType.FLOAT_VALUE, t.shape(), null, null, t);
    }

    boolean isInteger() {
        return longs != null;
    }

    int size() {
        return (int) OnnxTensors.count(shape);
    }

    long[] longs() {
        if (longs == null) {
            float[] f = floats();
            long[] l = new long[f.length];
            for (int i = 0; i < f.length; i++) {
                l[i] = (long) f[i];
            }
            return l;
        }
        return longs;
    }

    float[] floats() {
        if (floats == null) {
            if (tensor != null) {
                floats = tensor.toLogicalArray();
            } else {
                float[] f = new float[longs.length];
                for (int i = 0; i < f.length; i++) {
                    f[i] = longs[i];
                }
                return f;
            }
        }
        return floats;
    }

    /** The value as a row-major float tensor, as operators and the graph hold constants. */
    Tensor tensor(Arena arena) {
        if (tensor == null) {
            tensor = Tensor.fromLogical(arena, Layout.ROW_MAJOR, floats(), shape);
        }
        return tensor;
    }

    @Override
    public String toString() {
        String v = longs != null ? (longs.length <= 8 ? Arrays.toString(longs) : longs.length + " values")
                : (size() <= 8 ? Arrays.toString(floats()) : size() + " values");
        return OnnxTensors.typeName(dataType) + Arrays.toString(shape) + " " + v;
    }
}
