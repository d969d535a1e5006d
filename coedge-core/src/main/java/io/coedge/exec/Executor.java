package io.coedge.exec;

import io.coedge.graph.Graph;
import io.coedge.graph.Kernel;
import io.coedge.graph.KernelContext;
import io.coedge.graph.KernelProvider;
import io.coedge.graph.ModelException;
import io.coedge.graph.Node;
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
        Kernel[] prepared = new Kernel[nodes.size()];
        this.kernelSources = new String[nodes.size()];
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
            prepared[i] = k != null ? k : n.op().referenceKernel(ctx);
            kernelSources[i] = source;
        }
        Fusion fusion = fuseRelus(graph, prepared, kernelSources);
        Graph run = fusion.graph();
        if (run == graph) {
            this.kernels = prepared;
        } else {
            // The fused graph holds the same node objects (bar the rewritten producers), maybe reordered.
            Map<Node, Kernel> byNode = new IdentityHashMap<>();
            for (int i = 0; i < nodes.size(); i++) {
                if (prepared[i] != null) {
                    byNode.put(fusion.nodes()[i], prepared[i]);
                }
            }
            this.kernels = new Kernel[run.nodes().size()];
            for (int i = 0; i < kernels.length; i++) {
                kernels[i] = Objects.requireNonNull(byNode.get(run.nodes().get(i)), "kernel of fused node");
            }
        }
        this.clear = new boolean[kernels.length];
        for (int i = 0; i < kernels.length; i++) {
            clear[i] = !kernels[i].overwritesOutputs();
        }
        this.buffers = new ValueBuffers(run);
    }

    /** The graph the executor runs and its nodes by original index (null where a Relu was fused away). */
    private record Fusion(Graph graph, Node[] nodes) {
    }

    /**
     * Folds every Relu that is the only reader of a single-output node into that node's kernel, when
     * the kernel offers a fused variant ({@link Kernel#fuseRelu()}): one pass over memory instead of
     * two. The producer then writes the Relu's output value directly. The graph is {@code graph} itself
     * when nothing fuses, else the rewritten one; {@code kernels} is updated in place (a fused Relu's slot
     * becomes null) and {@code sources} names the fused Relu after its producer's provider.
     */
    private static Fusion fuseRelus(Graph graph, Kernel[] kernels, String[] sources) {
        List<Node> nodes = graph.nodes();
        Map<Node, Integer> index = new IdentityHashMap<>();
        for (int i = 0; i < nodes.size(); i++) {
            index.put(nodes.get(i), i);
        }
        Set<String> outputs = new HashSet<>(graph.outputs());
        Node[] rewritten = nodes.toArray(new Node[0]);
        boolean any = false;
        for (int i = 0; i < nodes.size(); i++) {
            Node n = nodes.get(i);
            if (n.outputs().size() != 1 || n.output().isEmpty() || outputs.contains(n.output())) {
                continue;
            }
            List<Node> readers = graph.consumers(n.output());
            if (readers.size() != 1) {
                continue;
            }
            Node r = readers.get(0);
            Integer j = index.get(r);
            if (j == null || kernels[j] == null || !r.op().type().equals("Relu") || r.inputs().size() != 1
                    || r.outputs().size() != 1 || !r.input(0).equals(n.output())) {
                continue;
            }
            Kernel fused = kernels[i].fuseRelu();
            if (fused == null) {
                continue;
            }
            kernels[i] = fused;
            kernels[j] = null;
            sources[j] = sources[i];
            rewritten[i] = new Node(n.name(), n.op(), n.inputs(), List.of(r.output()));
            rewritten[j] = null;
            any = true;
        }
        if (!any) {
            return new Fusion(graph, rewritten);
        }
        List<Node> kept = new ArrayList<>();
        for (Node n : rewritten) {
            if (n != null) {
                kept.add(n);
            }
        }
        return new Fusion(Graph.of(graph.name(), kept, graph.inputs(), graph.outputs(), graph.constants()), rewritten);
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
        return run(arena, Map.of(graph.inputs().get(0).name(), input)).get(graph.outputs().get(0));
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
            Tensor t = inputs.get(in.name());
            if (t == null) {
                throw new ModelException("missing input '" + in.name() + "' of shape " + Shapes.format(in.shape()));
            }
            if (!Arrays.equals(t.shape(), in.shape())) {
                throw new ModelException("input '" + in.name() + "' has shape " + Shapes.format(t.shape())
                        + ", the model expects " + Shapes.format(in.shape()));
            }
            buffers.copyInput(i, t);
        }
        for (int i = 0; i < kernels.length; i++) {
            if (clear[i]) {
                buffers.clearOutputs(i);
            }
            kernels[i].run(buffers.nodeInputs(i), buffers.nodeOutputs(i));
        }
        Map<String, Tensor> result = new LinkedHashMap<>();
        for (String o : graph.outputs()) {
            Tensor src = buffers.value(o);
            result.put(o, src.toLayout(arena, src.layout()));
        }
        return result;
    }

    /** Bytes of the intermediate buffers this executor holds (planned once, reused by every run). */
    public long bufferBytes() {
        return buffers.reservedBytes();
    }
}
