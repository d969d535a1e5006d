package io.coedge.planner;

import io.coedge.graph.Graph;
import io.coedge.graph.Node;
import io.coedge.ops.Conv;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The per-layer figures the cost model needs, for a model split by rows.
 *
 * <p>CoEdge splits every layer's output rows in the same proportion: a device that owns {@code a} of the
 * {@link #inputRows} rows of the input map computes the fraction {@code a / inputRows} of every row-split
 * layer. So each layer is described by its whole-map FLOPs, its type (for the device's rate) and its halo:
 * the rows of its input that a device in the middle of the split receives from its neighbours (both
 * boundaries together) and the bytes of one such row. Layers that cannot be split by rows (flatten, fully
 * connected, softmax, global pooling) form the tail, run on the initiator after a gather.
 *
 * <p>Built from a {@link Graph} by {@link #fromGraph}. The window of a convolution comes from the
 * {@link Conv} record; for other windowed ops (pooling) from record components named like Conv's
 * ({@code kernelH}, {@code strideH}, {@code dilationH}) when present, else from the ratio of input to
 * output height (kernel = stride, no halo). The partition geometry's exact accounting
 * ({@code io.coedge.partition}) is the reference these figures must agree with.
 *
 * @param model                 model name for reports
 * @param inputRows             rows {@code H} of the input map; plans give devices rows of this map
 * @param layers                row-split layers in topological order
 * @param scatterBytesPerRow    bytes of one input-map row (sent by the initiator to the device owning it)
 * @param gatherBytesPerRow     bytes gathered to the initiator per input row owned (last row-split maps)
 * @param tailFlops             FLOPs of the tail by layer type
 * @param spatialWeightBytes    weights of the row-split layers (every participating device holds them)
 * @param tailWeightBytes       weights of the tail (the initiator holds them)
 * @param activationBytesPerRow peak bytes of one layer's input and output bands per input row owned
 * @param initiatorFixedBytes   bytes the initiator holds regardless of the split (input and gathered map)
 */
public record LayerCostTable(String model, int inputRows, List<Layer> layers, double scatterBytesPerRow,
                             double gatherBytesPerRow, Map<LayerType, Long> tailFlops, long spatialWeightBytes,
                             long tailWeightBytes, double activationBytesPerRow, long initiatorFixedBytes) {

    /**
     * One row-split layer.
     *
     * @param flops           FLOPs of the whole layer (all rows)
     * @param outputRows      output height
     * @param haloRows        input rows received from neighbours by a device with neighbours on both sides
     *                        (0 when the layer shares its input with an earlier layer that already fetched
     *                        at least as many)
     * @param haloBytesPerRow bytes of one input row
     * @param layersSinceInput how many layers of the table run between the layer that produces this layer's
     *                        input and this layer, when this layer is the first to read that input (else 0,
     *                        and 0 when the input is the model's): the runtime sends halo rows as soon as
     *                        their producer has computed them and receives them at the input's first reader,
     *                        so the halo travels while the layers in between run (in GoogLeNet's inception
     *                        blocks, the other branches' layers that the topological order puts between a
     *                        branch's 1x1 and its 3x3 conv)
     */
    public record Layer(String name, LayerType type, long flops, int outputRows, int haloRows, long haloBytesPerRow,
                        int layersSinceInput) {
        public Layer {
            if (flops < 0 || outputRows <= 0 || haloRows < 0 || haloBytesPerRow < 0 || layersSinceInput < 0) {
                throw new IllegalArgumentException("layer '" + name + "': negative FLOPs, rows, bytes or layer count");
            }
        }

        /** A layer whose input comes from the layer before it. */
        public Layer(String name, LayerType type, long flops, int outputRows, int haloRows, long haloBytesPerRow) {
            this(name, type, flops, outputRows, haloRows, haloBytesPerRow, 0);
        }

        /** FLOPs of one output row ({@code rho_l} in the design). */
        public double flopsPerOutputRow() {
            return (double) flops / outputRows;
        }

        /** Bytes a middle device receives at this layer. */
        public long haloBytes() {
            return haloRows * haloBytesPerRow;
        }
    }

    public LayerCostTable {
        if (inputRows <= 0) {
            throw new IllegalArgumentException("the input map needs at least one row");
        }
        layers = List.copyOf(layers);
        EnumMap<LayerType, Long> t = new EnumMap<>(LayerType.class);
        t.putAll(tailFlops);
        tailFlops = java.util.Collections.unmodifiableMap(t);
    }

    /** Total FLOPs of the row-split layers. */
    public long spatialFlops() {
        long f = 0;
        for (Layer l : layers) {
            f += l.flops();
        }
        return f;
    }

    private static final Set<String> NOT_ROW_SPLIT = Set.of("Flatten", "Reshape", "Gemm", "MatMul", "Softmax",
            "GlobalAveragePool", "GlobalMaxPool", "LogSoftmax", "Squeeze", "Unsqueeze", "ReduceMean");

    /**
     * Derives the table from a graph with one rank-4 input. Nodes run in topological order; the first node
     * that cannot be split by rows (see class doc) starts the tail.
     *
     * @throws IllegalArgumentException when the graph has no single rank-4 input
     */
    public static LayerCostTable fromGraph(Graph g) {
        if (g.inputs().size() != 1 || g.inputs().get(0).shape().length != 4) {
            throw new IllegalArgumentException("model '" + g.name() + "' needs exactly one NCHW input to be split by rows");
        }
        int[] in = g.inputs().get(0).shape();
        int h = in[2];
        List<Layer> layers = new ArrayList<>();
        EnumMap<LayerType, Long> tail = new EnumMap<>(LayerType.class);
        Map<String, Integer> haloFetched = new HashMap<>();
        Map<String, Integer> producedBy = new HashMap<>();
        Set<String> read = new HashSet<>();
        Set<String> spatialValues = new LinkedHashSet<>();
        spatialValues.add(g.inputs().get(0).name());
        long spatialWeights = 0, tailWeights = 0;
        double activation = 0;
        boolean inTail = false;
        Set<String> gathered = new LinkedHashSet<>();
        for (Node n : g.nodes()) {
            int[] out = n.outputs().isEmpty() || n.output().isEmpty() ? null : g.shape(n.output());
            boolean splittable = !inTail && out != null && out.length == 4 && out[2] >= 2
                    && !NOT_ROW_SPLIT.contains(n.op().type());
            long weights = g.constantBytes(n);
            long flops = g.flops(n);
            if (!splittable) {
                inTail = true;
                tail.merge(typeOf(g, n), flops, Long::sum);
                tailWeights += weights;
                for (String v : n.inputs()) {
                    if (spatialValues.contains(v)) {
                        gathered.add(v);
                    }
                }
                continue;
            }
            spatialWeights += weights;
            String x = n.input(0);
            int[] xs = g.shape(x);
            long rowBytes = xs.length == 4 ? (long) xs[1] * xs[3] * Float.BYTES : 0;
            int need = xs.length == 4 ? haloRows(n, xs[2], out[2]) : 0;
            int already = haloFetched.getOrDefault(x, 0);
            int halo = Math.max(0, need - already);
            haloFetched.merge(x, need, Math::max);
            Integer producer = producedBy.get(x);
            int since = producer == null || read.contains(x) ? 0 : layers.size() - 1 - producer;
            read.addAll(n.inputs());
            layers.add(new Layer(n.name(), typeOf(g, n), flops, out[2], halo, rowBytes, since));
            double act = (double) out[1] * out[2] * out[3] * Float.BYTES;
            for (String v : n.inputs()) {
                if (!v.isEmpty() && !g.isConstant(v)) {
                    int[] s = g.shape(v);
                    double b = Float.BYTES;
                    for (int d : s) {
                        b *= d;
                    }
                    act += b;
                }
            }
            activation = Math.max(activation, act / h);
            for (String o : n.outputs()) {
                if (!o.isEmpty()) {
                    spatialValues.add(o);
                    producedBy.put(o, layers.size() - 1);
                }
            }
        }
        if (!inTail) {
            gathered.addAll(g.outputs());
        }
        double gatherBytes = 0;
        for (String v : gathered) {
            double b = Float.BYTES;
            for (int d : g.shape(v)) {
                b *= d;
            }
            gatherBytes += b;
        }
        long inputBytes = (long) in[0] * in[1] * in[2] * in[3] * Float.BYTES;
        return new LayerCostTable(g.name(), h, layers, (double) inputBytes / h, gatherBytes / h, tail,
                spatialWeights, tailWeights, activation, inputBytes + (long) gatherBytes);
    }

    /** The planner's layer class of a node. */
    public static LayerType typeOf(Graph g, Node n) {
        if (n.op() instanceof Conv c) {
            int[] x = g.shape(n.input(0));
            return LayerType.ofConv(c.kernelH(), c.kernelW(), c.group(), x[1]);
        }
        return switch (n.op().type()) {
            case "MaxPool", "AveragePool", "LpPool", "GlobalAveragePool", "GlobalMaxPool" -> LayerType.POOL;
            case "Gemm", "MatMul" -> LayerType.FC;
            case "ConvTranspose" -> LayerType.CONVKXK;
            default -> LayerType.OTHER;
        };
    }

    /** Input rows beyond a device's own share that the window needs, both boundaries together. */
    static int haloRows(Node n, int inH, int outH) {
        int k, s, d;
        if (n.op() instanceof Conv c) {
            k = c.kernelH();
            s = c.strideH();
            d = c.dilationH();
        } else if (n.op() instanceof io.coedge.ops.Pool p) {
            k = p.kernelH();
            s = p.strideH();
            d = p.dilationH();
        } else {
            Integer kk = intComponent(n.op(), "kernelH", "kernel", "kernelSize");
            Integer ss = intComponent(n.op(), "strideH", "stride");
            Integer dd = intComponent(n.op(), "dilationH", "dilation");
            if (kk == null) {
                // element-wise or unknown: rows map one to one when heights agree, else assume a
                // non-overlapping window (kernel = stride)
                return 0;
            }
            k = kk;
            s = ss == null ? Math.max(1, Math.round((float) inH / outH)) : ss;
            d = dd == null ? 1 : dd;
        }
        return Math.max(0, (k - 1) * d + 1 - s);
    }

    private static Integer intComponent(Object op, String... names) {
        if (!op.getClass().isRecord()) {
            return null;
        }
        for (RecordComponent rc : op.getClass().getRecordComponents()) {
            for (String name : names) {
                if (rc.getName().equals(name) && (rc.getType() == int.class || rc.getType() == Integer.class)) {
                    try {
                        return (Integer) rc.getAccessor().invoke(op);
                    } catch (ReflectiveOperationException | RuntimeException e) {
                        return null;
                    }
                }
            }
        }
        return null;
    }
}
