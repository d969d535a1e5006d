package io.coedge.onnx;

import com.google.protobuf.ByteString;
import io.coedge.graph.Graph;
import io.coedge.graph.ModelException;
import io.coedge.graph.Node;
import io.coedge.graph.Op;
import io.coedge.onnx.proto.Onnx.AttributeProto;
import io.coedge.onnx.proto.Onnx.GraphProto;
import io.coedge.onnx.proto.Onnx.ModelProto;
import io.coedge.onnx.proto.Onnx.NodeProto;
import io.coedge.onnx.proto.Onnx.OperatorSetIdProto;
import io.coedge.onnx.proto.Onnx.TensorProto;
import io.coedge.onnx.proto.Onnx.TensorShapeProto;
import io.coedge.onnx.proto.Onnx.TypeProto;
import io.coedge.onnx.proto.Onnx.ValueInfoProto;
import io.coedge.ops.BatchNorm;
import io.coedge.ops.Binary;
import io.coedge.ops.Clip;
import io.coedge.ops.Concat;
import io.coedge.ops.Conv;
import io.coedge.ops.ConvTranspose;
import io.coedge.ops.Flatten;
import io.coedge.ops.Gemm;
import io.coedge.ops.GlobalPool;
import io.coedge.ops.Lrn;
import io.coedge.ops.MatMul;
import io.coedge.ops.Pads;
import io.coedge.ops.Pool;
import io.coedge.ops.Reshape;
import io.coedge.ops.Resize;
import io.coedge.ops.Softmax;
import io.coedge.ops.Unary;
import io.coedge.tensor.Layout;
import io.coedge.tensor.Tensor;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes a {@link Graph} as an ONNX model (opset {@value #OPSET}, or 14 when the graph uses HardSwish,
 * which opset 13 lacks) that ONNX Runtime and {@link OnnxImporter} load. Weights go into the file as
 * little-endian raw_data; parameters that CoEdge folds into an operator (Clip bounds, Resize scales or
 * sizes) become initializers again, and constant Reshape targets become int64 as ONNX requires.
 */
public final class OnnxExporter {
    /** The opset written unless a newer operator forces 14. */
    public static final int OPSET = 13;

    private final Graph graph;
    private final GraphProto.Builder out = GraphProto.newBuilder();
    private final Set<String> int64Constants = new HashSet<>();
    private final Map<String, TensorProto> extra = new LinkedHashMap<>();
    private int opset = OPSET;

    private OnnxExporter(Graph graph) {
        this.graph = graph;
    }

    /**
     * Writes {@code graph} to {@code file}.
     *
     * @throws ModelException when the graph holds an operator or setting ONNX opset 13/14 cannot express
     */
    public static void write(Graph graph, Path file) throws IOException {
        ModelProto m = toModel(graph);
        try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
            m.writeTo(os);
        }
    }

    /** The ONNX model of {@code graph}. */
    public static ModelProto toModel(Graph graph) {
        return new OnnxExporter(graph).build();
    }

    private ModelProto build() {
        out.setName(graph.name());
        for (Node n : graph.nodes()) {
            if (n.op() instanceof Reshape && n.hasInput(1)) {
                int64Constants.add(n.input(1));
            }
        }
        List<NodeProto> nodes = new ArrayList<>();
        for (Node n : graph.nodes()) {
            nodes.add(node(n));
        }
        for (Map.Entry<String, Tensor> c : graph.constants().entrySet()) {
            out.addInitializer(int64Constants.contains(c.getKey()) ? int64Tensor(c.getKey(), c.getValue())
                    : floatTensor(c.getKey(), c.getValue()));
        }
        extra.values().forEach(out::addInitializer);
        out.addAllNode(nodes);
        for (Graph.Input in : graph.inputs()) {
            out.addInput(valueInfo(in.name(), in.shape()));
        }
        for (String o : graph.outputs()) {
            out.addOutput(valueInfo(o, graph.shape(o)));
        }
        long bytes = 0;
        for (Tensor t : graph.constants().values()) {
            bytes += t.byteSize();
        }
        if (bytes > OnnxImporter.MAX_FILE_BYTES - (64 << 20)) {
            throw new ModelException("graph '" + graph.name() + "' holds " + bytes + " bytes of weights; a single ONNX"
                    + " file cannot exceed 2 GiB");
        }
        return ModelProto.newBuilder().setIrVersion(8).setProducerName("coedge").setProducerVersion("0.1")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset))
                .setGraph(out).build();
    }

    private static ValueInfoProto valueInfo(String name, int[] shape) {
        TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
        for (int d : shape) {
            s.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
                TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE).setShape(s))).build();
    }

    static TensorProto floatTensor(String name, Tensor t) {
        TensorProto.Builder b = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE);
        for (int d : t.shape()) {
            b.addDims(d);
        }
        if (t.layout() == Layout.ROW_MAJOR && ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) {
            b.setRawData(ByteString.copyFrom(t.segment().asByteBuffer()));
        } else {
            float[] v = t.toLogicalArray();
            ByteBuffer buf = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            buf.asFloatBuffer().put(v);
            b.setRawData(ByteString.copyFrom(buf.array()));
        }
        return b.build();
    }

    private static TensorProto int64Tensor(String name, Tensor t) {
        TensorProto.Builder b = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.INT64_VALUE);
        for (int d : t.shape()) {
            b.addDims(d);
        }
        for (float v : t.toLogicalArray()) {
            b.addInt64Data((long) v);
        }
        return b.build();
    }

    /** A value name not yet used in the graph or by another added initializer. */
    private String fresh(String base) {
        String name = base;
        for (int k = 1; used(name); k++) {
            name = base + "_" + k;
        }
        return name;
    }

    private boolean used(String name) {
        return extra.containsKey(name) || graph.isConstant(name) || graph.producer(name) != null
                || graph.inputs().stream().anyMatch(i -> i.name().equals(name));
    }

    private String addFloats(String base, float[] values, boolean scalar) {
        String name = fresh(base);
        TensorProto.Builder b = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE);
        if (!scalar) {
            b.addDims(values.length);
        }
        for (float v : values) {
            b.addFloatData(v);
        }
        extra.put(name, b.build());
        return name;
    }

    private String addInts(String base, int[] values) {
        String name = fresh(base);
        TensorProto.Builder b = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.INT64_VALUE)
                .addDims(values.length);
        for (int v : values) {
            b.addInt64Data(v);
        }
        extra.put(name, b.build());
        return name;
    }

    private static AttributeProto ints(String name, long... v) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long x : v) {
            a.addInts(x);
        }
        return a.build();
    }

    private static AttributeProto intAttr(String name, long v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(v).build();
    }

    private static AttributeProto floatAttr(String name, float v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF(v).build();
    }

    private static AttributeProto stringAttr(String name, String v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRING)
                .setS(ByteString.copyFromUtf8(v)).build();
    }

    private static void window(NodeProto.Builder b, String autoPad, Object pads, int kh, int kw, int sh, int sw,
                               int dh, int dw, boolean dilations) {
        b.addAttribute(ints("kernel_shape", kh, kw));
        b.addAttribute(ints("strides", sh, sw));
        if (dilations) {
            b.addAttribute(ints("dilations", dh, dw));
        }
        if (autoPad != null && !autoPad.equals("NOTSET")) {
            b.addAttribute(stringAttr("auto_pad", autoPad));
        } else if (pads instanceof long[] p) {
            b.addAttribute(ints("pads", p));
        } else if (pads instanceof Pads p) {
            b.addAttribute(ints("pads", p.top(), p.left(), p.bottom(), p.right()));
        }
    }

    private NodeProto node(Node n) {
        Op op = n.op();
        NodeProto.Builder b = NodeProto.newBuilder().setName(n.name()).setOpType(op.type());
        b.addAllInput(n.inputs());
        b.addAllOutput(n.outputs());
        switch (op) {
            case Conv c -> {
                window(b, c.autoPad(), c.pads(), c.kernelH(), c.kernelW(), c.strideH(), c.strideW(), c.dilationH(),
                        c.dilationW(), true);
                b.addAttribute(intAttr("group", c.group()));
            }
            case ConvTranspose c -> {
                window(b, c.autoPad(), c.pads(), c.kernelH(), c.kernelW(), c.strideH(), c.strideW(), c.dilationH(),
                        c.dilationW(), true);
                b.addAttribute(intAttr("group", c.group()));
                b.addAttribute(ints("output_padding", c.outputPaddingH(), c.outputPaddingW()));
                if (c.outputShapeH() > 0) {
                    b.addAttribute(ints("output_shape", c.outputShapeH(), c.outputShapeW()));
                }
            }
            case Pool p -> {
                boolean max = p.type().equals("MaxPool");
                window(b, p.autoPad(), p.pads(), p.kernelH(), p.kernelW(), p.strideH(), p.strideW(), p.dilationH(),
                        p.dilationW(), max);
                b.addAttribute(intAttr("ceil_mode", p.ceilMode() ? 1 : 0));
                if (!max) {
                    b.addAttribute(intAttr("count_include_pad", p.countIncludePad() ? 1 : 0));
                }
            }
            case GlobalPool g -> {
            }
            case Unary u -> {
                if (u.type().equals("HardSigmoid")) {
                    b.addAttribute(floatAttr("alpha", u.alpha()));
                    b.addAttribute(floatAttr("beta", u.beta()));
                } else if (u.type().equals("HardSwish")) {
                    opset = Math.max(opset, 14);
                }
                b.clearInput().addInput(n.input(0)); // Dropout became Identity; its ratio input is gone
            }
            case Clip c -> {
                b.clearInput().addInput(n.input(0));
                b.addInput(Float.isInfinite(c.min()) ? "" : addFloats(n.name() + "_min", new float[] {c.min()}, true));
                if (!Float.isInfinite(c.max())) {
                    b.addInput(addFloats(n.name() + "_max", new float[] {c.max()}, true));
                }
            }
            case BatchNorm bn -> b.addAttribute(floatAttr("epsilon", bn.epsilon()));
            case Lrn l -> {
                b.addAttribute(intAttr("size", l.size()));
                b.addAttribute(floatAttr("alpha", l.alpha()));
                b.addAttribute(floatAttr("beta", l.beta()));
                b.addAttribute(floatAttr("bias", l.bias()));
            }
            case Concat c -> b.addAttribute(intAttr("axis", c.axis()));
            case Flatten f -> b.addAttribute(intAttr("axis", f.axis()));
            case Reshape r -> {
                if (r.allowZero()) {
                    opset = Math.max(opset, 14);
                    b.addAttribute(intAttr("allowzero", 1));
                }
            }
            case Gemm g -> {
                b.addAttribute(floatAttr("alpha", g.alpha()));
                b.addAttribute(floatAttr("beta", g.beta()));
                b.addAttribute(intAttr("transA", g.transA() ? 1 : 0));
                b.addAttribute(intAttr("transB", g.transB() ? 1 : 0));
            }
            case MatMul m -> {
            }
            case Softmax s -> {
                int rank = graph.shape(n.input(0)).length;
                int axis = s.axis() < 0 ? s.axis() + rank : s.axis();
                if (s.coerce2d() && axis != rank - 1) {
                    throw new ModelException("node '" + n.name() + "': Softmax with opset-11 semantics over axes "
                            + axis + ".." + (rank - 1) + " cannot be written at opset 13");
                }
                b.addAttribute(intAttr("axis", axis));
            }
            case Binary bin -> {
            }
            case Resize r -> {
                b.addAttribute(stringAttr("mode", r.mode()));
                b.addAttribute(stringAttr("coordinate_transformation_mode", r.coordinateMode()));
                b.addAttribute(stringAttr("nearest_mode", r.nearestMode()));
                b.clearInput().addInput(n.input(0)).addInput("");
                if (r.sizes() != null) {
                    b.addInput("").addInput(addInts(n.name() + "_sizes", r.sizes()));
                } else {
                    b.addInput(addFloats(n.name() + "_scales", r.scales(), false));
                }
            }
            default -> throw new ModelException("node '" + n.name() + "': operator " + op.type()
                    + " cannot be written to ONNX yet");
        }
        return b.build();
    }
}
