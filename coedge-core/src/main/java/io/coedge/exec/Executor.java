package io.coedge.exec;

import io.coedge.graph.Graph;
import io.coedge.graph.Kernel;
import io.coedge.graph.KernelContext;
import io.coedge.graph.KernelProvider;
import io.coedge.graph.ModelException;
import io.coedge.graph.Node;
import io.coedge.graph.Op;
import io.coedge.graph.ShapeContext;
import io.coedge.tensor.Layout;
import io.coedge.tensor.Shapes;
import io.coedge.tensor.Tensor;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceLoader;
import java.util.Set;

/**
 * Runs a whole {@link Graph} on one device. Kernels are prepared once per node at construction
 * (weights re-laid there), from the first {@link KernelProvider} that offers one, else the reference.
 */
public final class Executor {
    /** System property naming the kernel provider to force: native, vector or reference. */
    public static final String KERNELS_PROPERTY = "coedge.kernels";

    private final Graph graph;
    private final Kernel[] kernels;
    private final String[] kernelSources;
    private final ValueBuffers buffers;
    /** Whether node i's reused output buffers must be zeroed before it runs. */
    private final boolean[] clear;

    public Executor(Graph graph, List<KernelProvider> providers) {
        this.graph = graph;
        List<Node> nodes = graph.nodes();
        this.kernelSources = new String[nodes.size()];
        Fusion f = new Fusion(graph, new IdentityHashMap<>(), new IdentityHashMap<>());
        for (int i = 0; i < nodes.size(); i++) {
            Node n = nodes.get(i);
            KernelContext ctx = graph.kernelContext(n);
            Kernel k = null;
            String source = "reference";
            for (KernelProvider p : providers) {
                k = p.kernel(ctx);
                if (k != null) {
                    source = p.name();
                    break;
                }
            }
            f.kernels.put(n, k != null ? k : n.op().referenceKernel(ctx));
            f.origin.put(n, i);
            kernelSources[i] = source;
        }
        f = fuseRelus(fuseAdds(f));
        Graph run = f.graph;
        this.kernels = new Kernel[run.nodes().size()];
        for (int i = 0; i < kernels.length; i++) {
            kernels[i] = Objects.requireNonNull(f.kernels.get(run.nodes().get(i)), "kernel of a fused node");
        }
        this.clear = new boolean[kernels.length];
        for (int i = 0; i < kernels.length; i++) {
            clear[i] = !kernels[i].overwritesOutputs();
        }
        this.buffers = new ValueBuffers(run);
    }

    /**
     * The graph the executor runs, each node's kernel, and each node's index in the original graph
     * (nodes are compared by identity; a rewritten node inherits its producer's index).
     */
    private record Fusion(Graph graph, Map<Node, Kernel> kernels, Map<Node, Integer> origin) {
    }

    /** Whether {@code n} has one output, read by exactly one node and not a graph output; that reader, else null. */
    private static Node soleReader(Graph g, Node n, Set<String> graphOutputs) {
        if (n.outputs().size() != 1 || n.output().isEmpty() || graphOutputs.contains(n.output())) {
            return null;
        }
        List<Node> readers = g.consumers(n.output());
        return readers.size() == 1 ? readers.get(0) : null;
    }

    /** {@code graph} with {@code replaced} nodes swapped and {@code dropped} ones left out, or {@code graph} itself. */
    private static Graph rebuild(Graph graph, Map<Node, Node> replaced, Set<Node> dropped) {
        if (replaced.isEmpty() && dropped.isEmpty()) {
            return graph;
        }
        List<Node> kept = new ArrayList<>();
        for (Node n : graph.nodes()) {
            if (!dropped.contains(n)) {
                kept.add(replaced.getOrDefault(n, n));
            }
        }
        return Graph.of(graph.name(), kept, graph.inputs(), graph.outputs(), graph.constants());
    }

    /** A node merged with its sole reader, and the kernel that computes both. */
    private record Merge(Node node, Kernel kernel) {
    }

    /** Decides whether {@code reader}, the sole reader of {@code n}, folds into {@code n}'s kernel. */
    @FunctionalInterface
    private interface Merger {
        /** The merged node and its kernel, or null to leave both as they are. */
        Merge merge(Graph g, Node n, Node reader, Kernel kernel);
    }

    /**
     * Folds a same-shape residual Add into the node that produces one of its operands, when that node's
     * only reader is the Add and its kernel offers {@link Kernel#fuseAdd()}: the producer then reads the
     * other operand as an extra last input and writes the Add's output.
     */
    private Fusion fuseAdds(Fusion f) {
        return fuseIntoProducers(f, (g, n, add, kernel) -> {
            if (!add.op().type().equals("Add") || add.inputs().size() != 2 || add.outputs().size() != 1) {
                return null;
            }
            String other = add.input(0).equals(n.output()) ? add.input(1) : add.input(0);
            if (other.isEmpty() || other.equals(n.output()) || g.isConstant(other)
                    || !Arrays.equals(g.shape(other), g.shape(add.output()))
                    || !Arrays.equals(g.shape(n.output()), g.shape(add.output()))) {
                return null;
            }
            Kernel fused = kernel.fuseAdd();
            if (fused == null) {
                return null;
            }
            List<String> ins = new ArrayList<>(n.inputs());
            ins.add(other);
            return new Merge(new Node(n.name(), new ResidualOp(n.op()), ins, List.of(add.output())), fused);
        });
    }

    /**
     * Folds every Relu that is the only reader of a single-output node into that node's kernel, when
     * the kernel offers a fused variant ({@link Kernel#fuseRelu()}): one pass over memory instead of
     * two. The producer then writes the Relu's output value directly.
     */
    private Fusion fuseRelus(Fusion f) {
        return fuseIntoProducers(f, (g, n, r, kernel) -> {
            if (!r.op().type().equals("Relu") || r.inputs().size() != 1 || r.outputs().size() != 1
                    || !r.input(0).equals(n.output())) {
                return null;
            }
            Kernel fused = kernel.fuseRelu();
            return fused == null ? null : new Merge(new Node(n.name(), n.op(), n.inputs(), List.of(r.output())), fused);
        });
    }

    /**
     * One pass of {@code merger} over the graph: every node whose single output has one reader (not a graph
     * output) may absorb that reader; the merged node takes the producer's place and the reader is left out.
     * A node or reader already merged in this pass is not merged again.
     */
    private Fusion fuseIntoProducers(Fusion f, Merger merger) {
        Graph g = f.graph;
        Set<String> outputs = new HashSet<>(g.outputs());
        Map<Node, Node> replaced = new IdentityHashMap<>();
        Set<Node> dropped = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        for (Node n : g.nodes()) {
            Node reader = soleReader(g, n, outputs);
            if (reader == null || dropped.contains(n) || dropped.contains(reader) || replaced.containsKey(reader)) {
                continue;
            }
            Merge m = merger.merge(g, n, reader, f.kernels.get(n));
            if (m == null) {
                continue;
            }
            replaced.put(n, m.node());
            dropped.add(reader);
            f.kernels.put(m.node(), m.kernel());
            f.origin.put(m.node(), f.origin.get(n));
            kernelSources[f.origin.get(reader)] = kernelSources[f.origin.get(n)];
        }
        return new Fusion(rebuild(g, replaced, dropped), f.kernels, f.origin);
    }

    /**
     * The op of a node that absorbed a residual Add: shapes are the wrapped op's, computed without the
     * extra last input. Only the executor's own graph holds it; its kernel comes from the fusion.
     */
    private record ResidualOp(Op inner) implements Op {
        @Override
        public String type() {
            return inner.type() + "+Add";
        }

        @Override
        public int[][] inferShapes(ShapeContext ctx) {
            return inner.inferShapes(new ShapeContext() {
                @Override
                public Node node() {
                    return ctx.node();
                }

                @Override
                public int inputCount() {
                    return ctx.inputCount() - 1;
                }

                @Override
                public boolean hasInput(int i) {
                    return i < inputCount() && ctx.hasInput(i);
                }

                @Override
                public int[] inputShape(int i) {
                    return ctx.inputShape(i);
                }

                @Override
                public Tensor constant(int i) {
                    return ctx.constant(i);
                }
            });
        }

        @Override
        public long flops(int[][] inputShapes, int[][] outputShapes) {
            return inner.flops(Arrays.copyOf(inputShapes, inputShapes.length - 1), outputShapes);
        }

        @Override
        public Kernel referenceKernel(KernelContext ctx) {
            throw new UnsupportedOperationException("a fused residual node has no reference kernel of its own");
        }
    }

    /** An executor that uses only the reference kernels. */
    public static Executor reference(Graph graph) {
        return new Executor(graph, List.of());
    }

    /** An executor with the providers found on the class path, honouring {@value #KERNELS_PROPERTY}. */
    public static Executor create(Graph graph) {
        return new Executor(graph, providers(System.getProperty(KERNELS_PROPERTY, "")));
    }

    /**
     * The available providers, best first. {@code forced} names one provider (native, vector,
     * reference) to use alone; empty means all. An unknown or unavailable forced provider is an error.
     */
    public static List<KernelProvider> providers(String forced) {
        List<KernelProvider> all = new ArrayList<>();
        ServiceLoader.load(KernelProvider.class).forEach(all::add);
        all.sort(Comparator.comparingInt(KernelProvider::priority).reversed());
        if (forced == null || forced.isBlank() || forced.equals("auto")) {
            return all.stream().filter(KernelProvider::available).toList();
        }
        if (forced.equals("reference")) {
            return List.of();
        }
        for (KernelProvider p : all) {
            if (p.name().equals(forced)) {
                if (!p.available()) {
                    throw new IllegalArgumentException("kernel provider '" + forced + "' is not available on this machine");
                }
                return List.of(p);
            }
        }
        throw new IllegalArgumentException("unknown kernel provider '" + forced + "'; known: "
                + all.stream().map(KernelProvider::name).toList() + " and reference");
    }

    public Graph graph() {
        return graph;
    }

    /** Which provider serves each node, by node name. */
    public Map<String, String> kernelSources() {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kernels.length; i++) {
            m.put(graph.nodes().get(i).name(), kernelSources[i]);
        }
        return m;
    }

    /** Runs a graph with one input and one output. */
    public Tensor run(Arena arena, Tensor input) {
        if (graph.inputs().size() != 1 || graph.outputs().size() != 1) {
            throw new IllegalStateException("graph has " + graph.inputs().size() + " inputs and "
                    + graph.outputs().size() + " outputs; use run(arena, Map)");
        }
        synchronized (this) {
            // the one-input, one-output case without the maps of run(arena, Map): it runs on every request
            Graph.Input in = graph.inputs().get(0);
            copyInput(0, in, input);
            runKernels();
            Tensor src = buffers.value(graph.outputs().get(0));
            return src.toLayout(arena, src.layout());
        }
    }

    /**
     * Runs the graph. Inputs may come in any layout; they are copied into the executor's own input
     * buffers in the default layout of their rank. The returned outputs are copies in {@code arena};
     * intermediates live in buffers planned once at construction and reused by every inference, so an
     * executor runs one inference at a time (calls are serialised).
     */
    public synchronized Map<String, Tensor> run(Arena arena, Map<String, Tensor> inputs) {
        List<Graph.Input> graphInputs = graph.inputs();
        for (int i = 0; i < graphInputs.size(); i++) {
            Graph.Input in = graphInputs.get(i);
            copyInput(i, in, inputs.get(in.name()));
        }
        runKernels();
        Map<String, Tensor> result = new LinkedHashMap<>();
        for (String o : graph.outputs()) {
            Tensor src = buffers.value(o);
            result.put(o, src.toLayout(arena, src.layout()));
        }
        return result;
    }

    private void copyInput(int i, Graph.Input in, Tensor t) {
        if (t == null) {
            throw new ModelException("missing input '" + in.name() + "' of shape " + Shapes.format(in.shape()));
        }
        if (!t.hasShape(in.shape())) {
            throw new ModelException("input '" + in.name() + "' has shape " + Shapes.format(t.shape())
                    + ", the model expects " + Shapes.format(in.shape()));
        }
        buffers.copyInput(i, t);
    }

    private void runKernels() {
        for (int i = 0; i < kernels.length; i++) {
            if (clear[i]) {
                buffers.clearOutputs(i);
            }
            kernels[i].run(buffers.nodeInputs(i), buffers.nodeOutputs(i));
        }
    }


    /** Bytes of the intermediate buffers this executor holds (planned once, reused by every run). */
    public long bufferBytes() {
        return buffers.reservedBytes();
    }
}
