package io.coedge.onnx;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import io.coedge.graph.Attributes;
import io.coedge.graph.Graph;
import io.coedge.graph.ModelException;
import io.coedge.graph.Node;
import io.coedge.graph.Op;
import io.coedge.graph.ShapeContext;
import io.coedge.graph.passes.FoldBatchNorm;
import io.coedge.onnx.proto.Onnx.AttributeProto;
import io.coedge.onnx.proto.Onnx.GraphProto;
import io.coedge.onnx.proto.Onnx.ModelProto;
import io.coedge.onnx.proto.Onnx.NodeProto;
import io.coedge.onnx.proto.Onnx.OperatorSetIdProto;
import io.coedge.onnx.proto.Onnx.TensorProto;
import io.coedge.onnx.proto.Onnx.TensorShapeProto;
import io.coedge.onnx.proto.Onnx.TypeProto;
import io.coedge.onnx.proto.Onnx.ValueInfoProto;
import io.coedge.ops.OpRegistry;
import io.coedge.tensor.Shapes;
import io.coedge.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Loads an ONNX model into a {@link Graph}.
 *
 * <p>What it accepts: opset {@value #MIN_OPSET} to {@value #MAX_OPSET} of the default domain, float32
 * data, initializers as raw_data or float_data, Constant nodes, and the integer shape computations
 * exporters put before Reshape and Resize (Shape, Gather, Unsqueeze, Concat, Cast, Slice, ...), which are
 * evaluated here and never reach the graph. Dynamic input dimensions are fixed to a concrete shape.
 * Inference-mode BatchNormalization that follows a Conv is folded into it ({@link FoldBatchNorm}).
 *
 * <p>Every problem with the file is reported as one {@link ModelException} naming the problem and,
 * where there is one, the node. Sizes are checked against the bytes actually present before anything is
 * allocated, so a corrupt or hostile file cannot exhaust memory.
 */
public final class OnnxImporter {
    /** Oldest default-domain opset accepted. */
    public static final int MIN_OPSET = 11;
    /** Newest default-domain opset accepted. */
    public static final int MAX_OPSET = 17;
    /** Protobuf messages cannot exceed 2 GiB; larger ONNX models keep weights in external files. */
    public static final long MAX_FILE_BYTES = Integer.MAX_VALUE;

    private final ModelProto model;
    private final String source;
    private final Arena arena;
    private int opset;
    private final Map<String, Const> constants = new HashMap<>();
    private final Map<String, int[]> shapes = new HashMap<>();
    private final List<Node> nodes = new ArrayList<>();
    private final Set<String> usedNames = new HashSet<>();

    private OnnxImporter(ModelProto model, String source, Arena arena) {
        this.model = model;
        this.source = source;
        this.arena = arena;
    }

    /**
     * Loads an ONNX file.
     *
     * @param file             the .onnx file
     * @param inputShapeOrNull concrete shape for the first graph input (e.g. {@code {1, 3, 640, 640}}),
     *                         needed when its dimensions are dynamic; null keeps the file's shape (a
     *                         dynamic batch dimension becomes 1)
     * @throws ModelException for a missing, corrupt, or unsupported model, naming the problem and node
     */
    public static Graph load(Path file, int[] inputShapeOrNull) {
        return fromModel(parse(file), file.getFileName().toString(), inputShapeOrNull);
    }

    /** Reads and parses an ONNX file into its protobuf message, with the checks {@link #load} describes. */
    public static ModelProto parse(Path file) {
        long size;
        try {
            size = Files.size(file);
        } catch (NoSuchFileException e) {
            throw new ModelException("model file '" + file + "' does not exist");
        } catch (IOException e) {
            throw new ModelException("cannot read model file '" + file + "': " + e.getMessage());
        }
        if (Files.isDirectory(file)) {
            throw new ModelException("'" + file + "' is a directory, not an ONNX model file");
        }
        if (size == 0) {
            throw new ModelException("'" + file + "' is empty, not an ONNX model");
        }
        if (size > MAX_FILE_BYTES) {
            throw new ModelException("'" + file + "' is " + size + " bytes; ONNX files over 2 GiB keep their weights in"
                    + " external data files, which CoEdge does not support");
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            // Mapping keeps the weights off the Java heap; with aliasing, raw_data fields are views of the
            // mapping and are copied exactly once, into the tensors.
            MappedByteBuffer buf = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
            return parsed(CodedInputStream.newInstance(buf), file.toString());
        } catch (IOException e) {
            throw new ModelException("cannot read model file '" + file + "': " + e.getMessage());
        }
    }

    /**
     * Parses the bytes of an ONNX model (one sent over the network, say) with the checks {@link #load} describes;
     * {@code source} names the model in messages.
     */
    public static ModelProto parse(byte[] bytes, String source) {
        if (bytes.length == 0) {
            throw new ModelException("'" + source + "' is empty, not an ONNX model");
        }
        try {
            return parsed(CodedInputStream.newInstance(bytes), source);
        } catch (IOException e) {
            throw new ModelException("cannot read model '" + source + "': " + e.getMessage()); // not from an array
        }
    }

    private static ModelProto parsed(CodedInputStream in, String source) throws IOException {
        ModelProto model;
        in.enableAliasing(true);
        try {
            model = ModelProto.parseFrom(in);
        } catch (InvalidProtocolBufferException e) {
            throw notOnnx(source, "the protobuf data is corrupt or truncated (" + firstSentence(e.getMessage()) + ")");
        }
        if (!model.hasGraph() || model.getIrVersion() <= 0 || model.getOpsetImportCount() == 0) {
            throw notOnnx(source, "it has no " + (!model.hasGraph() ? "graph" : model.getIrVersion() <= 0 ? "ir_version"
                    : "opset_import"));
        }
        return model;
    }

    /**
     * Protobuf's own first sentence: what it found. Its later sentences advise a programmer on
     * CodedInputStream settings, which means nothing to someone loading a model.
     */
    private static String firstSentence(String message) {
        if (message == null) {
            return "no detail";
        }
        int end = message.indexOf(". ");
        return end < 0 ? message.strip() : message.substring(0, end + 1);
    }

    private static ModelException notOnnx(String source, String why) {
        return new ModelException("'" + source + "' is not a valid ONNX model: " + why);
    }

    /**
     * Builds the graph of a parsed model.
     *
     * @param source names the model in messages (usually the file name)
     */
    public static Graph fromModel(ModelProto model, String source, int[] inputShapeOrNull) {
        return new OnnxImporter(model, source, Arena.ofAuto()).build(inputShapeOrNull);
    }

    private Graph build(int[] inputShapeOrNull) {
        opset = defaultOpset();
        GraphProto g = model.getGraph();
        for (TensorProto init : g.getInitializerList()) {
            String what = "initializer '" + init.getName() + "'";
            int type = init.getDataType();
            if (type == TensorProto.DataType.FLOAT_VALUE) {
                constants.put(init.getName(), Const.ofTensor(OnnxTensors.toFloatTensor(init, arena, what)));
            } else {
                long count = OnnxTensors.count(OnnxTensors.dims(init, what));
                if (count > ConstantFolder.MAX_FOLDED_ELEMENTS) {
                    // Decoding would widen every element to 8 bytes; large non-float tensors are weights of
                    // quantised or embedding models, which CoEdge does not run.
                    throw new ModelException(source + ": " + what + " is a " + OnnxTensors.typeName(type) + " tensor of "
                            + count + " values; CoEdge runs float32 models (integer tensors only as shapes)");
                }
                constants.put(init.getName(), ConstantFolder.fromTensor(init, what));
            }
        }
        List<Graph.Input> inputs = inputs(g, inputShapeOrNull);
        for (NodeProto n : topologicalOrder(g)) {
            importNode(n);
        }
        List<String> outputs = new ArrayList<>();
        for (ValueInfoProto o : g.getOutputList()) {
            int type = elemType(o);
            if (type != 0 && type != TensorProto.DataType.FLOAT_VALUE) {
                throw new ModelException(source + ": graph output '" + o.getName() + "' has type "
                        + OnnxTensors.typeName(type) + "; CoEdge computes float32 tensors only");
            }
            Const c = constants.get(o.getName());
            if (c != null && c.isInteger()) {
                throw new ModelException(source + ": graph output '" + o.getName() + "' is an integer constant; CoEdge"
                        + " computes float32 tensors only");
            }
            if (!shapes.containsKey(o.getName()) && c == null) {
                throw new ModelException(source + ": graph output '" + o.getName() + "' is not produced by any node");
            }
            outputs.add(o.getName());
        }
        Map<String, Tensor> graphConstants = new LinkedHashMap<>();
        for (Node n : nodes) {
            for (String in : n.inputs()) {
                Const c = constants.get(in);
                if (c != null) {
                    graphConstants.put(in, c.tensor(arena));
                }
            }
        }
        for (String o : outputs) {
            Const c = constants.get(o);
            if (c != null) {
                graphConstants.put(o, c.tensor(arena));
            }
        }
        String name = g.getName().isEmpty() ? source : g.getName();
        Graph graph = Graph.of(name, nodes, inputs, outputs, graphConstants);
        return FoldBatchNorm.apply(graph, arena);
    }

    private int defaultOpset() {
        Integer found = null;
        for (OperatorSetIdProto o : model.getOpsetImportList()) {
            if (o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx")) {
                found = (int) Math.min(Integer.MAX_VALUE, o.getVersion());
            }
        }
        if (found == null) {
            throw new ModelException(source + ": the model imports no opset of the default ONNX domain");
        }
        if (found < MIN_OPSET || found > MAX_OPSET) {
            throw new ModelException(source + ": opset " + found + " is not supported; CoEdge reads opsets " + MIN_OPSET
                    + " to " + MAX_OPSET + " (re-export with opset_version=13, or convert with"
                    + " onnx.version_converter)");
        }
        return found;
    }

    private static int elemType(ValueInfoProto v) {
        return v.hasType() && v.getType().hasTensorType() ? v.getType().getTensorType().getElemType() : 0;
    }

    private List<Graph.Input> inputs(GraphProto g, int[] given) {
        List<Graph.Input> inputs = new ArrayList<>();
        boolean first = true;
        for (ValueInfoProto v : g.getInputList()) {
            if (constants.containsKey(v.getName())) {
                continue; // an initializer listed as input (IR version 3 style) is a constant, not an input
            }
            String what = source + ": input '" + v.getName() + "'";
            TypeProto type = v.getType();
            if (!type.hasTensorType()) {
                throw new ModelException(what + " is not a tensor; CoEdge supports tensor inputs only");
            }
            int elem = type.getTensorType().getElemType();
            if (elem != TensorProto.DataType.FLOAT_VALUE) {
                throw new ModelException(what + " has type " + OnnxTensors.typeName(elem)
                        + "; CoEdge runs float32 models only");
            }
            int[] shape = specialise(what, type.getTensorType(), first ? given : null);
            first = false;
            inputs.add(new Graph.Input(v.getName(), shape));
            shapes.put(v.getName(), shape);
        }
        if (given != null && first) {
            throw new ModelException(source + ": an input shape was given but the model has no inputs");
        }
        return inputs;
    }

    private static int[] specialise(String what, TypeProto.Tensor t, int[] given) {
        if (!t.hasShape()) {
            if (given == null) {
                throw new ModelException(what + " has no declared shape; give one (--input-shape, e.g. 1x3x224x224)");
            }
            return checkedShape(what, given);
        }
        List<TensorShapeProto.Dimension> dims = t.getShape().getDimList();
        if (given != null && given.length != dims.size()) {
            throw new ModelException(what + " has rank " + dims.size() + " (" + describe(dims) + "), but the given shape "
                    + Shapes.format(given) + " has rank " + given.length);
        }
        int[] shape = new int[dims.size()];
        for (int i = 0; i < shape.length; i++) {
            TensorShapeProto.Dimension d = dims.get(i);
            // dim_value 0 is a real (empty) dimension; only dim_param or no value at all is dynamic.
            boolean fixed = d.hasDimValue();
            if (fixed && d.getDimValue() > Integer.MAX_VALUE) {
                throw new ModelException(what + " has an invalid dimension " + d.getDimValue());
            }
            if (given != null) {
                if (fixed && given[i] != d.getDimValue()) {
                    throw new ModelException(what + " has fixed shape " + describe(dims) + "; the given shape "
                            + Shapes.format(given) + " differs in dimension " + i);
                }
                shape[i] = given[i];
            } else if (fixed) {
                shape[i] = (int) d.getDimValue();
            } else if (i == 0) {
                shape[i] = 1; // a dynamic batch dimension: one image at a time
            } else {
                throw new ModelException(what + " has dynamic dimensions " + describe(dims)
                        + "; give a concrete shape (--input-shape, e.g. 1x3x640x640)");
            }
        }
        return checkedShape(what, shape);
    }

    private static int[] checkedShape(String what, int[] shape) {
        long n = 1;
        for (int d : shape) {
            if (d <= 0) {
                throw new ModelException(what + ": shape " + Arrays.toString(shape) + " has a zero or negative dimension; CoEdge does not support empty tensors");
            }
            n *= d;
            if (n > OnnxTensors.MAX_ELEMENTS) {
                throw new ModelException(what + ": shape " + Arrays.toString(shape) + " is too large");
            }
        }
        return shape.clone();
    }

    private static String describe(List<TensorShapeProto.Dimension> dims) {
        StringBuilder sb = new StringBuilder();
        for (TensorShapeProto.Dimension d : dims) {
            if (!sb.isEmpty()) {
                sb.append('x');
            }
            sb.append(d.hasDimValue() ? String.valueOf(d.getDimValue())
                    : d.getDimParam().isEmpty() ? "?" : d.getDimParam());
        }
        return sb.toString();
    }

    /** ONNX requires nodes in topological order; exporters mostly comply, but sorting costs little. */
    private List<NodeProto> topologicalOrder(GraphProto g) {
        Set<String> available = new HashSet<>(constants.keySet());
        available.addAll(shapes.keySet());
        Map<String, Integer> producerOf = new HashMap<>();
        for (int i = 0; i < g.getNodeCount(); i++) {
            for (String o : g.getNode(i).getOutputList()) {
                if (!o.isEmpty()) {
                    producerOf.put(o, i);
                }
            }
        }
        int n = g.getNodeCount();
        int[] missing = new int[n];
        Map<String, List<Integer>> waiting = new HashMap<>();
        Deque<Integer> ready = new ArrayDeque<>();
        for (int i = 0; i < n; i++) {
            NodeProto node = g.getNode(i);
            for (String in : new HashSet<>(node.getInputList())) {
                if (in.isEmpty() || available.contains(in)) {
                    continue;
                }
                if (!producerOf.containsKey(in)) {
                    throw new ModelException(nodeWhere(node, i) + ": reads value '" + in
                            + "', which no node, input or initializer provides");
                }
                missing[i]++;
                waiting.computeIfAbsent(in, k -> new ArrayList<>()).add(i);
            }
            if (missing[i] == 0) {
                ready.add(i);
            }
        }
        List<NodeProto> out = new ArrayList<>(n);
        while (!ready.isEmpty()) {
            int i = ready.poll();
            out.add(g.getNode(i));
            for (String o : g.getNode(i).getOutputList()) {
                for (int w : waiting.getOrDefault(o, List.of())) {
                    if (--missing[w] == 0) {
                        ready.add(w);
                    }
                }
            }
        }
        if (out.size() != n) {
            throw new ModelException(source + ": the graph has a cycle; " + (n - out.size()) + " nodes cannot be ordered");
        }
        return out;
    }

    private String nodeWhere(NodeProto n, int index) {
        return "node '" + nodeName(n, index) + "' (" + n.getOpType() + ")";
    }

    private static String nodeName(NodeProto n, int index) {
        if (!n.getName().isEmpty()) {
            return n.getName();
        }
        return n.getOutputCount() > 0 && !n.getOutput(0).isEmpty() ? n.getOpType() + ":" + n.getOutput(0)
                : n.getOpType() + "_" + index;
    }

    private String uniqueName(NodeProto n) {
        String base = nodeName(n, nodes.size());
        String name = base;
        for (int k = 1; !usedNames.add(name); k++) {
            name = base + "_" + k;
        }
        return name;
    }

    private void importNode(NodeProto n) {
        String name = uniqueName(n);
        String where = "node '" + name + "' (" + n.getOpType() + ")";
        try {
            importNode(n, name, where);
        } catch (ModelException e) {
            String msg = e.getMessage();
            throw msg != null && msg.contains("'" + name + "'") ? e : new ModelException(where + ": " + msg, e);
        } catch (RuntimeException e) {
            throw new ModelException(where + ": " + (e.getMessage() == null ? e.toString() : e.getMessage()), e);
        }
    }

    private void importNode(NodeProto n, String name, String where) {
        if (!n.getDomain().isEmpty() && !n.getDomain().equals("ai.onnx")) {
            throw new ModelException(where + ": operator '" + n.getOpType() + "' of domain '" + n.getDomain()
                    + "' is not supported");
        }
        String type = n.getOpType();
        int count = n.getInputCount();
        Const[] consts = new Const[count];
        int[][] inShapes = new int[count][];
        boolean allConstant = true;
        boolean large = false;
        for (int i = 0; i < count; i++) {
            String in = n.getInput(i);
            if (in.isEmpty()) {
                continue;
            }
            consts[i] = constants.get(in);
            inShapes[i] = consts[i] != null ? consts[i].shape : shapes.get(in);
            if (inShapes[i] == null) {
                throw new ModelException(where + ": input '" + in + "' has no known shape (it is produced by an"
                        + " output CoEdge does not compute)");
            }
            allConstant &= consts[i] != null;
            large |= consts[i] != null && consts[i].size() > ConstantFolder.MAX_FOLDED_ELEMENTS / 16;
        }
        boolean shapeOnly = type.equals("Shape") || type.equals("Size");
        if (ConstantFolder.FOLDABLE.contains(type) && (shapeOnly || allConstant)
                && (ConstantFolder.FOLD_ONLY.contains(type) || !large)) {
            Const[] out = ConstantFolder.fold(n, where, opset, consts, inShapes);
            for (int i = 0; i < out.length && i < n.getOutputCount(); i++) {
                if (!n.getOutput(i).isEmpty()) {
                    constants.put(n.getOutput(i), out[i]);
                }
            }
            return;
        }
        if (type.equals("Cast")) {
            long to = attrInt(n, "to");
            if (to != TensorProto.DataType.FLOAT_VALUE) {
                throw new ModelException(where + ": casts a runtime tensor to " + OnnxTensors.typeName((int) to)
                        + "; CoEdge computes float32 tensors only");
            }
            type = "Identity"; // float to float
        }
        if (ConstantFolder.FOLD_ONLY.contains(type)) {
            throw new ModelException(where + ": operator '" + type + "' is only supported on constant inputs"
                    + " (shape computations); here it reads a runtime tensor");
        }
        for (int i = 0; i < count; i++) {
            if (consts[i] != null && consts[i].isInteger() && i == 0) {
                throw new ModelException(where + ": input '" + n.getInput(i) + "' is a "
                        + OnnxTensors.typeName(consts[i].dataType) + " tensor; CoEdge computes float32 tensors only");
            }
        }
        if (type.equals("Dropout") && consts.length > 2 && consts[2] != null && consts[2].longs().length == 1
                && consts[2].longs()[0] != 0) {
            throw new ModelException(where + ": Dropout with training_mode=1 drops values at random; export the model"
                    + " in eval mode (model.eval())");
        }
        Attributes attrs = attributes(n, name, where);
        final Const[] cs = consts;
        Op op = OpRegistry.create(type, name, attrs, opset, i -> i >= 0 && i < cs.length && cs[i] != null
                ? cs[i].tensor(arena) : null);
        Node node = new Node(name, op, n.getInputList(), n.getOutputList());
        int[][] out = op.inferShapes(new ImportShapeContext(node));
        for (int i = 0; i < n.getOutputCount() && i < out.length; i++) {
            if (out[i] != null && ConstantFolder.safeSize(out[i]) > OnnxTensors.MAX_ELEMENTS) {
                // Caught here, at load, rather than as an out-of-memory error at the first inference.
                throw new ModelException(where + ": output " + Arrays.toString(out[i]) + " would hold more than "
                        + OnnxTensors.MAX_ELEMENTS + " values");
            }
            if (!n.getOutput(i).isEmpty() && out[i] != null) {
                shapes.put(n.getOutput(i), out[i].clone());
            }
        }
        nodes.add(node);
    }

    private static long attrInt(NodeProto n, String name) {
        for (AttributeProto a : n.getAttributeList()) {
            if (a.getName().equals(name)) {
                return a.getI();
            }
        }
        return 0;
    }

    private Attributes attributes(NodeProto n, String name, String where) {
        Attributes attrs = new Attributes(name);
        for (AttributeProto a : n.getAttributeList()) {
            AttributeProto.AttributeType t = a.hasType() ? a.getType() : guessType(a);
            Object v = switch (t) {
                case FLOAT -> a.getF();
                case INT -> a.getI();
                case STRING -> a.getS().toStringUtf8();
                case FLOATS -> {
                    float[] f = new float[a.getFloatsCount()];
                    for (int i = 0; i < f.length; i++) {
                        f[i] = a.getFloats(i);
                    }
                    yield f;
                }
                case INTS -> {
                    long[] l = new long[a.getIntsCount()];
                    for (int i = 0; i < l.length; i++) {
                        l[i] = a.getInts(i);
                    }
                    yield l;
                }
                case STRINGS -> a.getStringsList().stream().map(s -> s.toStringUtf8()).toArray(String[]::new);
                case TENSOR -> {
                    Const c = ConstantFolder.fromTensor(a.getT(), where + " attribute '" + a.getName() + "'");
                    yield c.tensor(arena);
                }
                default -> throw new ModelException(where + ": attribute '" + a.getName() + "' of type " + t
                        + " (subgraphs, sparse tensors) is not supported");
            };
            attrs.put(a.getName(), v);
        }
        return attrs;
    }

    /** Files written before the type field existed (IR version 1) leave it out; infer it from the data. */
    private static AttributeProto.AttributeType guessType(AttributeProto a) {
        if (a.getFloatsCount() > 0) {
            return AttributeProto.AttributeType.FLOATS;
        }
        if (a.getIntsCount() > 0) {
            return AttributeProto.AttributeType.INTS;
        }
        if (a.getStringsCount() > 0) {
            return AttributeProto.AttributeType.STRINGS;
        }
        if (a.hasT()) {
            return AttributeProto.AttributeType.TENSOR;
        }
        if (a.hasS()) {
            return AttributeProto.AttributeType.STRING;
        }
        if (a.hasF()) {
            return AttributeProto.AttributeType.FLOAT;
        }
        return AttributeProto.AttributeType.INT;
    }

    /** Shape inference while importing, so Shape nodes downstream see the concrete shapes. */
    private final class ImportShapeContext implements ShapeContext {
        private final Node node;

        ImportShapeContext(Node node) {
            this.node = node;
        }

        @Override
        public Node node() {
            return node;
        }

        @Override
        public int inputCount() {
            return node.inputs().size();
        }

        @Override
        public boolean hasInput(int i) {
            return node.hasInput(i);
        }

        @Override
        public int[] inputShape(int i) {
            if (!node.hasInput(i)) {
                throw error("input " + i + " is missing");
            }
            String v = node.input(i);
            Const c = constants.get(v);
            int[] s = c != null ? c.shape : shapes.get(v);
            if (s == null) {
                throw error("input '" + v + "' has no known shape");
            }
            return s.clone();
        }

        @Override
        public Tensor constant(int i) {
            Const c = node.hasInput(i) ? constants.get(node.input(i)) : null;
            return c == null ? null : c.tensor(arena);
        }
    }
}
