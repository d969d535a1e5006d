package io.coedge.onnx;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import io.coedge.graph.ModelException;
import io.coedge.onnx.proto.Onnx.TensorProto;
import io.coedge.onnx.proto.Onnx.TensorProto.DataType;
import io.coedge.tensor.Layout;
import io.coedge.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Decodes ONNX {@code TensorProto}s into CoEdge values, checking every size against the dims before
 * allocating anything, so a hostile file cannot make us allocate more than it actually holds.
 */
public final class OnnxTensors {
    /** Largest tensor accepted, in elements (the ONNX protobuf format itself stops at 2 GiB). */
    public static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8L;

    private static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private OnnxTensors() {
    }

    /** ONNX data type name for messages, e.g. {@code INT64}. */
    public static String typeName(int dataType) {
        DataType t = DataType.forNumber(dataType);
        return t == null ? "type " + dataType : t.name();
    }

    /** Bytes per element in raw_data, or -1 for types we cannot decode. */
    static int elementBytes(int dataType) {
        return switch (dataType) {
            case TensorProto.DataType.FLOAT_VALUE, TensorProto.DataType.INT32_VALUE, TensorProto.DataType.UINT32_VALUE -> 4;
            case TensorProto.DataType.DOUBLE_VALUE, TensorProto.DataType.INT64_VALUE, TensorProto.DataType.UINT64_VALUE -> 8;
            case TensorProto.DataType.INT16_VALUE, TensorProto.DataType.UINT16_VALUE, TensorProto.DataType.FLOAT16_VALUE -> 2;
            case TensorProto.DataType.INT8_VALUE, TensorProto.DataType.UINT8_VALUE, TensorProto.DataType.BOOL_VALUE -> 1;
            default -> -1;
        };
    }

    static boolean isInteger(int dataType) {
        return switch (dataType) {
            case TensorProto.DataType.INT8_VALUE, TensorProto.DataType.UINT8_VALUE, TensorProto.DataType.INT16_VALUE,
                 TensorProto.DataType.UINT16_VALUE, TensorProto.DataType.INT32_VALUE, TensorProto.DataType.UINT32_VALUE,
                 TensorProto.DataType.INT64_VALUE, TensorProto.DataType.UINT64_VALUE, TensorProto.DataType.BOOL_VALUE -> true;
            default -> false;
        };
    }

    /** Checked dims of a tensor: non-negative, int-sized, and a product within {@link #MAX_ELEMENTS}. */
    static int[] dims(TensorProto t, String what) {
        int[] shape = new int[t.getDimsCount()];
        long n = 1;
        for (int i = 0; i < shape.length; i++) {
            long d = t.getDims(i);
            if (d < 0 || d > Integer.MAX_VALUE) {
                throw new ModelException(what + " has an invalid dimension " + d + " in dims " + t.getDimsList());
            }
            shape[i] = (int) d;
            n = d == 0 ? 0 : (n > MAX_ELEMENTS / Math.max(d, 1) ? MAX_ELEMENTS + 1 : n * d);
        }
        if (n > MAX_ELEMENTS) {
            throw new ModelException(what + " has dims " + t.getDimsList() + ", more than " + MAX_ELEMENTS + " elements");
        }
        return shape;
    }

    static long count(int[] shape) {
        long n = 1;
        for (int d : shape) {
            n *= d;
        }
        return n;
    }

    private static void rejectExternal(TensorProto t, String what) {
        if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL || t.getExternalDataCount() > 0) {
            throw new ModelException(what + " keeps its data in an external file, which is not supported; save the"
                    + " model with all tensors inside the .onnx file (onnx.save_model(model, path,"
                    + " save_as_external_data=False))");
        }
    }

    private static void checkCount(String what, String field, long have, long need, int[] shape) {
        if (have != need) {
            throw new ModelException(what + ": " + field + " holds " + have + " values but dims " + Arrays.toString(shape)
                    + " need " + need + " (corrupt or inconsistent tensor)");
        }
    }

    /** True for FLOAT, FLOAT16 and DOUBLE tensors, which decode to floats. */
    static boolean isFloating(int dataType) {
        return dataType == TensorProto.DataType.FLOAT_VALUE || dataType == TensorProto.DataType.DOUBLE_VALUE
                || dataType == TensorProto.DataType.FLOAT16_VALUE;
    }

    /**
     * Decodes a FLOAT tensor into a new row-major tensor in {@code arena}, straight from raw_data (little
     * endian) or float_data, without an intermediate heap array.
     *
     * @param what names the tensor in error messages, e.g. {@code initializer 'conv1.weight'}
     */
    public static Tensor toFloatTensor(TensorProto t, Arena arena, String what) {
        rejectExternal(t, what);
        if (t.getDataType() != TensorProto.DataType.FLOAT_VALUE) {
            float[] v = toFloats(t, what);
            return Tensor.fromLogical(arena, Layout.ROW_MAJOR, v, dims(t, what));
        }
        int[] shape = dims(t, what);
        long n = count(shape);
        if (t.hasRawData()) {
            ByteString raw = t.getRawData();
            checkCount(what, "raw_data", raw.size() / 4, n, shape);
            if (raw.size() % 4 != 0) {
                throw new ModelException(what + ": raw_data has " + raw.size() + " bytes, not a multiple of 4");
            }
            Tensor out = Tensor.allocate(arena, Layout.ROW_MAJOR, shape);
            ByteBuffer buf = raw.asReadOnlyByteBuffer().slice();
            MemorySegment src = MemorySegment.ofBuffer(buf);
            MemorySegment.copy(src, LE_FLOAT, 0, out.segment(), Tensor.FLOAT, 0, n);
            return out;
        }
        checkCount(what, "float_data", t.getFloatDataCount(), n, shape);
        Tensor out = Tensor.allocate(arena, Layout.ROW_MAJOR, shape);
        for (int i = 0; i < n; i++) {
            out.set(i, t.getFloatData(i));
        }
        return out;
    }

    /** Decodes a FLOAT, FLOAT16 or DOUBLE tensor into logical-order floats. */
    static float[] toFloats(TensorProto t, String what) {
        rejectExternal(t, what);
        int type = t.getDataType();
        int[] shape = dims(t, what);
        int n = (int) count(shape);
        float[] out;
        switch (type) {
            case TensorProto.DataType.FLOAT_VALUE -> {
                if (t.hasRawData()) {
                    ByteBuffer b = rawBuffer(t, what, n, 4, shape);
                    out = new float[n];
                    b.asFloatBuffer().get(out);
                } else {
                    checkCount(what, "float_data", t.getFloatDataCount(), n, shape);
                    out = new float[n];
                    for (int i = 0; i < n; i++) {
                        out[i] = t.getFloatData(i);
                    }
                }
            }
            case TensorProto.DataType.DOUBLE_VALUE -> {
                out = new float[n];
                if (t.hasRawData()) {
                    ByteBuffer b = rawBuffer(t, what, n, 8, shape);
                    for (int i = 0; i < n; i++) {
                        out[i] = (float) b.getDouble(i * 8);
                    }
                } else {
                    checkCount(what, "double_data", t.getDoubleDataCount(), n, shape);
                    for (int i = 0; i < n; i++) {
                        out[i] = (float) t.getDoubleData(i);
                    }
                }
            }
            case TensorProto.DataType.FLOAT16_VALUE -> {
                out = new float[n];
                if (t.hasRawData()) {
                    ByteBuffer b = rawBuffer(t, what, n, 2, shape);
                    for (int i = 0; i < n; i++) {
                        out[i] = Float.float16ToFloat(b.getShort(i * 2));
                    }
                } else {
                    // float16 values travel in int32_data, one per element (low 16 bits).
                    checkCount(what, "int32_data", t.getInt32DataCount(), n, shape);
                    for (int i = 0; i < n; i++) {
                        out[i] = Float.float16ToFloat((short) t.getInt32Data(i));
                    }
                }
            }
            default -> throw new ModelException(what + " has type " + typeName(type) + ", expected a floating-point tensor");
        }
        return out;
    }

    /** Decodes an integer or BOOL tensor into logical-order longs. */
    static long[] toLongs(TensorProto t, String what) {
        rejectExternal(t, what);
        int type = t.getDataType();
        int[] shape = dims(t, what);
        int n = (int) count(shape);
        int size = elementBytes(type);
        if (!isInteger(type) || size < 0) {
            throw new ModelException(what + " has type " + typeName(type) + ", expected an integer tensor");
        }
        long[] out = new long[n];
        if (t.hasRawData()) {
            ByteBuffer b = rawBuffer(t, what, n, size, shape);
            for (int i = 0; i < n; i++) {
                out[i] = switch (type) {
                    case TensorProto.DataType.INT64_VALUE, TensorProto.DataType.UINT64_VALUE -> b.getLong(i * 8);
                    case TensorProto.DataType.INT32_VALUE -> b.getInt(i * 4);
                    case TensorProto.DataType.UINT32_VALUE -> Integer.toUnsignedLong(b.getInt(i * 4));
                    case TensorProto.DataType.INT16_VALUE -> b.getShort(i * 2);
                    case TensorProto.DataType.UINT16_VALUE -> Short.toUnsignedInt(b.getShort(i * 2));
                    case TensorProto.DataType.INT8_VALUE -> b.get(i);
                    default -> Byte.toUnsignedInt(b.get(i)); // UINT8, BOOL
                };
            }
            return out;
        }
        switch (type) {
            case TensorProto.DataType.INT64_VALUE -> {
                checkCount(what, "int64_data", t.getInt64DataCount(), n, shape);
                for (int i = 0; i < n; i++) {
                    out[i] = t.getInt64Data(i);
                }
            }
            case TensorProto.DataType.UINT64_VALUE, TensorProto.DataType.UINT32_VALUE -> {
                checkCount(what, "uint64_data", t.getUint64DataCount(), n, shape);
                for (int i = 0; i < n; i++) {
                    out[i] = t.getUint64Data(i);
                }
            }
            default -> {
                checkCount(what, "int32_data", t.getInt32DataCount(), n, shape);
                for (int i = 0; i < n; i++) {
                    out[i] = t.getInt32Data(i);
                }
            }
        }
        return out;
    }

    private static ByteBuffer rawBuffer(TensorProto t, String what, int n, int size, int[] shape) {
        ByteString raw = t.getRawData();
        if (raw.size() != (long) n * size) {
            throw new ModelException(what + ": raw_data has " + raw.size() + " bytes but dims " + Arrays.toString(shape)
                    + " of " + typeName(t.getDataType()) + " need " + (long) n * size + " (corrupt or inconsistent tensor)");
        }
        return raw.asReadOnlyByteBuffer().slice().order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Reads a file holding one serialised {@code TensorProto} (the format of the ONNX test data's
     * {@code input_0.pb}) as a float tensor in logical row-major order.
     */
    public static Tensor readFloatTensor(Path file, Arena arena) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        TensorProto t;
        try {
            t = TensorProto.parseFrom(CodedInputStream.newInstance(bytes));
        } catch (InvalidProtocolBufferException e) {
            throw new ModelException("'" + file + "' is not a serialised ONNX tensor: " + e.getMessage());
        }
        return toFloatTensor(t, arena, "tensor '" + t.getName() + "' in " + file.getFileName());
    }
}
