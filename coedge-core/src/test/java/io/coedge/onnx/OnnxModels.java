package io.coedge.onnx;

import com.google.protobuf.ByteString;
import io.coedge.onnx.proto.Onnx.AttributeProto;
import io.coedge.onnx.proto.Onnx.GraphProto;
import io.coedge.onnx.proto.Onnx.ModelProto;
import io.coedge.onnx.proto.Onnx.NodeProto;
import io.coedge.onnx.proto.Onnx.OperatorSetIdProto;
import io.coedge.onnx.proto.Onnx.TensorProto;
import io.coedge.onnx.proto.Onnx.TensorShapeProto;
import io.coedge.onnx.proto.Onnx.TypeProto;
import io.coedge.onnx.proto.Onnx.ValueInfoProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Small hand-built ONNX models for tests. */
final class OnnxModels {
    private OnnxModels() {
    }

    static ModelProto model(int opset, GraphProto graph) {
        return ModelProto.newBuilder().setIrVersion(8).setProducerName("test")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset))
                .setGraph(graph).build();
    }

    /** A float tensor value info; a dim of -1 is dynamic (dim_param "N"). */
    static ValueInfoProto floatValue(String name, long... dims) {
        TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
        for (long d : dims) {
            s.addDim(d < 0 ? TensorShapeProto.Dimension.newBuilder().setDimParam("N")
                    : TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE).setShape(s)))
                .build();
    }

    static TensorProto rawFloats(String name, float[] values, long... dims) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE)
                .setRawData(ByteString.copyFrom(b.array()));
        for (long d : dims) {
            t.addDims(d);
        }
        return t.build();
    }

    static TensorProto floatData(String name, float[] values, long... dims) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE);
        for (float v : values) {
            t.addFloatData(v);
        }
        for (long d : dims) {
            t.addDims(d);
        }
        return t.build();
    }

    static TensorProto int64s(String name, long[] values, long... dims) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.INT64_VALUE);
        for (long v : values) {
            t.addInt64Data(v);
        }
        for (long d : dims) {
            t.addDims(d);
        }
        return t.build();
    }

    /** An int64 tensor stored as little-endian raw_data, as PyTorch writes its Constant nodes. */
    static TensorProto rawInt64s(String name, long[] values, long... dims) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            b.putLong(v);
        }
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.INT64_VALUE)
                .setRawData(ByteString.copyFrom(b.array()));
        for (long d : dims) {
            t.addDims(d);
        }
        return t.build();
    }

    static NodeProto node(String name, String type, String[] inputs, String[] outputs, AttributeProto... attrs) {
        NodeProto.Builder n = NodeProto.newBuilder().setName(name).setOpType(type);
        for (String i : inputs) {
            n.addInput(i);
        }
        for (String o : outputs) {
            n.addOutput(o);
        }
        for (AttributeProto a : attrs) {
            n.addAttribute(a);
        }
        return n.build();
    }

    static AttributeProto ints(String name, long... v) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long x : v) {
            a.addInts(x);
        }
        return a.build();
    }

    static AttributeProto intAttr(String name, long v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(v).build();
    }

    static AttributeProto tensorAttr(String name, TensorProto t) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.TENSOR).setT(t).build();
    }

    static float[] ramp(int n, float scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = ((i * 37) % 17 - 8) * scale;
        }
        return v;
    }

    /**
     * X [N?,2,5,5] -> Conv(3 filters 3x3, pad 1, raw_data weights, float_data bias) -> Relu -> Y.
     *
     * @param batch the declared batch dimension, -1 for dynamic
     */
    static ModelProto convRelu(int opset, long batch) {
        GraphProto g = GraphProto.newBuilder().setName("conv_relu")
                .addInput(floatValue("X", batch, 2, 5, 5))
                .addInitializer(rawFloats("W", ramp(3 * 2 * 3 * 3, 0.1f), 3, 2, 3, 3))
                .addInitializer(floatData("B", new float[] {0.5f, -0.25f, 0.125f}, 3))
                .addNode(node("conv", "Conv", new String[] {"X", "W", "B"}, new String[] {"C"},
                        ints("kernel_shape", 3, 3), ints("pads", 1, 1, 1, 1)))
                .addNode(node("relu", "Relu", new String[] {"C"}, new String[] {"Y"}))
                .addOutput(floatValue("Y", batch, 3, 5, 5))
                .build();
        return model(opset, g);
    }
}
