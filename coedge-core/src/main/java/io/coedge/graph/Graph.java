package io.coedge.graph;

import io.coedge.tensor.Shapes;
import io.coedge.tensor.Tensor;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A DAG of operators with static shapes. Built through {@link #of}, which sorts the nodes
 * topologically, checks that every value has one producer, and infers every value's shape.
 * Immutable after construction.
 */
public final class Graph {
    /** A graph input and its concrete shape. */
    public record Input(String name, int[] shape) {
        public Input {
            shape = shape.clone();
        }
    }

    private final String name;
    private final List<Node> nodes;
    private final List<Input> inputs;
    private final List<String> outputs;
    private final Map<String, Tensor> constants;
    private final Map<String, int[]> shapes;
    private final Map<String, Node> producers;
    private final Map<String, List<Node>> consumers;

    private Graph(String name, List<Node> nodes, List<Input> inputs, List<String> outputs,
                  Map<String, Tensor> constants, Map<String, int[]> shapes) {
        this.name = name;
        this.nodes = List.copyOf(nodes);
        this.inputs = List.copyOf(inputs);
        this.outputs = List.copyOf(outputs);
        this.constants = Collections.unmodifiableMap(new LinkedHashMap<>(constants));
        this.shapes = Collections.unmodifiableMap(new HashMap<>(shapes));
        Map<String, Node> prod = new HashMap<>();
        Map<String, List<Node>> cons = new HashMap<>();
        for (Node n : nodes) {
            for (String o : n.outputs()) {
                prod.put(o, n);
            }
            for (String i : n.inputs()) {
                if (!i.isEmpty()) {
                    cons.computeIfAbsent(i, k -> new ArrayList<>()).add(n);
                }
            }
        }
        this.producers = prod;
        this.consumers = cons;
    }

    /**
     * Builds a graph: orders {@code nodes} topologically and infers shapes.
     *
     * @param constants initializers and folded constants, by value name
     * @throws ModelException when a value has no producer, a cycle exists, or shapes do not agree
     */
    public static Graph of(String name, List<Node> nodes, List<Input> inputs, List<String> outputs,
                           Map<String, Tensor> constants) {
        Map<String, int[]> shapes = new HashMap<>();
        Set<String> available = new HashSet<>();
        for (Input in : inputs) {
            shapes.put(in.name(), in.shape());
            available.add(in.name());
        }
        for (Map.Entry<String, Tensor> c : constants.entrySet()) {
            shapes.put(c.getKey(), c.getValue().shape());
            available.add(c.getKey());
        }
        Map<String, Node> producer = new HashMap<>();
        for (Node n : nodes) {
            for (String o : n.outputs()) {
                if (o.isEmpty()) {
                    continue;
                }
                if (producer.put(o, n) != null || available.contains(o)) {
                    throw new ModelException("value '" + o + "' is produced more than once (node '" + n.name() + "')");
                }
            }
        }
        List<Node> sorted = topologicalOrder(nodes, available, producer);
        for (Node n : sorted) {
            Context ctx = new Context(n, shapes, constants);
            int[][] out;
            try {
                out = n.op().inferShapes(ctx);
            } catch (ModelException e) {
                throw e;
            } catch (RuntimeException e) {
                throw ctx.error(e.getMessage() == null ? e.toString() : e.getMessage());
            }
            for (int i = 0; i < n.outputs().size() && i < out.length; i++) {
                if (!n.outputs().get(i).isEmpty()) {
                    shapes.put(n.outputs().get(i), out[i]);
                }
            }
        }
        for (String o : outputs) {
            if (!shapes.containsKey(o)) {
                throw new ModelException("graph output '" + o + "' is not produced by any node");
            }
        }
        return new Graph(name, sorted, inputs, outputs, constants, shapes);
    }

    private static List<Node> topologicalOrder(List<Node> nodes, Set<String> available, Map<String, Node> producer) {
        Map<Node, Integer> missing = new LinkedHashMap<>();
        Map<String, List<Node>> waiting = new HashMap<>();
        Deque<Node> ready = new ArrayDeque<>();
        for (Node n : nodes) {
            int count = 0;
            for (String in : new HashSet<>(n.inputs())) {
                if (in.isEmpty() || available.contains(in)) {
                    continue;
                }
                if (!producer.containsKey(in)) {
                    throw new ModelException("node '" + n.name() + "' (" + n.op().type() + ") reads value '" + in
                            + "', which no node, input or initializer provides");
                }
                count++;
                waiting.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
            }
            missing.put(n, count);
            if (count == 0) {
                ready.add(n);
            }
        }
        List<Node> sorted = new ArrayList<>(nodes.size());
        while (!ready.isEmpty()) {
            Node n = ready.poll();
            sorted.add(n);
            for (String o : n.outputs()) {
                for (Node w : waiting.getOrDefault(o, List.of())) {
                    if (missing.merge(w, -1, Integer::sum) == 0) {
                        ready.add(w);
                    }
                }
            }
        }
        if (sorted.size() != nodes.size()) {
            throw new ModelException("the graph has a cycle; " + (nodes.size() - sorted.size()) + " nodes cannot be ordered");
        }
        return sorted;
    }

    public String name() {
        return name;
    }

    /** Nodes in topological order. */
    public List<Node> nodes() {
        return nodes;
    }

    public List<Input> inputs() {
        return inputs;
    }

    public List<String> outputs() {
        return outputs;
    }

    /** Initializers and folded constants by value name. */
    public Map<String, Tensor> constants() {
        return constants;
    }

    public boolean isConstant(String value) {
        return constants.containsKey(value);
    }

    public Tensor constant(String value) {
        return constants.get(value);
    }

    /** The inferred shape of any value. */
    public int[] shape(String value) {
        int[] s = shapes.get(value);
        if (s == null) {
            throw new IllegalArgumentException("no value named '" + value + "' in graph " + name);
        }
        return s.clone();
    }

    public Node producer(String value) {
        return producers.get(value);
    }

    public List<Node> consumers(String value) {
        return consumers.getOrDefault(value, List.of());
    }

    public int[][] inputShapes(Node n) {
        int[][] s = new int[n.inputs().size()][];
        for (int i = 0; i < s.length; i++) {
            s[i] = n.hasInput(i) ? shape(n.input(i)) : null;
        }
        return s;
    }

    public int[][] outputShapes(Node n) {
        int[][] s = new int[n.outputs().size()][];
        for (int i = 0; i < s.length; i++) {
            s[i] = n.outputs().get(i).isEmpty() ? null : shape(n.outputs().get(i));
        }
        return s;
    }

    /** FLOPs of one node. */
    public long flops(Node n) {
        return n.op().flops(inputShapes(n), outputShapes(n));
    }

    /** Total FLOPs of one inference. */
    public long totalFlops() {
        long f = 0;
        for (Node n : nodes) {
            f += flops(n);
        }
        return f;
    }

    /** Bytes of the constants (weights, bias) node {@code n} reads, each input counted once per use. */
    public long constantBytes(Node n) {
        long bytes = 0;
        for (String v : n.inputs()) {
            if (!v.isEmpty() && isConstant(v)) {
                bytes += constant(v).byteSize();
            }
        }
        return bytes;
    }

    /** Number of parameters held in constants. */
    public long parameterCount() {
        long p = 0;
        for (Tensor t : constants.values()) {
            p += t.size();
        }
        return p;
    }

    /** The context a kernel factory sees for node {@code n}. */
    public KernelContext kernelContext(Node n) {
        return new Context(n, shapes, constants);
    }

    /** A model summary: one line a layer with output shape, FLOPs and parameters. */
    public String summary() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("%-28s %-18s %-20s %14s %12s%n", "layer", "type", "output", "FLOPs", "params"));
        for (Node n : nodes) {
            long params = 0;
            for (String in : n.inputs()) {
                if (!in.isEmpty() && constants.containsKey(in)) {
                    params += constants.get(in).size();
                }
            }
            String out = n.outputs().isEmpty() || n.output().isEmpty() ? "-" : Shapes.format(shape(n.output()));
            sb.append(String.format("%-28s %-18s %-20s %,14d %,12d%n", abbreviate(n.name(), 28), n.op().type(), out,
                    flops(n), params));
        }
        sb.append(String.format("%d layers, %,d FLOPs, %,d parameters (%.1f MB)%n", nodes.size(), totalFlops(),
                parameterCount(), parameterCount() * 4 / 1e6));
        for (Input in : inputs) {
            sb.append("input  ").append(in.name()).append(": ").append(Shapes.format(in.shape())).append('\n');
        }
        for (String o : outputs) {
            sb.append("output ").append(o).append(": ").append(Shapes.format(shape(o))).append('\n');
        }
        return sb.toString();
    }

    private static String abbreviate(String s, int max) {
        return s.length() <= max ? s : "..." + s.substring(s.length() - max + 3);
    }

    @Override
    public String toString() {
        return summary();
    }

    private record Context(Node node, Map<String, int[]> shapes, Map<String, Tensor> constants) implements KernelContext {
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
            int[] s = shapes.get(node.input(i));
            if (s == null) {
                throw error("input '" + node.input(i) + "' has no known shape");
            }
            return s.clone();
        }

        @Override
        public Tensor constant(int i) {
            return node.hasInput(i) ? constants.get(node.input(i)) : null;
        }

        @Override
        public int[] outputShape(int i) {
            return shapes.get(node.outputs().get(i)).clone();
        }

        @Override
        public int outputCount() {
            return node.outputs().size();
        }
    }
}
