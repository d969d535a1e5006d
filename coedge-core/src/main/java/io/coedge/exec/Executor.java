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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

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

    public Executor(Graph graph, List<KernelProvider> providers) {
        this.graph = graph;
        List<Node> nodes = graph.nodes();
        this.kernels = new Kernel[nodes.size()];
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
            kernels[i] = k != null ? k : n.op().referenceKernel(ctx);
            kernelSources[i] = source;
        }
        this.buffers = new ValueBuffers(graph);
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
            buffers.clearOutputs(i);
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
