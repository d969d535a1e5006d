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
import java.util.HashMap;
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
     * Runs the graph. Inputs may come in any layout; they are converted to the default layout of their
     * rank. Output tensors live in {@code arena}; intermediates too (the caller owns its lifetime).
     */
    public Map<String, Tensor> run(Arena arena, Map<String, Tensor> inputs) {
        Map<String, Tensor> values = new HashMap<>(graph.constants());
        for (Graph.Input in : graph.inputs()) {
            Tensor t = inputs.get(in.name());
            if (t == null) {
                throw new ModelException("missing input '" + in.name() + "' of shape " + Shapes.format(in.shape()));
            }
            if (!Arrays.equals(t.shape(), in.shape())) {
                throw new ModelException("input '" + in.name() + "' has shape " + Shapes.format(t.shape())
                        + ", the model expects " + Shapes.format(in.shape()));
            }
            Layout want = Tensor.defaultLayout(in.shape());
            values.put(in.name(), t.layout() == want ? t : t.toLayout(arena, want));
        }
        List<Node> nodes = graph.nodes();
        for (int i = 0; i < nodes.size(); i++) {
            Node n = nodes.get(i);
            Tensor[] ins = new Tensor[n.inputs().size()];
            for (int j = 0; j < ins.length; j++) {
                ins[j] = n.hasInput(j) ? values.get(n.input(j)) : null;
            }
            Tensor[] outs = new Tensor[n.outputs().size()];
            for (int j = 0; j < outs.length; j++) {
                String name = n.outputs().get(j);
                if (!name.isEmpty()) {
                    outs[j] = Tensor.allocate(arena, graph.shape(name));
                }
            }
            kernels[i].run(ins, outs);
            for (int j = 0; j < outs.length; j++) {
                if (outs[j] != null) {
                    values.put(n.outputs().get(j), outs[j]);
                }
            }
        }
        Map<String, Tensor> result = new LinkedHashMap<>();
        for (String o : graph.outputs()) {
            result.put(o, values.get(o));
        }
        return result;
    }
}
