package io.coedge.graph;

import io.coedge.tensor.Layout;
import io.coedge.tensor.Tensor;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Builds a {@link Graph} node by node; used by the model zoo and by tests. */
public final class GraphBuilder {
    private final String name;
    private final Arena arena;
    private final List<Node> nodes = new ArrayList<>();
    private final List<Graph.Input> inputs = new ArrayList<>();
    private final List<String> outputs = new ArrayList<>();
    private final Map<String, Tensor> constants = new LinkedHashMap<>();
    private int counter;

    /** Constants live in a GC-managed arena: they stay as long as the graph is reachable. */
    public GraphBuilder(String name) {
        this(name, Arena.ofAuto());
    }

    public GraphBuilder(String name, Arena arena) {
        this.name = name;
        this.arena = arena;
    }

    /** The arena constants added through {@link #constant(String, float[], int...)} live in. */
    public Arena arena() {
        return arena;
    }

    /** Declares a graph input of a fixed logical (NCHW for rank 4) shape; returns its name. */
    public String input(String valueName, int... shape) {
        inputs.add(new Graph.Input(valueName, shape));
        return valueName;
    }

    /** Adds a constant given in logical order (row-major). */
    public String constant(String valueName, float[] values, int... shape) {
        constants.put(valueName, Tensor.fromLogical(arena, Layout.ROW_MAJOR, values, shape));
        return valueName;
    }

    /** Adds a constant tensor as is (its layout is kept); returns its name. */
    public String constant(String valueName, Tensor value) {
        constants.put(valueName, value);
        return valueName;
    }

    /** Adds a node with one output named after the node; returns the output's name. */
    public String node(String nodeName, Op op, String... inputNames) {
        String out = nodeName;
        nodes.add(new Node(nodeName, op, List.of(inputNames), List.of(out)));
        return out;
    }

    /** Adds a node with an automatic name ({@code type_N}). */
    public String node(Op op, String... inputNames) {
        return node(op.type().toLowerCase() + "_" + (counter++), op, inputNames);
    }

    /** Adds a node built by the caller (several outputs, or names of its own choosing). */
    public void add(Node n) {
        nodes.add(n);
    }

    /** Marks a value as a graph output, in call order. */
    public GraphBuilder output(String valueName) {
        outputs.add(valueName);
        return this;
    }

    /**
     * Builds the graph (topological order and shape inference).
     *
     * @throws io.coedge.graph.ModelException when values are missing or shapes do not agree
     */
    public Graph build() {
        return Graph.of(name, nodes, inputs, outputs, constants);
    }
}
